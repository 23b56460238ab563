/*-------------------------------------------------------------------------
 *
 * ct_cleanup.c
 *		Remove every registered interaction row between one client and one
 *		trainer, in one statement, audited; or count what would be removed.
 *
 * A cleanup, in order:
 *	1. records the caller (GetUserId() at entry; see ct_access.c) and refuses
 *	   a non-admin, a call inside a security-restricted operation, and a
 *	   function altered to SECURITY DEFINER (42501), then NULL ids (22004)
 *	   and client = trainer (22023), then ids missing from the configured
 *	   clients or trainers (P0002);
 *	2. takes the pair lock;
 *	3. reads the registry as the extension owner and checks every rule
 *	   against the catalogs, locking each registered table;
 *	4. deletes as the owner of the registered tables (for one pair: one
 *	   DELETE per table, children before parents, which measured fastest;
 *	   for a batch, or when registered tables reference each other in a
 *	   cycle: one statement of data-modifying CTEs, ct_statement.c), with
 *	   SECURITY_NOFORCE_RLS, as
 *	   PostgreSQL's own foreign-key actions do: triggers on those tables get
 *	   no more rights than their owner has, and row-level security hides no
 *	   row from the cleanup;
 *	5. writes the audit row as the extension owner and returns the counts.
 * A preview does 1, 3 and 4 with SELECT in place of DELETE, and writes
 * nothing.
 *
 * Locking and concurrency contract:
 *	- Pair lock: a transaction-scoped advisory lock in the two-int4 key space,
 *	  keyed by hashes of the two ids in sorted order, taken before anything
 *	  else is read.  A second cleanup of the same pair (in either order) waits
 *	  for the first to commit or abort, then sees its deletes and removes
 *	  nothing new; cleanups of different pairs do not block each other.  The
 *	  preview takes no pair lock.
 *	- Tables: RowExclusiveLock on every registered table (AccessShareLock for
 *	  a preview), in registry processing order, before its catalog checks.
 *	  These do not conflict with application reads and writes, only with DDL.
 *	- Rows: the DELETEs lock the rows they remove; foreign-key checks of
 *	  NO ACTION children run at the end of the statement.
 *	- Races: in READ COMMITTED, when the statement fails with a foreign-key
 *	  violation on a registered table (the application added a row that
 *	  references a row being deleted), a serialization failure or a
 *	  deadlock, it is retried in a fresh subtransaction, with a fresh
 *	  snapshot, up to CTC_MAX_ATTEMPTS times (after a deadlock, following a
 *	  short pause); the pair lock is held outside the subtransaction and so
 *	  survives a retry.  Rows the statement removes without counting them
 *	  (late rows of an ON DELETE CASCADE child) are found in the backend's
 *	  transaction statistics and counted.  In REPEATABLE READ and
 *	  SERIALIZABLE only the whole transaction can retry: such a race is
 *	  raised as a serialization failure (40001), with the foreign-key error
 *	  as detail.  Query cancel and timeouts are never retried.
 *	- Guard rails: while it locks tables and deletes, a cleanup runs with
 *	  lock_timeout = ct_cleanup.lock_timeout (unless the caller's is
 *	  shorter), so it never queues behind an application lock indefinitely;
 *	  a cleanup that deleted more than ct_cleanup.max_rows rows fails after
 *	  its statement, which rolls the deletes back.
 *	- Audit: one row per cleanup, inserted in the cleanup's transaction, so it
 *	  exists exactly when the deletes committed.
 *
 * IDENTIFICATION
 *		ct_cleanup.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "pgstat.h"
#include "storage/proc.h"
#include "utils/elog.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(ct_cleanup);
PG_FUNCTION_INFO_V1(ct_cleanup_preview);
PG_FUNCTION_INFO_V1(ct_cleanup_is_admin);

/* How often a cleanup tries its statement in READ COMMITTED. */
#define CTC_MAX_ATTEMPTS	3

