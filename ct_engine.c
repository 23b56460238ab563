/*-------------------------------------------------------------------------
 *
 * ct_engine.c
 *		The engine: delete (or count) the registered rows of one or many
 *		pairs, with the locks, guard rails and retries around it.
 *
 * One engine serves ct_cleanup, ct_cleanup_many and both previews: the pairs
 * are passed as arrays to the per-rule statements of ct_statement.c, which
 * run one table at a time, children before parents, as the owner of the
 * registered tables (ctc_run_as: a security-restricted operation with
 * SECURITY_NOFORCE_RLS and a GUC nest level of its own, as PostgreSQL's
 * foreign-key actions run as the table owner).  A registry whose tables
 * reference each other in a cycle runs its one statement of CTEs instead.
 *
 * Counting.  Each DELETE counts its rows per pair.  Rows that a cleanup
 * removes without a rule matching them (rows of a registered table that an
 * ON DELETE CASCADE key removes when a parent goes: a third person's message
 * in the pair's conversation, or a row the application inserted meanwhile)
 * are found in the backend's transaction statistics and counted in the
 * table where they were removed.  For one pair they belong to it; in a
 * batch they cannot be given to a pair, so the batch is rolled back (its
 * subtransaction) and run again one pair at a time, which counts exactly
 * what single calls in the given order would.  A registry whose keys can
 * carry such rows from one pair's deletes to rows another pair's rule
 * matches (ctc_check_deferred) runs batches one pair at a time from the
 * start: there the order of the pairs decides which pair a row counts for.
 *
 * Locking and concurrency contract:
 *	- Pair locks: transaction-scoped advisory locks in a key space of their
 *	  own (CTC_LOCK_SPACE: no SQL function can take or hold them), waited
 *	  for at most ct_cleanup.lock_timeout.  Every cleanup first takes the
 *	  shared "ct_cleanup" key
 *	  (CTC_GLOBAL_KEY), then the exclusive key of each pair (hashes of the two
 *	  ids in sorted order, so (a, b) and (b, a) share it) in key order, so
 *	  that overlapping cleanups wait for each other instead of deadlocking.
 *	  A batch of more than CTC_MAX_PAIR_LOCKS distinct pairs takes the
 *	  global key exclusively instead, and no pair keys: the lock footprint of
 *	  any call is at most CTC_MAX_PAIR_LOCKS + 1 advisory locks, so that no
 *	  batch can fill the shared lock table; such a batch waits for, and
 *	  blocks, every other cleanup until it commits.  A second cleanup of the
 *	  same pair waits for the first to commit or abort, then sees its
 *	  deletes and removes nothing new.  Previews take no pair lock.
 *	- Tables: RowExclusiveLock on every registered table (AccessShareLock
 *	  for a preview), in registry processing order, before the registry is
 *	  trusted (ct_cache.c).  These conflict only with DDL.
 *	- Rows: the DELETEs lock the rows they remove; foreign-key checks run at
 *	  the end of each statement, as the referencing table's owner.
 *	- Races: in READ COMMITTED, a foreign-key violation on a registered table
 *	  through the key its rule follows (the application added a row that
 *	  references a row being deleted), a serialization failure or a deadlock
 *	  is retried in a fresh subtransaction, with a fresh snapshot, up to
 *	  CTC_MAX_ATTEMPTS times (after a deadlock, following a short pause); the
 *	  pair locks are held outside the subtransaction and survive a retry.  In
 *	  REPEATABLE READ and SERIALIZABLE only the whole transaction can retry:
 *	  such a race is raised as a serialization failure (40001), with the
 *	  foreign-key error as detail.  Query cancel and timeouts are never
 *	  retried.
 *	- Guard rails: while it locks tables and deletes, a cleanup runs with
 *	  lock_timeout = ct_cleanup.lock_timeout (unless the caller's is
 *	  shorter); a cleanup that deleted more than ct_cleanup.max_rows rows
 *	  fails after its statements, which rolls the deletes back.
 *
 * IDENTIFICATION
 *		ct_engine.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

/* How often a cleanup tries its statements in READ COMMITTED. */
#define CTC_MAX_ATTEMPTS	3

