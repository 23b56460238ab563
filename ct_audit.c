/*-------------------------------------------------------------------------
 *
 * ct_audit.c
 *		Summing a cleanup's counts, writing its audit row, and the row-level
 *		security policy through which admins read the audit log.
 *
 * The audit log is append-only: a statement trigger (ENABLE ALWAYS) refuses
 * UPDATE, DELETE and TRUNCATE to every role but superusers, and only the
 * extension owner, as which this file inserts, holds INSERT.
 *
 * Readers are filtered by row-level security: admins see every row, others
 * none.  A policy created by the extension script would not be a member of
 * the extension, so pg_dump would dump it and the restore would fail on
 * "already exists".  Instead ctc_ensure_audit_policy() creates it the first
 * time a rule is registered or an audit row is written: a dump then carries
 * the policy as an ordinary object, and CREATE EXTENSION at restore does not
 * collide with it.  Until then there is no audit row to read.
 *
 * IDENTIFICATION
 *		ct_audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

#define CTC_AUDIT_POLICY	"ct_cleanup_audit_admins"

#define CTC_SQL_AUDIT \
	"INSERT INTO %s.ct_cleanup_audit (admin_role, actor_id, client_id," \
	" trainer_id, counts, details, total, reason)" \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
#define CTC_SQL_POLICY \
	"CREATE POLICY " CTC_AUDIT_POLICY " ON %1$s.ct_cleanup_audit" \
	" FOR SELECT USING ((SELECT %1$s.ct_cleanup_is_admin()))"

static bool ctc_audit_policy_exists(Oid audit_relid);


/*
 * ctc_summarize
 *		Sum per-rule counts into categories and the total, and format the
 *		counts and details as JSON text.
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
}

/*
 * ctc_write_audit
 *		Insert the audit row of one cleanup, as the extension owner, and
 *		return its id.  The admin_role column records the caller.
 */
int64
ctc_write_audit(CtcCaller *c, Datum client, Datum trainer, Datum reason,
				bool reason_null, const CtcOutcome *outcome)
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
	values[1] = (Datum) 0;
	values[2] = client;
	values[3] = trainer;
	values[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum(outcome->counts_json));
	values[5] = DirectFunctionCall1(jsonb_in, CStringGetDatum(outcome->details_json));
	values[6] = Int64GetDatum(outcome->total);
	values[7] = reason;
	if (reason_null)
		nulls[7] = 'n';

	ctc_ensure_audit_policy(c);

	ctc_become(c, c->ext_owner, 0);
	SPI_connect();
	plan = ctc_cached_plan(CTC_PLAN_AUDIT, psprintf(CTC_SQL_AUDIT, c->schema_quoted),
						   8, argtypes);
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
 * ctc_ensure_audit_policy
 *		Create the audit log's read policy if it does not exist yet (see the
 *		file header for why it is not in the extension script).
 *
 * Two first-time callers are serialized by the table lock CREATE POLICY
 * takes anyway; the existence check is repeated once the lock is held.
 */
void
ctc_ensure_audit_policy(CtcCaller *c)
{
	Oid			audit_relid = get_relname_relid("ct_cleanup_audit", c->ext_schema);

	if (!OidIsValid(audit_relid))
		elog(ERROR, "table ct_cleanup_audit of extension ct_cleanup is missing");
	if (ctc_audit_policy_exists(audit_relid))
		return;

	LockRelationOid(audit_relid, AccessExclusiveLock);
	if (ctc_audit_policy_exists(audit_relid))
		return;

	ctc_become(c, c->ext_owner, 0);
	SPI_connect();
	if (SPI_execute(psprintf(CTC_SQL_POLICY, c->schema_quoted), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "creating policy " CTC_AUDIT_POLICY " failed");
	SPI_finish();
	ctc_restore(c);
}

/*
 * ctc_audit_policy_exists
 *		Does the audit table have our read policy?  Reads pg_policy with a
 *		catalog snapshot, so a policy committed meanwhile is seen.
 */
static bool
ctc_audit_policy_exists(Oid audit_relid)
{
	Relation	rel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	bool		found;

	rel = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_policy_polrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(audit_relid));
	ScanKeyInit(&keys[1], Anum_pg_policy_polname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum(CTC_AUDIT_POLICY));
	scan = systable_beginscan(rel, PolicyPolrelidPolnameIndexId, true, NULL,
							  2, keys);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}