/* Pause before retrying after a deadlock, times the attempt number. */
#define CTC_DEADLOCK_PAUSE_MS	100


/* GUC ct_cleanup.max_rows: most rows one cleanup may delete (0: no limit). */
static int	ctc_max_rows = 1000000;

/* GUC ct_cleanup.lock_timeout: longest lock wait of a cleanup, in ms. */
static int	ctc_lock_timeout = 5000;

static Datum ctc_run(FunctionCallInfo fcinfo, bool preview);

static void ctc_check_pair(FunctionCallInfo fcinfo);
static void ctc_execute_once(SPIPlanPtr plan, Datum *args, bool read_only,
							 int nrules, int npairs, int64 *counts);
static void ctc_execute_with_retry(SPIPlanPtr plan, SPIPlanPtr *deletes,
								   Datum *args, const CtcRegistry *reg,
								   int npairs, int64 *counts);
static void ctc_execute_deletes(SPIPlanPtr *deletes, Datum *args,
								const CtcRegistry *reg, int64 *counts);
static bool ctc_should_retry(ErrorData *edata, CtcRule *rules, int nrules,
							 int attempt);
static void ctc_count_deletions(const CtcRegistry *reg, int64 *deleted);
static void ctc_reconcile_counts(const CtcRegistry *reg, const int64 *before,
								 int npairs, int64 *counts);
static void ctc_pause(int ms);
static CtcRule *ctc_rule_by_name(CtcRule *rules, int nrules,
								 const char *schema, const char *table);
static Datum ctc_result(FunctionCallInfo fcinfo, const CtcOutcome *outcome,
						int64 audit_id, bool audit_null);


/*
 * _PG_init
 *		Define the guard rails.  Both are ordinary user-settable GUCs, so
 *		that a DBA sets defaults with ALTER DATABASE/ROLE ... SET and an
 *		admin overrides them for one transaction with SET LOCAL.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("ct_cleanup.max_rows",
							"Most rows one cleanup may delete (0: no limit).",
							"A cleanup that would delete more fails with SQLSTATE 54000 and deletes nothing.",
							&ctc_max_rows, 1000000, 0, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ct_cleanup.lock_timeout",
							"Longest wait of a cleanup for a lock on application tables or rows (0: no limit of its own).",
							"Applied as lock_timeout while the cleanup locks and deletes, unless the caller's lock_timeout is shorter.",
							&ctc_lock_timeout, 5000, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	MarkGUCPrefixReserved("ct_cleanup");
	ctc_cache_init();
}

/*
 * ct_cleanup(client uuid, trainer uuid, reason text DEFAULT NULL)
 *		RETURNS ct_cleanup_result
 *
 * Delete every registered interaction row of the pair and write one audit
 * row (also when nothing matched).  Admins only.  NULL ids raise 22004,
 * client = trainer 22023; reason may be NULL.  Takes the pair lock and
 * RowExclusiveLock on every registered table (see the file header).
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
 * superuser, or does it have the privileges of the admin_role setting?
 * Executable by PUBLIC, for use in row-level security policies.
 */
Datum
ct_cleanup_is_admin(PG_FUNCTION_ARGS)
{
	CtcCaller	c;

	ctc_enter(fcinfo, &c);
	PG_RETURN_BOOL(ctc_caller_is_admin(&c));
}

/*
 * ctc_run
 *		The body of ct_cleanup and ct_cleanup_preview.
 */