/* Pause before retrying after a deadlock, times the attempt number. */
#define CTC_DEADLOCK_PAUSE_MS	100

/* Most pair locks one call takes; a larger batch locks all cleanups out. */
#define CTC_MAX_PAIR_LOCKS	64

/* The shared key every cleanup holds: "ctcl", 0. */
#define CTC_GLOBAL_KEY1		0x6374636c
#define CTC_GLOBAL_KEY2		0

/* Advisory lock key space of the pair locks (SQL's functions use 1 and 2). */
#define CTC_LOCK_SPACE		3

/* GUC ct_cleanup.max_rows: most rows one cleanup may delete (0: no limit). */
static int	ctc_max_rows = 1000000;

/* GUC ct_cleanup.lock_timeout: longest lock wait of a cleanup, in ms. */
static int	ctc_lock_timeout = 5000;

/* An advisory lock key of a pair. */
typedef struct CtcPairKey
{
	int32		key1;
	int32		key2;
} CtcPairKey;

static void ctc_lock_pairs(const CtcPairs *pairs);
static void ctc_lock_key(int32 key1, int32 key2, LOCKMODE mode);
static void ctc_pair_lock_context(void *arg);
static int	ctc_pair_key_cmp(const void *a, const void *b);
static int	ctc_apply_lock_timeout(void);
static void ctc_pair_args(const CtcRegistry *reg, const Datum *clients,
						  const Datum *trainers, int n, bool preview, Datum *args);
static void ctc_count_pairs(const CtcRegistry *reg, Datum *args, int npairs,
							int64 *counts);
static void ctc_delete_with_retry(const CtcRegistry *reg, const CtcPairs *pairs,
								  Datum *args, int64 *counts);
static bool ctc_delete_pairs(const CtcRegistry *reg, const CtcPairs *pairs,
							 Datum *args, bool one_by_one, int64 *counts);
static void ctc_delete_once(const CtcRegistry *reg, Datum *args, int npairs,
							int64 *counts);
static void ctc_read_per_pair(int npairs, int nrules, int rule, int64 *counts);
static void ctc_count_deletions(const CtcRegistry *reg, int64 *deleted);
static bool ctc_add_cascaded(const CtcRegistry *reg, const int64 *before,
							 int npairs, int64 *counts);
static bool ctc_should_retry(ErrorData *edata, const CtcRegistry *reg,
							 int attempt);
static bool ctc_fk_error_is_race(ErrorData *edata, const CtcRegistry *reg);
static void ctc_pause(int ms);


/*
 * ctc_engine_init
 *		Define the guard rails; called once from _PG_init.  Both are ordinary
 *		user-settable GUCs, so that a DBA sets defaults with ALTER
 *		DATABASE/ROLE ... SET and an admin overrides them for one transaction
 *		with SET LOCAL.
 */
void
ctc_engine_init(void)
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
 * ctc_check_max_rows
 *		Refuse (54000) a cleanup that deleted more rows than
 *		ct_cleanup.max_rows allows.  Raised after the deletes, it rolls them
 *		back with the transaction: nothing is deleted.  The pair (of a
 *		single-pair call) or the number of pairs is named in the messages.
 */
