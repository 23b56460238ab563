/*-------------------------------------------------------------------------
 *
 * ct_audit.c
 *		Summing a cleanup's counts and writing its audit rows.
 *
 * The audit log is append-only: a statement trigger (ENABLE ALWAYS) refuses
 * UPDATE, DELETE and TRUNCATE to every role but superusers, and only the
 * extension owner, as which this file inserts, holds INSERT.  Readers are
 * filtered by the row-level security policy of the install script: admins
 * see every row, others none.
 *
 * Erasure receipts (1.2, setting "receipts"): after the audit rows, one
 * transactional logical decoding message per pair (ct_message.c) with the
 * audit row's id, time, roles, pair, counts, fingerprint and reason, so that
 * consumers see exactly the cleanups that commit.
 *
 * IDENTIFICATION
 *		ct_audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/jsonb.h"
#include "utils/hsearch.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "commands/dbcommands.h"

static Datum ctc_jsonb_object(const char *const *keys, const int64 *values, int n);

/*
 * %1$s the schema; %2$s the session_role column and %3$s its value, both
 * empty for a 1.0 audit table (the library serves every installed version).
 */
#define CTC_SQL_AUDIT_MANY \
	"INSERT INTO %1$s.ct_cleanup_audit (admin_role%2$s, actor_id," \
	" client_id, trainer_id, counts, details, total, reason)" \
	" SELECT $1%3$s, $3, u.c, u.t, u.counts, u.details, u.total, u.reason" \
	" FROM ROWS FROM (pg_catalog.unnest($4), pg_catalog.unnest($5)," \
	" pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8)," \
	" pg_catalog.unnest($9)) AS u(c, t, counts, details, total, reason)" \
	" RETURNING id, client_id, trainer_id, performed_at"
#define CTC_SQL_AUDIT \
	"INSERT INTO %1$s.ct_cleanup_audit (admin_role%2$s, actor_id," \
	" client_id, trainer_id, counts, details, total, reason)" \
	" VALUES ($1%3$s, $3, $4, $5, $6, $7, $8, $9)" \
	" RETURNING id, client_id, trainer_id, performed_at"

#define CTC_AUDIT_NARGS 9

static void ctc_audit_ids(const CtcPairs *pairs, int64 *ids, TimestampTz *at);


/*
 * ctc_summarize
 *		Sum per-path counts into categories and the total, and build the
 *		counts and details as jsonb (directly, without parsing text):
 *		details per table (its paths summed), counts per category, the 14
 *		and each custom category (whose rows "other" also sums).
 */
void
ctc_summarize(const CtcRule *rules, int nrules, const int64 *counts,
			  CtcOutcome *outcome)
{
	int			size = Max(nrules, 1) + CTC_NUM_CATEGORIES;
	const char **keys = palloc(sizeof(char *) * size);
	int64	   *values = palloc0(sizeof(int64) * size);
	int			n = CTC_NUM_CATEGORIES;

	memset(outcome->category_counts, 0, sizeof(outcome->category_counts));
	outcome->total = 0;
	for (int i = 0; i < CTC_NUM_CATEGORIES; i++)
		keys[i] = ctc_category_names[i];
	for (int i = 0; i < nrules; i++)
	{
		int			k;

		outcome->category_counts[rules[i].category_index] += counts[i];
		outcome->total += counts[i];
		if (rules[i].category_index != CTC_CATEGORY_OTHER ||
			strcmp(rules[i].category, "other") == 0)
			continue;
		for (k = CTC_NUM_CATEGORIES; k < n; k++)
		{
			if (strcmp(keys[k], rules[i].category) == 0)
				break;
		}
		if (k == n)
			keys[n++] = rules[i].category;
		values[k] += counts[i];
	}
	memcpy(values, outcome->category_counts, sizeof(outcome->category_counts));
	outcome->counts = ctc_jsonb_object(keys, values, n);

	/* details: one key per table, at its first path */
	n = 0;
	memset(values, 0, sizeof(int64) * size);
	for (int i = 0; i < nrules; i++)
	{
		if (rules[i].first == i)
		{
			keys[n] = rules[i].qualname;
			for (int j = i; j < nrules; j++)
				if (rules[j].first == i)
					values[n] += counts[j];
			n++;
		}
	}
	outcome->details = ctc_jsonb_object(keys, values, n);
	pfree(keys);
	pfree(values);
}

/*
 * ctc_jsonb_object
 *		The jsonb object {keys[0]: values[0], ...}.
 */
static Datum
ctc_jsonb_object(const char *const *keys, const int64 *values, int n)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n; i++)
	{
		const char *key = keys[i];
		JsonbValue	k;
		JsonbValue	v;

		k.type = jbvString;
		k.val.string.val = (char *) key;
		k.val.string.len = strlen(key);
		pushJsonbValue(&state, WJB_KEY, &k);
		v.type = jbvNumeric;
		v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int8_numeric,
															Int64GetDatum(values[i])));
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(result));
}