static Datum
ctc_run(FunctionCallInfo fcinfo, bool preview)
{
	CtcCaller	c;
	const CtcRegistry *reg;
	int64	   *counts;
	Datum		pair[2];
	CtcOutcome	outcome;
	int64		audit_id = 0;
	int			guc_level;

	ctc_enter(fcinfo, &c);
	ctc_require_admin(&c, fcinfo, UUIDOID);
	ctc_check_pair(fcinfo);
	pair[0] = PG_GETARG_DATUM(0);
	pair[1] = PG_GETARG_DATUM(1);
	ctc_check_people(&c, "client", &pair[0], 1);
	ctc_check_people(&c, "trainer", &pair[1], 1);

	if (!preview)
		ctc_lock_pair(PG_GETARG_UUID_P(0), PG_GETARG_UUID_P(1));

	guc_level = preview ? -1 : ctc_apply_lock_timeout();
	reg = ctc_get_registry(&c, preview ? AccessShareLock : RowExclusiveLock);
	counts = palloc0(sizeof(int64) * Max(reg->nrules, 1));
	if (reg->nrules > 0)
		ctc_execute(&c, reg, preview ? reg->preview_sql : reg->cleanup_sql,
					UUIDOID, pair, preview, 1, counts);
	if (guc_level >= 0)
		AtEOXact_GUC(true, guc_level);

	ctc_summarize(reg->rules, reg->nrules, counts, &outcome);
	if (!preview)
		ctc_check_max_rows(&c, pair, 1, outcome.total);
	if (!preview)
		audit_id = ctc_write_audit(&c, pair[0], pair[1], PG_GETARG_DATUM(2),
								   PG_ARGISNULL(2), ctc_actor_id(&c), &outcome);
	return ctc_result(fcinfo, &outcome, audit_id, preview);
}

/*
 * ctc_apply_lock_timeout
 *		Make ct_cleanup.lock_timeout the lock_timeout of what follows, unless
 *		the caller's own is shorter; return the GUC nest level to pop with
 *		AtEOXact_GUC(), or -1 when nothing was set.  An error pops it too.
 */
int
ctc_apply_lock_timeout(void)
{
	int			level;

	if (ctc_lock_timeout <= 0 || (LockTimeout > 0 && LockTimeout <= ctc_lock_timeout))
		return -1;
	level = NewGUCNestLevel();
	(void) set_config_option("lock_timeout", psprintf("%d", ctc_lock_timeout),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	return level;
}

/*
 * ctc_check_max_rows
 *		Refuse (54000) a cleanup that deleted more rows than
 *		ct_cleanup.max_rows allows.  Raised after the statement, it rolls the
 *		deletes back with the transaction: nothing is deleted.  The pair (of
 *		a single-pair call) or the number of pairs is named in the messages.
 */
void
ctc_check_max_rows(CtcCaller *c, const Datum *pair, int npairs, int64 total)
{
	char	   *what;

	if (ctc_max_rows <= 0 || total <= ctc_max_rows)
		return;
	what = npairs == 1 ?
		psprintf("client %s and trainer %s", ctc_uuid_text(pair[0]),
				 ctc_uuid_text(pair[1])) :
		psprintf("%d pairs", npairs);
	ereport(LOG,
			(errmsg("%s refused for role \"%s\": %s would lose " INT64_FORMAT " rows, more than ct_cleanup.max_rows (%d)",
					c->fn_name, GetUserNameFromId(c->caller, false), what, total,
					ctc_max_rows)));
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("cleanup of %s would delete " INT64_FORMAT " rows, more than ct_cleanup.max_rows (%d)",
					what, total, ctc_max_rows),
			 errdetail("Nothing was deleted."),
			 errhint("To allow it for one transaction: BEGIN; SET LOCAL ct_cleanup.max_rows = " INT64_FORMAT "; SELECT * FROM %s(...); COMMIT;",
					 total, c->fn_name)));
}

/*
 * ctc_check_pair
 *		Refuse NULL ids (22004) and a client that is its own trainer (22023).
 */
static void
ctc_check_pair(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s id must not be null", PG_ARGISNULL(0) ? "client" : "trainer"),
				 errhint("Pass the ids of one client and one trainer.")));
	ctc_check_distinct(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1));
}

/*
 * ctc_check_distinct
 *		Refuse (22023) a client that is its own trainer.
 */