void
ctc_check_max_rows(CtcCaller *c, const CtcPairs *pairs, int64 total)
{
	char	   *what;

	if (ctc_max_rows <= 0 || total <= ctc_max_rows)
		return;
	what = pairs->n == 1 ?
		psprintf("client %s and trainer %s", ctc_uuid_text(pairs->clients[0]),
				 ctc_uuid_text(pairs->trainers[0])) :
		psprintf("%d pairs", pairs->n);
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
 * ctc_run_pairs
 *		Clean up (or with preview, count) the registered rows of the pairs,
 *		and return the registry used; *counts receives
 *		counts[pair * nrules + rule].  The caller has checked the caller and
 *		the ids.  Takes the pair locks and the table locks (file header).
 */
const CtcRegistry *
ctc_run_pairs(CtcCaller *c, const CtcPairs *pairs, bool preview, int64 **counts)
{
	const CtcRegistry *reg;
	int			guc_level = -1;
	Datum		args[2];
	CtcRunAs	as;

	if (!preview)
	{
		guc_level = ctc_apply_lock_timeout();
		ctc_lock_pairs(pairs);
	}
	reg = ctc_get_registry(c, preview ? AccessShareLock : RowExclusiveLock);
	*counts = palloc0(sizeof(int64) * Max(reg->nrules, 1) * pairs->n);

	if (reg->nrules > 0)
	{
		ctc_pair_args(reg, pairs->clients, pairs->trainers, pairs->n, preview, args);
		ctc_run_as(&as, reg->owner, SECURITY_NOFORCE_RLS);
		SPI_connect();
		if (preview)
			ctc_count_pairs(reg, args, pairs->n, *counts);
		else
			ctc_delete_with_retry(reg, pairs, args, *counts);
		SPI_finish();
		ctc_run_as_end(&as);
	}
	if (guc_level >= 0)
		AtEOXact_GUC(false, guc_level);
	return reg;
}

/*
 * ctc_pair_key
 *		The advisory lock key of a pair: hashes of the two ids in sorted
 *		order, in the two-int4 key space, so that it cannot collide with an
 *		application's bigint advisory locks.  Symmetric in the two ids,
 *		because "either" rules make (a, b) and (b, a) delete the same rows.
 */
static CtcPairKey
ctc_pair_key(Datum client, Datum trainer)
{
	pg_uuid_t  *lo = DatumGetUUIDP(client);
	pg_uuid_t  *hi = DatumGetUUIDP(trainer);
	CtcPairKey	key;

	if (memcmp(lo->data, hi->data, UUID_LEN) > 0)
	{
		lo = DatumGetUUIDP(trainer);
		hi = DatumGetUUIDP(client);
	}
	key.key1 = (int32) hash_bytes(lo->data, UUID_LEN);
	key.key2 = (int32) hash_bytes(hi->data, UUID_LEN);
	return key;
}

/*
 * ctc_lock_pairs
 *		Take the pair locks of the file header: the global key shared and
 *		each distinct pair key in key order, or for a batch of more than
 *		CTC_MAX_PAIR_LOCKS distinct keys the global key alone, exclusively.
 *		The waits are bounded by ct_cleanup.lock_timeout like any other.
 */
static void
ctc_lock_pairs(const CtcPairs *pairs)
{
	CtcPairKey *keys = palloc(sizeof(CtcPairKey) * pairs->n);
	int			nkeys = 0;
	ErrorContextCallback context;

	for (int i = 0; i < pairs->n; i++)
		keys[i] = ctc_pair_key(pairs->clients[i], pairs->trainers[i]);
	qsort(keys, pairs->n, sizeof(CtcPairKey), ctc_pair_key_cmp);
	for (int i = 0; i < pairs->n; i++)
	{
		if (nkeys == 0 || ctc_pair_key_cmp(&keys[nkeys - 1], &keys[i]) != 0)
			keys[nkeys++] = keys[i];
	}

	context.callback = ctc_pair_lock_context;
	context.arg = NULL;
	context.previous = error_context_stack;
	error_context_stack = &context;
	if (nkeys > CTC_MAX_PAIR_LOCKS)
		ctc_lock_key(CTC_GLOBAL_KEY1, CTC_GLOBAL_KEY2, ExclusiveLock);
	else
	{
		ctc_lock_key(CTC_GLOBAL_KEY1, CTC_GLOBAL_KEY2, ShareLock);
		for (int i = 0; i < nkeys; i++)
		{
			CHECK_FOR_INTERRUPTS();
			ctc_lock_key(keys[i].key1, keys[i].key2, ExclusiveLock);
		}
	}
	error_context_stack = context.previous;
	pfree(keys);
}

/*
 * ctc_lock_key
 *		Take the transaction-scoped lock (key1, key2) in mode.  It is an
 *		advisory lock tag with a key space of its own (CTC_LOCK_SPACE, where
 *		SQL's advisory lock functions use 1 and 2), so that no session can
 *		take or hold it through pg_advisory_lock() to stall every cleanup.
 */
static void
ctc_lock_key(int32 key1, int32 key2, LOCKMODE mode)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) key1, (uint32) key2,
						 CTC_LOCK_SPACE);
	(void) LockAcquire(&tag, mode, false, false);
}

