/*-------------------------------------------------------------------------
 *
 * ct_cleanup.c
 *		SQL entry points of one pair: ct_cleanup(), ct_cleanup_preview() and
 *		ct_cleanup_is_admin(); and the module's _PG_init.
 *
 * A cleanup, in order:
 *	1. records the caller (GetUserId() at entry; see ct_access.c) and refuses
 *	   a non-admin, a call inside a security-restricted operation, and a
 *	   function altered to SECURITY DEFINER (42501), then NULL ids (22004)
 *	   and client = trainer (22023), then ids missing from the configured
 *	   clients or trainers (P0002);
 *	2. takes the pair lock, locks every registered table and checks the
 *	   registry (latest committed state) against the catalogs;
 *	3. deletes as the owner of the registered tables, one table at a time,
 *	   children first, as a security-restricted operation (ct_engine.c):
 *	   triggers on those tables get no more rights than their owner has,
 *	   nothing they set or create outlives the call, and row-level security
 *	   hides no row from the cleanup;
 *	4. writes the audit row as the extension owner, in the same transaction,
 *	   so it exists exactly when the deletes committed, and returns the
 *	   counts.
 * A preview does 1, locks the tables with AccessShareLock, counts with the
 * same statements and writes nothing.  The locking and concurrency contract
 * is in the header of ct_engine.c.  Since 1.2 both return a fingerprint of
 * the rows (ct_fingerprint.c), a cleanup given its preview's fingerprint
 * deletes nothing unless the rows are the same, and with setting "receipts"
 * on a cleanup emits a receipt after its audit row (ct_audit.c).
 *
 * IDENTIFICATION
 *		ct_cleanup.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "ct_cleanup_compat.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(ct_cleanup);
PG_FUNCTION_INFO_V1(ct_cleanup_preview);
PG_FUNCTION_INFO_V1(ct_cleanup_is_admin);

static Datum ctc_run(FunctionCallInfo fcinfo, bool preview);
static Datum ctc_result(FunctionCallInfo fcinfo, const CtcOutcome *outcome,
						int64 audit_id, bool audit_null);


/*
 * _PG_init
 *		Define the guard-rail GUCs and register the invalidation callbacks.
 */
void
_PG_init(void)
{
	ctc_engine_init();
	MarkGUCPrefixReserved("ct_cleanup");
	ctc_access_init();
	ctc_cache_init();
}

/*
 * ct_cleanup(client uuid, trainer uuid, reason text DEFAULT NULL)
 *		RETURNS ct_cleanup_result
 * ct_cleanup(client uuid, trainer uuid, reason text, fingerprint text)
 *		RETURNS ct_cleanup_result (1.2)
 *
 * Delete every registered interaction row of the pair and write one audit
 * row (also when nothing matched).  Admins only.  NULL ids raise 22004,
 * client = trainer 22023; reason may be NULL.  Takes the pair lock and
 * RowExclusiveLock on every registered table (see ct_engine.c).  The
 * four-argument form deletes only if the rows are exactly those the preview
 * with this fingerprint counted, else nothing, raising UC001 without an
 * audit row (ct_fingerprint.c); a NULL fingerprint raises 22004, one that
 * ct_cleanup did not make 22023.
 */
Datum
ct_cleanup(PG_FUNCTION_ARGS)
{
	return ctc_run(fcinfo, false);
}

/*
 * ct_cleanup_preview(client uuid, trainer uuid) RETURNS ct_cleanup_result
 *
 * Count the rows ct_cleanup would delete now, deleting nothing and writing
 * no audit row; audit_id is NULL.  Admins only, same argument checks as
 * ct_cleanup.  Takes AccessShareLock on every registered table.
 */
Datum
ct_cleanup_preview(PG_FUNCTION_ARGS)
{
	return ctc_run(fcinfo, true);
}

/*
 * ct_cleanup_is_admin() RETURNS boolean
 *
 * Is the current user (GetUserId() where the function is called) a
 * superuser, does it have the privileges of the admin_role setting, or does
 * admin_check approve it?  Executable by PUBLIC, for use in row-level
 * security policies.
 */
Datum
ct_cleanup_is_admin(PG_FUNCTION_ARGS)
{
	CtcCaller	c;

	ctc_enter(fcinfo, &c);
	PG_RETURN_BOOL(ctc_caller_is_admin(&c, ctc_get_settings(&c)));
}

/*
 * ctc_run
 *		The body of ct_cleanup (both forms) and ct_cleanup_preview.
 */
static Datum
ctc_run(FunctionCallInfo fcinfo, bool preview)
{
	CtcCaller	c;
	const CtcSettings *settings;
	CtcPairs	pairs;
	Datum		ids[2];
	CtcOutcome *outcome;
	int64	   *audit_id;
	char	   *given = NULL;
	Datum		reason = (Datum) 0;
	bool		reason_null = true;

	settings = ctc_begin_pair(fcinfo, &c, ids);
	if (!preview)
	{
		reason = PG_GETARG_DATUM(2);
		reason_null = PG_ARGISNULL(2);
	}
	if (!preview && PG_NARGS() == 4)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("fingerprint must not be null"),
					 errhint("Pass the fingerprint column of ct_cleanup_preview() for this pair, or call ct_cleanup(client, trainer, reason) to delete whatever the pair has.")));
		given = text_to_cstring(PG_GETARG_TEXT_PP(3));
		ctc_check_fingerprint_text(given, 0);
	}
	pairs.n = 1;
	pairs.clients = &ids[0];
	pairs.trainers = &ids[1];
	(void) ctc_clean_pairs(&c, settings, &pairs, preview, &reason, &reason_null,
						   given ? &given : NULL, &outcome, &audit_id);
	if (!preview)
		ctc_notice_no_match(settings, ids[0], ids[1], outcome->total);
	return ctc_result(fcinfo, outcome, *audit_id, preview);
}

/*
 * ctc_result
 *		The ct_cleanup_result row of a single-pair call.
 */
static Datum
ctc_result(FunctionCallInfo fcinfo, const CtcOutcome *outcome, int64 audit_id,
		   bool audit_null)
{
	TupleDesc	tupdesc;
	Datum		values[CTC_RESULT_NATTS];
	bool		nulls[CTC_RESULT_NATTS];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	ctc_check_result_type(tupdesc);
	tupdesc = BlessTupleDesc(tupdesc);
	ctc_result_values(outcome, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1),
					  audit_id, audit_null, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