void
ctc_check_distinct(Datum client, Datum trainer)
{
	if (memcmp(DatumGetUUIDP(client)->data, DatumGetUUIDP(trainer)->data, UUID_LEN) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("client and trainer are the same id %s",
						ctc_uuid_text(client)),
				 errhint("Pass the ids of two different people.")));
}

/*
 * ctc_execute
 *		Run a registry statement as the owner of the registered tables: the
 *		single-pair form (argtype uuid, npairs 1) or the batch form (argtype
 *		uuid[]), filling counts[pair * nrules + rule].  A cleanup retries
 *		races in a subtransaction; a preview runs once, read-only.
 */
void
ctc_execute(CtcCaller *c, const CtcRegistry *reg, const char *sql, Oid argtype,
			Datum *args, bool preview, int npairs, int64 *counts)
{
	Oid			argtypes[2] = {argtype, argtype};
	SPIPlanPtr	plan;
	SPIPlanPtr *deletes = NULL;

	/* prepared as the owner too: parsing checks USAGE on the schemas */
	ctc_become(c, reg->owner, SECURITY_NOFORCE_RLS);
	SPI_connect();
	plan = ctc_cached_plan(sql, 2, argtypes);
	if (!preview && npairs == 1 && reg->delete_order != NULL)
	{
		deletes = palloc(sizeof(SPIPlanPtr) * reg->nrules);
		for (int i = 0; i < reg->nrules; i++)
			deletes[i] = ctc_cached_plan(reg->delete_sql[i], 2, argtypes);
	}
	if (preview)
		ctc_execute_once(plan, args, true, reg->nrules, npairs, counts);
	else
		ctc_execute_with_retry(plan, deletes, args, reg, npairs, counts);
	SPI_finish();
	ctc_restore(c);
}

/*
 * ctc_execute_deletes
 *		Run one DELETE per table for a single pair, children first, counting
 *		each table's rows.  Nothing is returned row by row, so memory does
 *		not grow with the pair.
 */
static void
ctc_execute_deletes(SPIPlanPtr *deletes, Datum *args, const CtcRegistry *reg,
					int64 *counts)
{
	for (int k = 0; k < reg->nrules; k++)
	{
		int			i = reg->delete_order[k];
		int			rc = SPI_execute_plan(deletes[i], args, NULL, false, 0);

		if (rc != SPI_OK_DELETE)
			elog(ERROR, "deleting from %s failed: %s", reg->rules[i].qualname,
				 SPI_result_code_string(rc));
		counts[i] = (int64) SPI_processed;
	}
}

/*
 * ctc_execute_once
 *		Execute the statement and copy its counts out: one row of nrules
 *		counts, or in the batch form (npairs > 1 or an array argument) one
 *		row per pair led by the pair's position.
 */
static void
ctc_execute_once(SPIPlanPtr plan, Datum *args, bool read_only, int nrules,
				 int npairs, int64 *counts)
{
	int			rc;
	bool		batch = SPI_getargtypeid(plan, 0) != UUIDOID;
	int			first = batch ? 2 : 1;

	rc = SPI_execute_plan(plan, args, NULL, read_only, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != (uint64) npairs ||
		SPI_tuptable->tupdesc->natts != nrules + first - 1)
		elog(ERROR, "ct_cleanup statement returned an unexpected result: %s",
			 SPI_result_code_string(rc));
	for (int row = 0; row < npairs; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		bool		isnull;
		int64		pos = batch ?
			DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull)) - 1 : 0;

		if (pos != row)
			elog(ERROR, "ct_cleanup statement returned pairs out of order");
		for (int i = 0; i < nrules; i++)
			counts[row * nrules + i] =
				DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc,
											first + i, &isnull));
	}
}

/*
 * ctc_execute_with_retry
 *		Execute the cleanup statement, or the DELETEs of a single pair, in a
 *		subtransaction, retrying races with the application in READ
 *		COMMITTED (see the file header).
 *
 * The counts of the CTEs miss rows the statement removes without returning
 * them: late rows of a registered ON DELETE CASCADE child, inserted after the
 * statement's snapshot and removed by the cascade.  The backend's transaction
 * statistics count every deletion, so for a single pair each table's count
 * is the larger of the two; in a batch, where such rows cannot be given to a
 * pair, the difference is treated as a race and retried.
 */