/*
 * ctc_pair_lock_context
 *		Error context while waiting for pair locks (a lock timeout, say).
 */
static void
ctc_pair_lock_context(void *arg)
{
	errcontext("waiting for another cleanup of the same pair, or for a batch of more than %d pairs, to end",
			   CTC_MAX_PAIR_LOCKS);
}

/*
 * ctc_pair_key_cmp
 *		qsort comparator of pair lock keys.
 */
static int
ctc_pair_key_cmp(const void *a, const void *b)
{
	const CtcPairKey *pa = (const CtcPairKey *) a;
	const CtcPairKey *pb = (const CtcPairKey *) b;

	if (pa->key1 != pb->key1)
		return pa->key1 < pb->key1 ? -1 : 1;
	if (pa->key2 != pb->key2)
		return pa->key2 < pb->key2 ? -1 : 1;
	return 0;
}

/*
 * ctc_apply_lock_timeout
 *		Make ct_cleanup.lock_timeout the lock_timeout of what follows, unless
 *		the caller's own is shorter; return the GUC nest level to pop with
 *		AtEOXact_GUC(false, ...), or -1 when nothing was set.  An error pops
 *		it too.
 */
static int
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
 * ctc_pair_args
 *		The parameters of the statements for pairs (clients[i], trainers[i]),
 *		i < n: the two uuids of one pair, or two uuid[] (also for one pair
 *		when a cyclic registry's cleanup runs its statement of CTEs).
 */
static void
ctc_pair_args(const CtcRegistry *reg, const Datum *clients, const Datum *trainers,
			  int n, bool preview, Datum *args)
{
	if (n == 1 && (preview || reg->delete_order != NULL))
	{
		args[0] = clients[0];
		args[1] = trainers[0];
		return;
	}
	args[0] = PointerGetDatum(construct_array((Datum *) clients, n, UUIDOID, UUID_LEN,
											  false, TYPALIGN_CHAR));
	args[1] = PointerGetDatum(construct_array((Datum *) trainers, n, UUIDOID, UUID_LEN,
											  false, TYPALIGN_CHAR));
}

/*
 * ctc_count_pairs
 *		The preview: count every rule's rows of the pairs, read-only, in the
 *		caller's snapshot.
 */
static void
ctc_count_pairs(const CtcRegistry *reg, Datum *args, int npairs, int64 *counts)
{
	CtcStatement statement = npairs == 1 ? CTC_COUNT_ONE : CTC_COUNT_MANY;

	for (int i = 0; i < reg->nrules; i++)
	{
		int			rc;
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		rc = SPI_execute_plan(ctc_registry_plan(reg, i, statement), args, NULL,
							  true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "counting the rows of %s failed: %s",
				 reg->rules[i].qualname, SPI_result_code_string(rc));
		if (npairs == 1)
			counts[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 1, &isnull));
		else
			ctc_read_per_pair(npairs, reg->nrules, i, counts);
		SPI_freetuptable(SPI_tuptable);
	}
}

/*
 * ctc_read_per_pair
 *		Store the (position, count) rows of SPI_tuptable as rule "rule"'s
 *		counts of each pair.
 */
static void
ctc_read_per_pair(int npairs, int nrules, int rule, int64 *counts)
{
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		bool		isnull;
		int64		pos = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));

		if (pos < 1 || pos > npairs)
			elog(ERROR, "ct_cleanup statement returned pair %lld of %d",
				 (long long) pos, npairs);
		counts[(pos - 1) * nrules + rule] =
			DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
	}
}

/*
 * ctc_delete_with_retry
 *		Delete the pairs' rows, each attempt in a subtransaction, retrying
 *		races with the application in READ COMMITTED (see the file header).
 */