/*
 * ctc_write_audit
 *		Insert the audit rows of a cleanup, one per pair, as the extension
 *		owner, with one statement, and return their ids in ids[] and times
 *		in at[], in the order of the pairs.  admin_role records the caller,
 *		session_role the session's login role (they differ after SET ROLE),
 *		actor_id the acting application user (NULL when unknown); pair i's
 *		reason is reasons[i] (NULL when reason_nulls[i]).
 */
void
ctc_write_audit(CtcCaller *c, const CtcPairs *pairs, const Datum *reasons,
				const bool *reason_nulls, const char *actor,
				const CtcOutcome *outcomes, int64 *ids, TimestampTz *at)
{
	bool		one = pairs->n == 1;
	Oid			argtypes[CTC_AUDIT_NARGS] = {NAMEOID, NAMEOID, TEXTOID,
		one ? UUIDOID : UUIDARRAYOID, one ? UUIDOID : UUIDARRAYOID,
		one ? JSONBOID : JSONBARRAYOID, one ? JSONBOID : JSONBARRAYOID,
	one ? INT8OID : INT8ARRAYOID, one ? TEXTOID : TEXTARRAYOID};
	Datum		values[CTC_AUDIT_NARGS];
	char		nulls[CTC_AUDIT_NARGS];
	SPIPlanPtr	plan;
	CtcRunAs	as;
	int			rc;
	Oid			audit = get_relname_relid("ct_cleanup_audit", c->ext_schema);
	bool		session_column = OidIsValid(audit) &&
		get_attnum(audit, "session_role") != InvalidAttrNumber;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(c->caller, false)));
	values[1] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(c->session_user, false)));
	values[2] = actor ? CStringGetTextDatum(actor) : (Datum) 0;
	nulls[2] = actor ? ' ' : 'n';
	if (one)
	{
		values[3] = pairs->clients[0];
		values[4] = pairs->trainers[0];
		values[5] = outcomes[0].counts;
		values[6] = outcomes[0].details;
		values[7] = Int64GetDatum(outcomes[0].total);
	}
	else
	{
		Datum	   *counts = palloc(sizeof(Datum) * pairs->n);
		Datum	   *details = palloc(sizeof(Datum) * pairs->n);
		Datum	   *totals = palloc(sizeof(Datum) * pairs->n);

		for (int i = 0; i < pairs->n; i++)
		{
			counts[i] = outcomes[i].counts;
			details[i] = outcomes[i].details;
			totals[i] = Int64GetDatum(outcomes[i].total);
		}
		values[3] = PointerGetDatum(construct_array(pairs->clients, pairs->n, UUIDOID,
													UUID_LEN, false, TYPALIGN_CHAR));
		values[4] = PointerGetDatum(construct_array(pairs->trainers, pairs->n, UUIDOID,
													UUID_LEN, false, TYPALIGN_CHAR));
		values[5] = PointerGetDatum(construct_array(counts, pairs->n, JSONBOID, -1,
													false, TYPALIGN_INT));
		values[6] = PointerGetDatum(construct_array(details, pairs->n, JSONBOID, -1,
													false, TYPALIGN_INT));
		values[7] = PointerGetDatum(construct_array(totals, pairs->n, INT8OID, 8,
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	if (one)
	{
		values[8] = reasons[0];
		nulls[8] = reason_nulls[0] ? 'n' : ' ';
	}
	else
	{
		int			dims[1] = {pairs->n};
		int			lbs[1] = {1};

		values[8] = PointerGetDatum(construct_md_array((Datum *) reasons, (bool *) reason_nulls,
													   1, dims, lbs, TEXTOID, -1,
													   false, TYPALIGN_INT));
	}

	ctc_run_as(&as, c->ext_owner, 0);
	SPI_connect();
	plan = ctc_fixed_plan(psprintf(one ? CTC_SQL_AUDIT : CTC_SQL_AUDIT_MANY,
								   c->schema_quoted,
								   session_column ? ", session_role" : "",
								   session_column ? ", $2" : ""),
						  CTC_AUDIT_NARGS, argtypes);
	rc = SPI_execute_plan(plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != (uint64) pairs->n)
		elog(ERROR, "writing the ct_cleanup audit rows failed: %s",
			 SPI_result_code_string(rc));
	ctc_audit_ids(pairs, ids, at);
	SPI_finish();
	ctc_run_as_end(&as);
}

/*
 * ctc_audit_ids
 *		The ids and times of the audit rows in SPI_tuptable (id, client_id,
 *		trainer_id, performed_at), by pair: RETURNING does not promise the
 *		order of the rows, so each is matched to its pair (pairs are
 *		distinct).
 */
static void
ctc_audit_ids(const CtcPairs *pairs, int64 *ids, TimestampTz *at)
{
	HASHCTL		ctl;
	HTAB	   *byid;
	typedef struct
	{
		char		key[2 * UUID_LEN];
		int64		id;
		TimestampTz at;
	}			CtcAuditEntry;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = 2 * UUID_LEN;
	ctl.entrysize = sizeof(CtcAuditEntry);
	ctl.hcxt = CurrentMemoryContext;
	byid = hash_create("ct_cleanup audit ids", Max(pairs->n, 1), &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char		key[2 * UUID_LEN];
		bool		isnull;
		CtcAuditEntry *entry;

		memcpy(key, DatumGetUUIDP(SPI_getbinval(tup, desc, 2, &isnull))->data, UUID_LEN);
		memcpy(key + UUID_LEN, DatumGetUUIDP(SPI_getbinval(tup, desc, 3, &isnull))->data, UUID_LEN);
		entry = hash_search(byid, key, HASH_ENTER, NULL);
		entry->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		entry->at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull));
	}
	for (int i = 0; i < pairs->n; i++)
	{
		char		key[2 * UUID_LEN];
		CtcAuditEntry *entry;

		memcpy(key, DatumGetUUIDP(pairs->clients[i])->data, UUID_LEN);
		memcpy(key + UUID_LEN, DatumGetUUIDP(pairs->trainers[i])->data, UUID_LEN);
		entry = hash_search(byid, key, HASH_FIND, NULL);
		if (entry == NULL)
			elog(ERROR, "audit row of pair %d is missing", i + 1);
		ids[i] = entry->id;
		at[i] = entry->at;
	}
	hash_destroy(byid);
}