static void
ctc_execute_with_retry(SPIPlanPtr plan, SPIPlanPtr *deletes, Datum *args,
					   const CtcRegistry *reg, int npairs, int64 *counts)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	int64	   *before = palloc(sizeof(int64) * reg->nrules);

	for (int attempt = 1;; attempt++)
	{
		ErrorData  *edata = NULL;

		ctc_count_deletions(reg, before);
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			if (deletes != NULL)
				ctc_execute_deletes(deletes, args, reg, counts);
			else
				ctc_execute_once(plan, args, false, reg->nrules, npairs, counts);
			ctc_reconcile_counts(reg, before, npairs, counts);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		PG_END_TRY();

		if (edata == NULL)
			return;
		if (!ctc_should_retry(edata, reg->rules, reg->nrules, attempt))
			ReThrowError(edata);
		ereport(DEBUG1,
				(errmsg_internal("ct_cleanup retrying after attempt %d: %s",
								 attempt, edata->message)));

		/*
		 * A deadlock victim that retries at once usually forms the same
		 * deadlock again: give the application's transaction time to finish.
		 */
		if (edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED)
			ctc_pause(attempt * CTC_DEADLOCK_PAUSE_MS);
		FreeErrorData(edata);
	}
}

/*
 * ctc_count_deletions
 *		Rows deleted so far in this transaction from each registered table
 *		(summed over the leaves ctc_find_leaves chose, none for a table
 *		without ON DELETE CASCADE keys), from the backend's own statistics,
 *		into deleted[i].
 */
static void
ctc_count_deletions(const CtcRegistry *reg, int64 *deleted)
{
	for (int i = 0; i < reg->nrules; i++)
	{
		int64		n = 0;

		for (int j = 0; j < reg->rules[i].nleaves; j++)
			n += DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_deleted,
												   ObjectIdGetDatum(reg->rules[i].leaves[j])));
		deleted[i] = n;
	}
}

/*
 * ctc_reconcile_counts
 *		Compare the statement's counts with the rows it actually deleted
 *		(see ctc_execute_with_retry); "before" holds the deletions counted
 *		before the statement.
 */
static void
ctc_reconcile_counts(const CtcRegistry *reg, const int64 *before, int npairs,
					 int64 *counts)
{
	int64	   *gone;

	if (!pgstat_track_counts)
		return;					/* no statistics: the CTEs' counts stand */

	gone = palloc(sizeof(int64) * reg->nrules);
	ctc_count_deletions(reg, gone);
	for (int i = 0; i < reg->nrules; i++)
	{
		int64		counted = 0;

		gone[i] -= before[i];
		for (int p = 0; p < npairs; p++)
			counted += counts[p * reg->nrules + i];
		if (gone[i] <= counted)
			continue;
		if (npairs == 1)
			counts[i] = gone[i];
		else
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("rows of %s were removed by a cascade while the cleanup ran",
							reg->rules[i].qualname),
					 errdetail("The application added " INT64_FORMAT " rows that refer to rows being deleted.",
							   gone[i] - counted)));
	}
	pfree(gone);
}

/*
 * ctc_pause
 *		Sleep for ms milliseconds, staying responsive to cancellation.
 */
static void
ctc_pause(int ms)
{
	for (int i = 0; i < ms / 10; i++)
	{
		CHECK_FOR_INTERRUPTS();
		pg_usleep(10000L);
	}
}

/*
 * ctc_should_retry
 *		Is this error a race with the application that a new attempt with a
 *		fresh snapshot can resolve?  When not, add a hint that says what to
 *		do, for the caller to re-throw.
 */
