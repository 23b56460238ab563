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
 *		Sum per-rule counts into categories and the total, and format the
 *		counts and details as JSON text (details also as jsonb).
 */
void
ctc_summarize(const CtcRule *rules, int nrules, const int64 *counts,
			  CtcOutcome *outcome)
{
	StringInfoData buf;

	memset(outcome->category_counts, 0, sizeof(outcome->category_counts));
	outcome->total = 0;
	for (int i = 0; i < nrules; i++)
	{
		outcome->category_counts[rules[i].category_index] += counts[i];
		outcome->total += counts[i];
	}

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < CTC_NUM_CATEGORIES; i++)
		appendStringInfo(&buf, "%s\"%s\": " INT64_FORMAT, i > 0 ? ", " : "",
						 ctc_category_names[i], outcome->category_counts[i]);
	appendStringInfoChar(&buf, '}');
	outcome->counts_json = buf.data;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < nrules; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, rules[i].qualname);
		appendStringInfo(&buf, ": " INT64_FORMAT, counts[i]);
	}
	appendStringInfoChar(&buf, '}');
	outcome->details_json = buf.data;
	outcome->details = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
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
	values[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum(outcome->counts_json));
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
		counts[i] = DirectFunctionCall1(jsonb_in, CStringGetDatum(outcomes[i].counts_json));
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