/*
 * ctc_result_values
 *		The columns of a ct_cleanup_result row: the pair, the counts, details,
 *		audit id and fingerprint (all CTC_RESULT_NATTS; an install of 1.0 or
 *		1.1 takes all but the last).
 */
void
ctc_result_values(const CtcOutcome *outcome, Datum client, Datum trainer,
				  int64 audit_id, bool audit_null, Datum *values, bool *nulls)
{
	int			col = 0;

	memset(nulls, false, sizeof(bool) * CTC_RESULT_NATTS);
	values[col++] = client;
	values[col++] = trainer;
	for (int i = 0; i < CTC_NUM_CATEGORIES; i++)
		values[col++] = Int64GetDatum(outcome->category_counts[i]);
	values[col++] = Int64GetDatum(outcome->total);
	values[col++] = outcome->details;
	nulls[col] = audit_null;
	values[col++] = Int64GetDatum(audit_id);
	nulls[col] = outcome->fingerprint == NULL;
	values[col++] = outcome->fingerprint ? CStringGetTextDatum(outcome->fingerprint) : (Datum) 0;
}

/*
 * ctc_check_result_type
 *		Refuse a ct_cleanup_result that is not of this version or the ones
 *		before fingerprints.
 */
void
ctc_check_result_type(TupleDesc tupdesc)
{
	if (tupdesc->natts != CTC_RESULT_NATTS && tupdesc->natts != CTC_RESULT_NATTS - 1)
		elog(ERROR, "ct_cleanup_result has %d columns, expected %d",
			 tupdesc->natts, CTC_RESULT_NATTS);
}

/*
 * ctc_emit_receipts
 *		With setting "receipts" on, the erasure receipt of each pair just
 *		audited (ids[], at[] from ctc_write_audit): a transactional logical
 *		decoding message, prefix "ct_cleanup", holding a JSON object with
 *		the audit id and time, the roles, the pair, counts, details, total,
 *		fingerprint and reason; never row contents.
 */
void
ctc_emit_receipts(CtcCaller *c, const CtcPairs *pairs, const Datum *reasons,
				  const bool *reason_nulls, const char *actor,
				  const CtcOutcome *outcomes, const int64 *ids, const TimestampTz *at)
{
	const char *role = GetUserNameFromId(c->caller, false);
	const char *session = GetUserNameFromId(c->session_user, false);
	const char *database = get_database_name(MyDatabaseId);

	for (int i = 0; i < pairs->n; i++)
	{
		StringInfoData buf;

		CHECK_FOR_INTERRUPTS();
		ctc_json_begin(&buf);
		ctc_json_int(&buf, "audit_id", ids[i]);
		ctc_json_time(&buf, "performed_at", at[i]);
		ctc_json_text(&buf, "admin_role", role);
		ctc_json_text(&buf, "session_role", session);
		ctc_json_text(&buf, "actor_id", actor);
		ctc_json_uuid(&buf, "client_id", pairs->clients[i]);
		ctc_json_uuid(&buf, "trainer_id", pairs->trainers[i]);
		ctc_json_raw(&buf, "counts",
					 JsonbToCString(NULL, &DatumGetJsonbP(outcomes[i].counts)->root, -1));
		ctc_json_raw(&buf, "details",
					 JsonbToCString(NULL, &DatumGetJsonbP(outcomes[i].details)->root, -1));
		ctc_json_int(&buf, "total", outcomes[i].total);
		ctc_json_text(&buf, "fingerprint", outcomes[i].fingerprint);
		ctc_json_text(&buf, "reason", reason_nulls[i] ? NULL : TextDatumGetCString(reasons[i]));
		ctc_json_text(&buf, "database", database);
		ctc_json_end(&buf);
		ctc_emit_message("ct_cleanup", &buf, true);
		pfree(buf.data);
	}
}