static bool
ctc_should_retry(ErrorData *edata, CtcRule *rules, int nrules, int attempt)
{
	CtcRule    *rule;

	switch (edata->sqlerrcode)
	{
		case ERRCODE_FOREIGN_KEY_VIOLATION:
			if (edata->table_name == NULL)
				break;
			rule = ctc_rule_by_name(rules, nrules, edata->schema_name, edata->table_name);
			if (rule == NULL)
			{
				edata->hint = psprintf("Table %s references rows that the cleanup deletes but is not registered: register it with ct_cleanup_register_child(), or change its foreign key to ON DELETE CASCADE.",
									   quote_qualified_identifier(edata->schema_name,
																  edata->table_name));
				return false;
			}
			if (rule->kind == CTC_RULE_CHILD && edata->constraint_name != NULL &&
				strcmp(edata->constraint_name, rule->fk_name) != 0)
			{
				/* not a race: the rule follows another foreign key */
				edata->hint = psprintf("Rows of %s reference rows the cleanup deletes through foreign key \"%s\", but its rule follows \"%s\": make that key ON DELETE CASCADE, or change the registration.",
									   rule->qualname, edata->constraint_name, rule->fk_name);
				return false;
			}
			break;
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
		case ERRCODE_T_R_DEADLOCK_DETECTED:
			break;
		case ERRCODE_LOCK_NOT_AVAILABLE:
			if (edata->hint == NULL)
				edata->hint = psprintf("The application held a lock the cleanup needed for longer than lock_timeout (%d ms; ct_cleanup.lock_timeout is %d ms). Retry later, or allow a longer wait for one transaction with SET LOCAL.",
									   LockTimeout, ctc_lock_timeout);
			return false;
		default:
			return false;
	}

	if (IsolationUsesXactSnapshot())
	{
		/* report the race as what it is, so that clients retry it */
		if (edata->sqlerrcode == ERRCODE_FOREIGN_KEY_VIOLATION)
		{
			edata->detail = edata->detail ?
				psprintf("%s. %s", edata->message, edata->detail) :
				psprintf("%s.", edata->message);
			edata->message = pstrdup("could not remove the pair's interactions because of a concurrent change");
			edata->sqlerrcode = ERRCODE_T_R_SERIALIZATION_FAILURE;
		}
		edata->hint = pstrdup("Retry the whole transaction; ct_cleanup retries such races itself only in READ COMMITTED.");
		return false;
	}
	if (attempt >= CTC_MAX_ATTEMPTS)
	{
		if (edata->sqlerrcode == ERRCODE_FOREIGN_KEY_VIOLATION)
			edata->hint = psprintf("The cleanup failed %d times. If the application keeps adding rows for this pair, retry later; otherwise a row outside the registered rules references a row the cleanup deletes.",
								   attempt);
		else
			edata->hint = psprintf("The cleanup collided with the application's transactions %d times; retry later.",
								   attempt);
		return false;
	}
	return true;
}

/*
 * ctc_rule_by_name
 *		The rule of table schema.table, or NULL when it is not registered.
 */
static CtcRule *
ctc_rule_by_name(CtcRule *rules, int nrules, const char *schema, const char *table)
{
	for (int i = 0; i < nrules; i++)
	{
		char	   *relname = get_rel_name(rules[i].relid);
		char	   *nspname = get_namespace_name(get_rel_namespace(rules[i].relid));

		if (relname && nspname && strcmp(relname, table) == 0 &&
			(schema == NULL || strcmp(nspname, schema) == 0))
			return &rules[i];
	}
	return NULL;
}

/*
 * ctc_result_values
 *		The columns of a ct_cleanup_result row: the pair, the counts, details
 *		and audit id.
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
	if (tupdesc->natts != CTC_RESULT_NATTS)
		elog(ERROR, "ct_cleanup_result has %d columns, expected %d",
			 tupdesc->natts, CTC_RESULT_NATTS);
	tupdesc = BlessTupleDesc(tupdesc);
	ctc_result_values(outcome, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1),
					  audit_id, audit_null, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
