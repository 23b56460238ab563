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
 * IDENTIFICATION
 *		ct_audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

static Datum ctc_jsonb_object(const char *const *keys, const int64 *values, int n);

#define CTC_SQL_AUDIT_MANY \
	"INSERT INTO %s.ct_cleanup_audit (admin_role, actor_id, client_id," \
	" trainer_id, counts, details, total, reason)" \
	" SELECT $1, $2, u.c, u.t, u.counts, u.details, u.total, $8" \
	" FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)," \
	" pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7))" \
	" WITH ORDINALITY AS u(c, t, counts, details, total, i)" \
	" ORDER BY u.i RETURNING id"
#define CTC_SQL_AUDIT \
	"INSERT INTO %s.ct_cleanup_audit (admin_role, actor_id, client_id," \
	" trainer_id, counts, details, total, reason)" \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"


/*
 * ctc_summarize
 *		Sum per-rule counts into categories and the total, and build the
 *		counts and details as jsonb (directly, without parsing text).
 */
void
ctc_summarize(const CtcRule *rules, int nrules, const int64 *counts,
			  CtcOutcome *outcome)
{
	const char **keys = palloc(sizeof(char *) * Max(nrules, CTC_NUM_CATEGORIES));

	memset(outcome->category_counts, 0, sizeof(outcome->category_counts));
	outcome->total = 0;
	for (int i = 0; i < nrules; i++)
	{
		outcome->category_counts[rules[i].category_index] += counts[i];
		outcome->total += counts[i];
	}

	outcome->counts = ctc_jsonb_object(ctc_category_names, outcome->category_counts,
									   CTC_NUM_CATEGORIES);
	for (int i = 0; i < nrules; i++)
		keys[i] = rules[i].qualname;
	outcome->details = ctc_jsonb_object(keys, counts, nrules);
	pfree(keys);
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
 *		Insert the audit row of one cleanup, as the extension owner, and
 *		return its id.  The admin_role column records the caller, actor_id
 *		the acting application user (NULL when unknown).
 */
int64
ctc_write_audit(CtcCaller *c, Datum client, Datum trainer, Datum reason,
				bool reason_null, const char *actor, const CtcOutcome *outcome)
{
	Oid			argtypes[8] = {NAMEOID, TEXTOID, UUIDOID, UUIDOID,
							   JSONBOID, JSONBOID, INT8OID, TEXTOID};
	Datum		values[8];
	char		nulls[8] = {' ', 'n', ' ', ' ', ' ', ' ', ' ', ' '};
	SPIPlanPtr	plan;
	int			rc;
	bool		isnull;
	int64		id;

	values[0] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(c->caller, false)));
	if (actor != NULL)
	{
		values[1] = CStringGetTextDatum(actor);
		nulls[1] = ' ';
	}
	values[2] = client;
	values[3] = trainer;
	values[4] = outcome->counts;
	values[5] = outcome->details;
	values[6] = Int64GetDatum(outcome->total);
	values[7] = reason;
	if (reason_null)
		nulls[7] = 'n';

	ctc_become(c, c->ext_owner, 0);
	SPI_connect();
	plan = ctc_cached_plan(psprintf(CTC_SQL_AUDIT, c->schema_quoted), 8, argtypes);
	rc = SPI_execute_plan(plan, values, nulls, false, 1);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "writing the ct_cleanup audit row failed: %s",
			 SPI_result_code_string(rc));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	ctc_restore(c);
	return id;
}

/*
 * ctc_write_audit_many
 *		Insert the audit rows of a batch, one per pair, with one statement,
 *		and return their ids in ids[] in the order of the pairs.
 */
void
ctc_write_audit_many(CtcCaller *c, int npairs, Datum *clients, Datum *trainers,
					 Datum reason, bool reason_null, const char *actor,
					 const CtcOutcome *outcomes, int64 *ids)
{
	Oid			argtypes[8] = {NAMEOID, TEXTOID, UUIDARRAYOID, UUIDARRAYOID,
							   JSONBARRAYOID, JSONBARRAYOID, INT8ARRAYOID, TEXTOID};
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	Datum	   *counts = palloc(sizeof(Datum) * npairs);
	Datum	   *details = palloc(sizeof(Datum) * npairs);
	Datum	   *totals = palloc(sizeof(Datum) * npairs);
	SPIPlanPtr	plan;
	int			rc;

	for (int i = 0; i < npairs; i++)
	{
		counts[i] = outcomes[i].counts;
		details[i] = outcomes[i].details;
		totals[i] = Int64GetDatum(outcomes[i].total);
	}
	values[0] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(c->caller, false)));
	values[1] = actor ? CStringGetTextDatum(actor) : (Datum) 0;
	nulls[1] = actor ? ' ' : 'n';
	values[2] = PointerGetDatum(construct_array(clients, npairs, UUIDOID, UUID_LEN,
												false, TYPALIGN_CHAR));
	values[3] = PointerGetDatum(construct_array(trainers, npairs, UUIDOID, UUID_LEN,
												false, TYPALIGN_CHAR));
	values[4] = PointerGetDatum(construct_array(counts, npairs, JSONBOID, -1,
												false, TYPALIGN_INT));
	values[5] = PointerGetDatum(construct_array(details, npairs, JSONBOID, -1,
												false, TYPALIGN_INT));
	values[6] = PointerGetDatum(construct_array(totals, npairs, INT8OID, 8,
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[7] = reason;
	nulls[7] = reason_null ? 'n' : ' ';

	ctc_become(c, c->ext_owner, 0);
	SPI_connect();
	plan = ctc_cached_plan(psprintf(CTC_SQL_AUDIT_MANY, c->schema_quoted), 8, argtypes);
	rc = SPI_execute_plan(plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != (uint64) npairs)
		elog(ERROR, "writing the ct_cleanup audit rows failed: %s",
			 SPI_result_code_string(rc));
	for (int i = 0; i < npairs; i++)
	{
		bool		isnull;

		ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
											 SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	ctc_restore(c);
}