static void
ctc_delete_with_retry(const CtcRegistry *reg, const CtcPairs *pairs,
					  Datum *args, int64 *counts)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		one_by_one = reg->cross_cascades;
	size_t		size = sizeof(int64) * reg->nrules * pairs->n;

	for (int attempt = 1;; attempt++)
	{
		ErrorData  *edata = NULL;
		volatile bool counted = false;

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			memset(counts, 0, size);
			counted = ctc_delete_pairs(reg, pairs, args, one_by_one, counts);
			if (counted)
				ReleaseCurrentSubTransaction();
			else
				RollbackAndReleaseCurrentSubTransaction();
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

		if (edata == NULL && counted)
			return;
		if (edata == NULL)
		{
			/* cascaded rows of a batch: again, one pair at a time */
			one_by_one = true;
			attempt--;
			continue;
		}
		if (!ctc_should_retry(edata, reg, attempt))
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
 * ctc_delete_pairs
 *		One attempt: delete the rows of all pairs together, or with
 *		one_by_one of each pair in turn, adding rows removed by cascades
 *		(file header).  Returns false when a batch's cascades removed rows
 *		that cannot be given to a pair: the caller rolls back and tries one
 *		by one.
 */
static bool
ctc_delete_pairs(const CtcRegistry *reg, const CtcPairs *pairs, Datum *args,
				 bool one_by_one, int64 *counts)
{
	int64	   *before = palloc(sizeof(int64) * reg->nrules);

	if (!one_by_one || pairs->n == 1)
	{
		ctc_count_deletions(reg, before);
		ctc_delete_once(reg, args, pairs->n, counts);
		return ctc_add_cascaded(reg, before, pairs->n, counts);
	}

	for (int p = 0; p < pairs->n; p++)
	{
		Datum		one[2];

		ctc_pair_args(reg, &pairs->clients[p], &pairs->trainers[p], 1, false, one);
		ctc_count_deletions(reg, before);
		ctc_delete_once(reg, one, 1, counts + (size_t) p * reg->nrules);
		(void) ctc_add_cascaded(reg, before, 1, counts + (size_t) p * reg->nrules);
	}
	return true;
}

/*
 * ctc_delete_once
 *		Run the DELETE of every rule for the pairs in args (children first),
 *		or the statement of CTEs of a cyclic registry, and store what each
 *		deleted per pair in counts[pair * nrules + rule].
 */
static void
ctc_delete_once(const CtcRegistry *reg, Datum *args, int npairs, int64 *counts)
{
	int			rc;

	if (reg->delete_order == NULL)
	{
		rc = SPI_execute_plan(ctc_registry_cycle_plan(reg), args, NULL, false, 0);
		if (rc != SPI_OK_SELECT || SPI_processed != (uint64) npairs)
			elog(ERROR, "ct_cleanup statement returned an unexpected result: %s",
				 SPI_result_code_string(rc));
		for (int row = 0; row < npairs; row++)
		{
			HeapTuple	tup = SPI_tuptable->vals[row];
			bool		isnull;

			for (int i = 0; i < reg->nrules; i++)
				counts[row * reg->nrules + i] =
					DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc,
												i + 2, &isnull));
		}
		SPI_freetuptable(SPI_tuptable);
		return;
	}

	for (int k = 0; k < reg->nrules; k++)
	{
		int			i = reg->delete_order[k];

		CHECK_FOR_INTERRUPTS();
		if (npairs == 1)
		{
			rc = SPI_execute_plan(ctc_registry_plan(reg, i, CTC_DELETE_ONE),
								  args, NULL, false, 0);
			if (rc != SPI_OK_DELETE)
				elog(ERROR, "deleting from %s failed: %s", reg->rules[i].qualname,
					 SPI_result_code_string(rc));
			counts[i] = (int64) SPI_processed;
			continue;
		}
		rc = SPI_execute_plan(ctc_registry_plan(reg, i, CTC_DELETE_MANY),
							  args, NULL, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "deleting from %s failed: %s", reg->rules[i].qualname,
				 SPI_result_code_string(rc));
		ctc_read_per_pair(npairs, reg->nrules, i, counts);
		SPI_freetuptable(SPI_tuptable);
	}
}

/*
 * ctc_count_deletions
 *		Rows deleted so far in this transaction from each registered table
 *		(summed over the leaves ctc_find_leaves chose, none for a table
 *		without ON DELETE CASCADE keys), from the backend's own statistics,
 *		into deleted[i].  Aborted subtransactions' deletions stay counted, so
 *		the numbers only grow.
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
 * ctc_add_cascaded
 *		Compare the statements' counts with the rows they actually removed
 *		("before" holds the deletions counted before them) and, for one pair,
 *		count the difference; return false when a batch removed rows that no
 *		count holds.  Without statistics (track_counts off), the counts of
 *		the statements stand.
 */