/*
 * ctc_clean_pairs
 *		The whole of a cleanup (or with preview, a preview) of checked
 *		pairs: delete or count (ctc_run_pairs), sum the counts and make the
 *		fingerprints; for a cleanup, refuse one whose rows are not those of
 *		its previews (given: a fingerprint per pair, or NULL) or that would
 *		delete more than ct_cleanup.max_rows, then write the audit rows (pair
 *		i's reason reasons[i]) and, with receipts on, the receipts.  Returns
 *		the registry used, *outcomes (one per pair) and *audit_ids.  The
 *		actor is read before anything is deleted, so that a vanished
 *		actor_id function fails first; so does receipts on while wal_level
 *		is below logical.
 */
const CtcRegistry *
ctc_clean_pairs(CtcCaller *c, const CtcSettings *settings, const CtcPairs *pairs,
				bool preview, const Datum *reasons, const bool *reason_nulls,
				char **given, CtcOutcome **outcomes, int64 **audit_ids)
{
	const CtcRegistry *reg;
	bool		receipts = !preview && ctc_receipts_on(settings);
	char	   *actor = NULL;
	int64	   *counts;
	int64		total = 0;
	TimestampTz *at;
	CtcRowIds	ids;

	if (receipts)
		ctc_require_logical(false);
	if (given != NULL && !pgstat_track_counts)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a cleanup bound to its preview needs track_counts = on"),
				 errdetail("Without the transaction's statistics a cleanup cannot see rows that cascades or triggers remove with the pair's, so it cannot tell that it deleted only what the preview counted. Nothing was deleted."),
				 errhint("Set track_counts = on (the default).")));
	if (!preview)
		actor = ctc_actor_id(c, settings);
	ctc_row_ids_init(&ids);
	reg = ctc_run_pairs(c, pairs, preview, &counts, &ids);

	*outcomes = palloc(sizeof(CtcOutcome) * Max(pairs->n, 1));
	for (int i = 0; i < pairs->n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		ctc_summarize(reg->rules, reg->nrules, counts + (size_t) i * reg->nrules,
					  &(*outcomes)[i]);
		total += (*outcomes)[i].total;
	}
	ctc_fingerprints(reg, pairs, counts, &ids, *outcomes);
	if (ids.rows != NULL)
		pfree(ids.rows);
	*audit_ids = palloc0(sizeof(int64) * Max(pairs->n, 1));
	if (preview)
		return reg;

	if (given != NULL)
		ctc_check_fingerprints(reg, pairs, given, *outcomes);
	ctc_check_max_rows(c, pairs, total);

	/*
	 * The setting as it is now: the cleanup may have waited for its locks
	 * while someone changed it (the change committed before those locks is
	 * seen, as for the registry).
	 */
	receipts = ctc_receipts_on(ctc_get_settings(c));
	if (receipts)
		ctc_require_logical(false);
	at = palloc(sizeof(TimestampTz) * Max(pairs->n, 1));
	ctc_write_audit(c, pairs, reasons, reason_nulls, actor, *outcomes, *audit_ids, at);
	if (receipts)
		ctc_emit_receipts(c, pairs, reasons, reason_nulls, actor, *outcomes,
						  *audit_ids, at);
	return reg;
}

/*
 * ctc_put_results
 *		One ct_cleanup_result row per pair into a set-returning function's
 *		tuplestore (InitMaterializedSRF), in the order of the pairs.
 */
void
ctc_put_results(ReturnSetInfo *rsinfo, const CtcPairs *pairs,
				const CtcOutcome *outcomes, const int64 *audit_ids, bool audit_null)
{
	for (int i = 0; i < pairs->n; i++)
	{
		Datum		values[CTC_RESULT_NATTS];
		bool		nulls[CTC_RESULT_NATTS];

		CHECK_FOR_INTERRUPTS();
		ctc_result_values(&outcomes[i], pairs->clients[i], pairs->trainers[i],
						  audit_ids[i], audit_null, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}