static bool
ctc_add_cascaded(const CtcRegistry *reg, const int64 *before, int npairs,
				 int64 *counts)
{
	int64	   *gone;

	if (!pgstat_track_counts)
		return true;

	gone = palloc(sizeof(int64) * reg->nrules);
	ctc_count_deletions(reg, gone);
	for (int i = 0; i < reg->nrules; i++)
	{
		int64		counted = 0;

		if (reg->rules[i].nleaves == 0)
			continue;
		gone[i] -= before[i];
		for (int p = 0; p < npairs; p++)
			counted += counts[p * reg->nrules + i];
		if (gone[i] <= counted)
			continue;
		if (npairs > 1)
			return false;
		counts[i] = gone[i];
	}
	pfree(gone);
	return true;
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
ctc_should_retry(ErrorData *edata, const CtcRegistry *reg, int attempt)
{
	switch (edata->sqlerrcode)
	{
		case ERRCODE_FOREIGN_KEY_VIOLATION:
			if (!ctc_fk_error_is_race(edata, reg))
				return false;
			break;
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
		case ERRCODE_T_R_DEADLOCK_DETECTED:
			break;
		case ERRCODE_LOCK_NOT_AVAILABLE:
			if (edata->hint == NULL)
				edata->hint = psprintf("The application held a lock the cleanup needed for longer than lock_timeout (%d ms; ct_cleanup.lock_timeout is %d ms). Retry later, or allow a longer wait for one transaction with SET LOCAL.",
									   LockTimeout, ctc_lock_timeout);
			return false;
		case ERRCODE_INSUFFICIENT_PRIVILEGE:
			if (edata->hint == NULL && edata->message != NULL &&
				strstr(edata->message, "deferred trigger") != NULL)
				edata->hint = pstrdup("A foreign key or constraint trigger of a table the cleanup deletes from was deferred in this transaction (SET CONSTRAINTS ... DEFERRED); the cleanup runs other people's triggers as a security-restricted operation, where PostgreSQL cannot fire deferred ones. Run SET CONSTRAINTS ALL IMMEDIATE before the cleanup.");
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
 * ctc_fk_error_is_race
 *		Can a foreign-key violation be a race with the application: is its
 *		referencing table registered (or a partition of a registered table),
 *		and is its key (or the key it was cloned from) the one the table's
 *		child rule follows?  When not, add a hint naming what to register.
 */
static bool
ctc_fk_error_is_race(ErrorData *edata, const CtcRegistry *reg)
{
	Oid			nsp;
	Oid			relid = InvalidOid;
	int			r;
	const CtcRule *rule;
	char	   *conname;

	if (edata->table_name == NULL)
		return true;
	nsp = edata->schema_name ? get_namespace_oid(edata->schema_name, true) : InvalidOid;
	if (OidIsValid(nsp))
		relid = get_relname_relid(edata->table_name, nsp);
	r = OidIsValid(relid) ? ctc_rule_of_relation(reg->rules, reg->nrules, relid) : -1;
	if (r < 0)
	{
		edata->hint = psprintf("Table %s references rows that the cleanup deletes but is not registered: register it with ct_cleanup_register_child(), or change its foreign key to ON DELETE CASCADE.",
							   quote_qualified_identifier(edata->schema_name,
														  edata->table_name));
		return false;
	}
	rule = &reg->rules[r];
	if (rule->kind != CTC_RULE_CHILD || edata->constraint_name == NULL)
		return true;
	conname = ctc_root_constraint_name(relid, edata->constraint_name);
	if (strcmp(conname, rule->fk_name) == 0)
		return true;

	/* not a race: the rule follows another foreign key */
	edata->hint = psprintf("Rows of %s reference rows the cleanup deletes through foreign key \"%s\", but its rule follows \"%s\": make that key ON DELETE CASCADE, or change the registration.",
						   rule->qualname, conname, rule->fk_name);
	return false;
}
