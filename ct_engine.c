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
 * Counting.  Each DELETE counts its rows per pair (1.2: it returns their
 * identities, streamed to ctc_take_row, for the fingerprint).  Rows that a
 * cleanup removes without a statement returning them (rows of a registered
 * table that an ON DELETE CASCADE key or an application's trigger removes
 * when a parent goes: a third person's message in the pair's conversation,
 * or a row the application inserted meanwhile) are found in the backend's
 * transaction statistics of every partition of every registered table and
 * counted in the table where they were removed.  With identities kept, an
 * attempt that saw such rows is made again counting each pair's rows
 * first, so that the rows its rules matched keep their place in the
 * fingerprint (ctc_recover_rows).  For one pair they belong to it; in a
 * batch they cannot be given to a pair, so the batch is rolled back (its
 * subtransaction) and run again one pair at a time, which counts exactly
 * what single calls in the given order would.  A registry whose keys can
 * carry such rows from one pair's deletes to rows another pair's rule
 * matches (ctc_check_deferred) runs batches one pair at a time from the
 * start: there the order of the pairs decides which pair a row counts for.
 *
 * Aliases (1.2).  Before its statements, a call reads the second ids of its
 * clients and trainers from the alias sources (as each source's owner,
 * security-restricted, in the caller's snapshot) and passes every (client id,
 * trainer id) combination with its pair's position (ctc_expand_pairs); a
 * combination two pairs share belongs to the first.  Without aliases the
 * pairs are passed as they are.
 *
 * Several rules per table (1.2).  A table's paths (see CtcRule) are deleted
 * one after another, so a row goes with the first path that reaches it;
 * batches on such a registry run one pair at a time, which is what single
 * calls in the given order do (a row two pairs' paths match is the first
 * pair's).
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
 *	  retried.  A foreign-key violation through a key no rule follows (a
 *	  blocker, ctc_find_blockers) is a race only when its blocking rows are
 *	  new: each attempt registers the snapshot it began with, and if the
 *	  blocker's rows were already visible in it, the violation is a gap in
 *	  the registry, raised at once with a hint naming the key.
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
#include "catalog/partition.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

/* How often a cleanup tries its statements in READ COMMITTED. */
#define CTC_MAX_ATTEMPTS	3

/* Pause before retrying after a deadlock, times the attempt number. */
#define CTC_DEADLOCK_PAUSE_MS	100

/* Most (client, trainer) combinations of one call's pairs and aliases. */
#define CTC_MAX_EXPANDED	1000000

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

/*
 * Where the rows of one statement go (ctc_exec_path): its path, whether it
 * returns the pair's position and the path, the number of pairs, the
 * position of its first pair among the call's, the counts and the
 * identities (NULL: not kept).
 */
typedef struct CtcRowSink
{
	const CtcRegistry *reg;
	int			path;
	bool		has_pos;
	bool		has_path;
	int			npairs;
	int			pos_base;
	int64	   *counts;
	CtcRowIds  *ids;
} CtcRowSink;

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
static void ctc_count_pairs(const CtcRegistry *reg, Datum *args, bool single,
							int npairs, int pos_base, bool read_only, int64 *counts,
							CtcRowIds *ids);
static void ctc_delete_with_retry(const CtcRegistry *reg, const CtcPairs *pairs,
								  const CtcExpanded *exp, int64 *counts,
								  CtcRowIds *ids);
static bool ctc_delete_pairs(const CtcRegistry *reg, const CtcPairs *pairs,
							 const CtcExpanded *exp, bool one_by_one, bool precount,
							 int64 *counts, CtcRowIds *ids, volatile bool *need_precount,
							 volatile int *current);
static void ctc_precount(const CtcRegistry *reg, Datum *args, bool single, int npairs,
						 int pos_base, bool want, CtcRowIds *pre);
static bool ctc_unreturned_rows(const CtcRegistry *reg, bool extra, bool precount,
								CtcRowIds *ids, int64 first_row, CtcRowIds *pre,
								volatile bool *need_precount);
static void ctc_delete_once(const CtcRegistry *reg, Datum *args, bool single,
							int npairs, int pos_base, int64 *counts, CtcRowIds *ids);
static bool ctc_delete_counted(const CtcRegistry *reg, Datum *args, bool single,
							   int npairs, int pos_base, int64 *before, int64 *counts,
							   CtcRowIds *ids, bool precount, volatile bool *need_precount);
static void ctc_take_row(CtcRowSink *sink, Datum *values, bool *isnull);
static void ctc_exec_path(SPIPlanPtr plan, Datum *args, bool read_only,
						  CtcRowSink *sink);
static void ctc_sink(CtcRowSink *sink, const CtcRegistry *reg, int path,
					 bool has_pos, bool has_path, int npairs, int pos_base,
					 int64 *counts, CtcRowIds *ids);
static void ctc_read_per_pair(int npairs, int nrules, int rule, int64 *counts);
static void ctc_read_per_path(int npairs, int nrules, int64 *counts);
static void ctc_count_deletions(const CtcRegistry *reg, int64 *deleted);
static bool ctc_add_cascaded(const CtcRegistry *reg, const int64 *before,
							 int npairs, int64 *counts, bool *extra);
static bool ctc_should_retry(ErrorData *edata, const CtcRegistry *reg,
							 const CtcExpanded *exp, Snapshot before, int attempt,
							 const char *previous);
static bool ctc_fk_error_is_race(ErrorData *edata, const CtcRegistry *reg,
								 const CtcExpanded *exp, Snapshot before,
								 int attempt, const char *previous);
static int	ctc_blocker_of_error(const CtcRegistry *reg, Oid relid, const char *conname);
static bool ctc_error_key(ErrorData *edata, Oid *relid, char **conname);
static bool ctc_fk_followed(ErrorData *edata, const CtcRegistry *reg, Oid relid,
							const char *conname, bool again);
static char *ctc_blocker_hint(const CtcRegistry *reg, const CtcBlocker *blocker);
static bool ctc_single(const CtcRegistry *reg, const CtcExpanded *exp, bool preview);
static void ctc_expanded_pair(const CtcExpanded *exp, int pos, CtcExpanded *one);
static void ctc_read_aliases(const CtcRegistry *reg, int alias, Datum *ids, int n,
							 Datum **pairs, int *npairs);
static int	ctc_uuid_pair_cmp(const void *a, const void *b);
static void ctc_check_aliases(CtcCaller *c, const CtcRegistry *reg, Datum **lists,
							  int *nlists);
static bool ctc_alias_known(Datum **lists, int *nlists, Datum id, Datum person);
static int	ctc_expanded_cmp(const void *a, const void *b);
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
 * ctc_begin_pair
 *		The common start of the one-pair entry points (ct_cleanup,
 *		ct_cleanup_preview, ct_cleanup_explain): check the caller (admins
 *		only), refuse NULL ids (22004), a client who is the trainer (22023)
 *		and, with people sources, unknown ids (P0002); ids[] receives the
 *		pair and the return value is the settings.
 */
const CtcSettings *
ctc_begin_pair(FunctionCallInfo fcinfo, CtcCaller *c, Datum *ids)
{
	const CtcSettings *settings;

	ctc_enter(fcinfo, c);
	settings = ctc_get_settings(c);
	ctc_require_admin(c, settings, fcinfo, UUIDOID);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s id must not be null", PG_ARGISNULL(0) ? "client" : "trainer"),
				 errhint("Pass the ids of one client and one trainer.")));
	ids[0] = PG_GETARG_DATUM(0);
	ids[1] = PG_GETARG_DATUM(1);
	ctc_check_distinct(ids[0], ids[1]);
	ctc_check_people(c, settings, "client", &ids[0], 1);
	ctc_check_people(c, settings, "trainer", &ids[1], 1);
	return settings;
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
 *		counts[pair * nrules + rule], and ids (with a registry of
 *		has_fingerprint) the identities of the rows counted or deleted, for
 *		ctc_fingerprints().  The caller has checked the caller and the ids.
 *		Takes the pair locks and the table locks (file header).
 */
const CtcRegistry *
ctc_run_pairs(CtcCaller *c, const CtcPairs *pairs, bool preview, int64 **counts,
			  CtcRowIds *ids)
{
	const CtcRegistry *reg;
	int			guc_level = -1;
	Datum		args[3];
	CtcRunAs	as;
	CtcExpanded exp;

	if (!preview)
	{
		guc_level = ctc_apply_lock_timeout();
		ctc_lock_pairs(pairs);
	}
	reg = ctc_get_registry(c, preview ? AccessShareLock : RowExclusiveLock);
	*counts = palloc0(sizeof(int64) * Max(reg->nrules, 1) * pairs->n);

	if (reg->nrules > 0)
	{
		ctc_expand_pairs(c, reg, pairs, &exp);
		ctc_run_as(&as, reg->owner, SECURITY_NOFORCE_RLS);
		SPI_connect();
		if (preview)
		{
			bool		single = ctc_single(reg, &exp, true);

			ctc_pair_args(reg, &exp, single, args);
			ctc_count_pairs(reg, args, single, pairs->n, 0, true, *counts, ids);
			if (pairs->n == 1)
				ctc_warn_blockers(reg, &exp);
		}
		else
			ctc_delete_with_retry(reg, pairs, &exp, *counts, ids);
		SPI_finish();
		ctc_run_as_end(&as);
	}
	if (guc_level >= 0)
		AtEOXact_GUC(false, guc_level);
	return reg;
}

/*
 * ctc_explain_pairs
 *		For ct_cleanup_explain(): what a cleanup of the pairs would delete now
 *		through each path (*counts, as for ctc_run_pairs with preview) and
 *		the rows of each blocker (*blocker_rows, see ctc_count_blockers), in
 *		the caller's snapshot; returns the registry used.
 */
const CtcRegistry *
ctc_explain_pairs(CtcCaller *c, const CtcPairs *pairs, int64 **counts,
				  int64 **blocker_rows)
{
	const CtcRegistry *reg = ctc_get_registry(c, AccessShareLock);
	Datum		args[3];
	CtcRunAs	as;
	CtcExpanded exp;

	*counts = palloc0(sizeof(int64) * Max(reg->nrules, 1) * pairs->n);
	*blocker_rows = palloc0(sizeof(int64) * Max(reg->nblockers, 1));
	if (reg->nrules == 0)
		return reg;
	ctc_expand_pairs(c, reg, pairs, &exp);
	ctc_run_as(&as, reg->owner, SECURITY_NOFORCE_RLS);
	SPI_connect();
	ctc_pair_args(reg, &exp, ctc_single(reg, &exp, true), args);
	ctc_count_pairs(reg, args, ctc_single(reg, &exp, true), pairs->n, 0, true, *counts, NULL);
	ctc_count_blockers(reg, &exp, InvalidSnapshot, NULL, *blocker_rows);
	SPI_finish();
	ctc_run_as_end(&as);
	return reg;
}

/*
 * ctc_expand_pairs
 *		The pairs with their aliases (CtcExpanded): the second ids of each
 *		client and trainer read from every alias source of its kind, as the
 *		source's owner (a security-restricted operation, like the people
 *		sources), in the caller's snapshot.  Each (client, trainer) appears
 *		once, at the first pair that has it; a client id equal to a trainer
 *		id is left out.  A second id that is a person's own id is refused
 *		(ctc_check_aliases).
 */
void
ctc_expand_pairs(CtcCaller *c, const CtcRegistry *reg, const CtcPairs *pairs,
				 CtcExpanded *exp)
{
	Datum	   *lists[2] = {NULL, NULL};	/* (person, alias) uuid pairs */
	int			nlists[2] = {0, 0};
	int			max;

	for (int k = 0; k < reg->naliases; k++)
	{
		int			side = reg->aliases[k].trainer ? 1 : 0;

		ctc_read_aliases(reg, k, side ? pairs->trainers : pairs->clients,
						 pairs->n, &lists[side], &nlists[side]);
	}
	for (int side = 0; side < 2; side++)
		if (nlists[side] > 1)
			qsort(lists[side], nlists[side], 2 * sizeof(Datum), ctc_uuid_pair_cmp);
	exp->aliased = nlists[0] + nlists[1] > 0;
	if (exp->aliased)
		ctc_check_aliases(c, reg, lists, nlists);

	if (!exp->aliased)
	{
		exp->n = pairs->n;
		exp->clients = pairs->clients;
		exp->trainers = pairs->trainers;
		exp->positions = palloc(sizeof(Datum) * Max(pairs->n, 1));
		for (int i = 0; i < pairs->n; i++)
			exp->positions[i] = Int64GetDatum(i + 1);
		return;
	}

	max = pairs->n;
	exp->n = 0;
	exp->clients = palloc(sizeof(Datum) * max);
	exp->trainers = palloc(sizeof(Datum) * max);
	exp->positions = palloc(sizeof(Datum) * max);
	for (int i = 0; i < pairs->n; i++)
	{
		Datum		ids[2] = {pairs->clients[i], pairs->trainers[i]};
		List	   *sets[2];

		/* the pair's own ids, then their aliases (sorted by person) */
		for (int side = 0; side < 2; side++)
		{
			int			lo = 0;
			int			hi = nlists[side];

			sets[side] = list_make1(DatumGetPointer(ids[side]));
			while (lo < hi)		/* the first row of this person */
			{
				int			mid = (lo + hi) / 2;

				if (memcmp(DatumGetUUIDP(lists[side][2 * mid])->data,
						   DatumGetUUIDP(ids[side])->data, UUID_LEN) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (int j = lo; j < nlists[side] &&
				 memcmp(DatumGetUUIDP(lists[side][2 * j])->data,
						DatumGetUUIDP(ids[side])->data, UUID_LEN) == 0; j++)
				sets[side] = lappend(sets[side],
									 DatumGetPointer(lists[side][2 * j + 1]));
		}
		for (int a = 0; a < list_length(sets[0]); a++)
		{
			for (int b = 0; b < list_length(sets[1]); b++)
			{
				Datum		cl = PointerGetDatum(list_nth(sets[0], a));
				Datum		tr = PointerGetDatum(list_nth(sets[1], b));

				if (memcmp(DatumGetUUIDP(cl)->data, DatumGetUUIDP(tr)->data, UUID_LEN) == 0)
					continue;
				if (exp->n >= CTC_MAX_EXPANDED)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("the pairs and their aliases make more than %d (client, trainer) combinations",
									CTC_MAX_EXPANDED),
							 errdetail("Client %s has %d ids and trainer %s has %d, aliases included.",
									   ctc_uuid_text(ids[0]), list_length(sets[0]),
									   ctc_uuid_text(ids[1]), list_length(sets[1])),
							 errhint("Check the alias sources (SELECT * FROM ct_cleanup_aliases): a person should have a few second ids, not thousands; or clean up fewer pairs per call.")));
				if (exp->n == max)
				{
					max *= 2;
					exp->clients = repalloc(exp->clients, sizeof(Datum) * max);
					exp->trainers = repalloc(exp->trainers, sizeof(Datum) * max);
					exp->positions = repalloc(exp->positions, sizeof(Datum) * max);
				}
				exp->clients[exp->n] = cl;
				exp->trainers[exp->n] = tr;
				exp->positions[exp->n] = Int64GetDatum(i + 1);
				exp->n++;
			}
		}
	}

	/* each (client, trainer) once, at its first position */
	{
		Datum	   *keys = palloc(sizeof(Datum) * 3 * exp->n);
		int			kept = 0;

		for (int k = 0; k < exp->n; k++)
		{
			keys[3 * k] = exp->clients[k];
			keys[3 * k + 1] = exp->trainers[k];
			keys[3 * k + 2] = exp->positions[k];
		}
		qsort(keys, exp->n, 3 * sizeof(Datum), ctc_expanded_cmp);
		for (int k = 0; k < exp->n; k++)
		{
			if (kept > 0 && ctc_uuid_pair_cmp(&keys[3 * k], &keys[3 * (kept - 1)]) == 0)
				continue;		/* same pair at a later position */
			keys[3 * kept] = keys[3 * k];
			keys[3 * kept + 1] = keys[3 * k + 1];
			keys[3 * kept + 2] = keys[3 * k + 2];
			kept++;
		}
		for (int k = 0; k < kept; k++)
		{
			exp->clients[k] = keys[3 * k];
			exp->trainers[k] = keys[3 * k + 1];
			exp->positions[k] = keys[3 * k + 2];
		}
		exp->n = kept;
		pfree(keys);
	}
}

/*
 * ctc_check_aliases
 *		Refuse second ids that are not this call's people's alone: someone's
 *		own id (an alias source's person column, or the clients or trainers
 *		relation), or a second id that an alias source maps to another
 *		person.  Whoever can write an alias source could otherwise map
 *		another person's id to himself and have a cleanup of his own pair
 *		delete that person's rows.  lists[side] holds nlists[side] (person,
 *		alias) pairs, sorted.
 */
static void
ctc_check_aliases(CtcCaller *c, const CtcRegistry *reg, Datum **lists, int *nlists)
{
	int			n = nlists[0] + nlists[1];
	Datum	   *seconds = palloc(sizeof(Datum) * n);
	Datum		args[1];
	char	   *found = NULL;
	char	   *where = NULL;
	char	   *other = NULL;
	const CtcSettings *settings = ctc_get_settings(c);

	for (int side = 0, k = 0; side < 2; side++)
		for (int j = 0; j < nlists[side]; j++)
			seconds[k++] = lists[side][2 * j + 1];
	args[0] = PointerGetDatum(construct_array(seconds, n, UUIDOID, UUID_LEN, false,
											  TYPALIGN_CHAR));
	for (int k = 0; k < reg->naliases && found == NULL; k++)
	{
		CtcRunAs	as;

		ctc_run_as(&as, reg->aliases[k].owner, SECURITY_NOFORCE_RLS);
		SPI_connect();
		if (SPI_execute_plan(ctc_alias_plan(reg, k, true), args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "checking the aliases against %s failed", reg->aliases[k].qualname);
		for (uint64 row = 0; row < SPI_processed && found == NULL; row++)
		{
			HeapTuple	tup = SPI_tuptable->vals[row];
			bool		isnull;
			Datum		id = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
			Datum		person = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);

			if (!isnull && ctc_alias_known(lists, nlists, id, person))
				continue;		/* one of the mappings this call read */
			found = ctc_spi_strdup(SPI_getvalue(tup, SPI_tuptable->tupdesc, 1));
			if (isnull)
				where = psprintf("is a person's own id in alias source %s (column %s)",
								 reg->aliases[k].qualname,
								 quote_identifier(reg->aliases[k].person_column));
			else
			{
				other = ctc_spi_strdup(SPI_getvalue(tup, SPI_tuptable->tupdesc, 2));
				where = psprintf("is also the second id of person %s in alias source %s",
								 other, reg->aliases[k].qualname);
			}
		}
		SPI_finish();
		ctc_run_as_end(&as);
	}
	for (int side = 0; side < 2 && found == NULL; side++)
	{
		found = ctc_find_people(c, settings, side == 0 ? "client" : "trainer", seconds, n);
		if (found != NULL)
			where = psprintf("is a person's own id in the %s relation (setting \"%s\")",
							 side == 0 ? "clients" : "trainers", side == 0 ? "clients" : "trainers");
	}
	if (found != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("second id %s of a person in this call %s", found, where),
				 errdetail("A cleanup that took it for this call's person's id would delete another person's rows too. Nothing was deleted."),
				 errhint("Correct the alias source rows that map %s (SELECT * FROM ct_cleanup_aliases lists the sources), and let only trusted roles insert into or update alias sources.",
						 found)));
	pfree(seconds);
}

/*
 * ctc_alias_known
 *		Is (person, id) among the (person, alias) pairs this call read?
 */
static bool
ctc_alias_known(Datum **lists, int *nlists, Datum id, Datum person)
{
	for (int side = 0; side < 2; side++)
		for (int j = 0; j < nlists[side]; j++)
			if (memcmp(DatumGetUUIDP(lists[side][2 * j + 1])->data,
					   DatumGetUUIDP(id)->data, UUID_LEN) == 0 &&
				memcmp(DatumGetUUIDP(lists[side][2 * j])->data,
					   DatumGetUUIDP(person)->data, UUID_LEN) == 0)
				return true;
	return false;
}

/*
 * ctc_uuid_pair_cmp, ctc_expanded_cmp
 *		qsort comparators of (uuid, uuid) and (uuid, uuid, int8 position)
 *		Datum tuples: by the two uuids, then by position.
 */
static int
ctc_expanded_cmp(const void *a, const void *b)
{
	const Datum *x = (const Datum *) a;
	const Datum *y = (const Datum *) b;
	int			r = ctc_uuid_pair_cmp(a, b);

	if (r == 0 && DatumGetInt64(x[2]) != DatumGetInt64(y[2]))
		r = DatumGetInt64(x[2]) < DatumGetInt64(y[2]) ? -1 : 1;
	return r;
}

static int
ctc_uuid_pair_cmp(const void *a, const void *b)
{
	const Datum *x = (const Datum *) a;
	const Datum *y = (const Datum *) b;
	int			r = memcmp(DatumGetUUIDP(x[0])->data, DatumGetUUIDP(y[0])->data, UUID_LEN);

	if (r == 0)
		r = memcmp(DatumGetUUIDP(x[1])->data, DatumGetUUIDP(y[1])->data, UUID_LEN);
	return r;
}

/*
 * ctc_read_aliases
 *		Append to the array *pairs of *npairs (person, alias) uuid pairs the
 *		rows of alias source "alias" for the ids, read as the source's owner.
 */
static void
ctc_read_aliases(const CtcRegistry *reg, int alias, Datum *ids, int n,
				 Datum **pairs, int *npairs)
{
	const CtcAlias *a = &reg->aliases[alias];
	Datum		args[1];
	CtcRunAs	as;
	int			rc;
	MemoryContext cxt = CurrentMemoryContext;

	args[0] = PointerGetDatum(construct_array(ids, n, UUIDOID, UUID_LEN, false,
											  TYPALIGN_CHAR));
	ctc_run_as(&as, a->owner, SECURITY_NOFORCE_RLS);
	SPI_connect();
	rc = SPI_execute_plan(ctc_alias_plan(reg, alias, false), args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the aliases of %s failed: %s", a->qualname,
			 SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		int			total = *npairs + (int) SPI_processed;

		*pairs = *pairs == NULL ? palloc(sizeof(Datum) * 2 * total) :
			repalloc(*pairs, sizeof(Datum) * 2 * total);
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			for (int col = 0; col < 2; col++)
			{
				bool		isnull;
				pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

				memcpy(u, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[row],
													  SPI_tuptable->tupdesc, col + 1,
													  &isnull)), UUID_LEN);
				(*pairs)[2 * (*npairs) + col] = UUIDPGetDatum(u);
			}
			(*npairs)++;
		}
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	ctc_run_as_end(&as);
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
 * ctc_single
 *		Do the pairs run through the one-pair statements: one pair without
 *		aliases, unless a cyclic registry's cleanup runs its statement of
 *		CTEs, which takes the arrays.
 */
static bool
ctc_single(const CtcRegistry *reg, const CtcExpanded *exp, bool preview)
{
	return exp->n == 1 && !exp->aliased && (preview || reg->delete_order != NULL);
}

/*
 * ctc_pair_args
 *		The parameters of the statements for the expanded pairs: the two
 *		uuids of one pair (single), or the arrays of clients, trainers and
 *		positions.
 */
void
ctc_pair_args(const CtcRegistry *reg, const CtcExpanded *exp, bool single,
			  Datum *args)
{
	if (single)
	{
		args[0] = exp->clients[0];
		args[1] = exp->trainers[0];
		args[2] = (Datum) 0;
		return;
	}
	args[0] = PointerGetDatum(construct_array(exp->clients, exp->n, UUIDOID,
											  UUID_LEN, false, TYPALIGN_CHAR));
	args[1] = PointerGetDatum(construct_array(exp->trainers, exp->n, UUIDOID,
											  UUID_LEN, false, TYPALIGN_CHAR));
	args[2] = PointerGetDatum(construct_array(exp->positions, exp->n, INT8OID,
											  sizeof(int64), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
}

/*
 * ctc_expanded_pair
 *		The rows of pair position pos (from 1) of exp, as pair 1 of one.
 */
static void
ctc_expanded_pair(const CtcExpanded *exp, int pos, CtcExpanded *one)
{
	one->n = 0;
	one->aliased = exp->aliased;
	one->clients = palloc(sizeof(Datum) * Max(exp->n, 1));
	one->trainers = palloc(sizeof(Datum) * Max(exp->n, 1));
	one->positions = palloc(sizeof(Datum) * Max(exp->n, 1));
	for (int k = 0; k < exp->n; k++)
	{
		if (DatumGetInt64(exp->positions[k]) != pos)
			continue;
		one->clients[one->n] = exp->clients[k];
		one->trainers[one->n] = exp->trainers[k];
		one->positions[one->n] = Int64GetDatum(1);
		one->n++;
	}
}

/*
 * ctc_count_pairs
 *		The preview: count every path's rows of the pairs, read-only, in the
 *		caller's snapshot (and keep their identities in ids, if not NULL).
 *		A cleanup's count before its deletes passes read_only false: a fresh
 *		snapshot, which sees what the cleanup deleted for earlier pairs.
 */
static void
ctc_count_pairs(const CtcRegistry *reg, Datum *args, bool single, int npairs,
				int pos_base, bool read_only, int64 *counts, CtcRowIds *ids)
{
	CtcStatement statement = single ? CTC_COUNT_ONE :
		npairs == 1 ? CTC_COUNT_SMALL : CTC_COUNT_MANY;

	for (int i = 0; i < reg->nrules; i++)
	{
		CtcRowSink	sink;
		bool		table = reg->rules[reg->rules[i].first].npaths > 1;

		if (table && reg->rules[i].first != i)
			continue;			/* counted with the table's first path */
		ctc_sink(&sink, reg, i, !single || table, table, npairs, pos_base, counts, ids);
		ctc_exec_path(ctc_registry_plan(reg, i, statement), args, read_only, &sink);
	}
}

/*
 * ctc_sink
 *		Fill in a CtcRowSink.
 */
static void
ctc_sink(CtcRowSink *sink, const CtcRegistry *reg, int path, bool has_pos,
		 bool has_path, int npairs, int pos_base, int64 *counts, CtcRowIds *ids)
{
	sink->reg = reg;
	sink->path = path;
	sink->has_pos = has_pos;
	sink->has_path = has_path;
	sink->npairs = npairs;
	sink->pos_base = pos_base;
	sink->counts = counts;
	sink->ids = ids;
}

/*
 * ctc_count_blockers
 *		rows[b]: the rows of blocker b's table that a cleanup of the pairs
 *		would leave referencing the rows it deletes, read with snapshot (or
 *		the current one), for the blockers want[] asks for (NULL: all; the
 *		others get 0), or -1 when they cannot be counted (the table's
 *		owner cannot read the registered tables).  Runs as the owner of the
 *		registered tables (SPI connected), or of the blocker's table when it
 *		has another owner: the role a foreign-key check reads it as.
 */
void
ctc_count_blockers(const CtcRegistry *reg, const CtcExpanded *exp, Snapshot snapshot,
				   const bool *want, int64 *rows)
{
	Datum		args[3];
	bool		single = exp->n == 1 && !exp->aliased;

	ctc_pair_args(reg, exp, single, args);
	for (int b = 0; b < reg->nblockers; b++)
	{
		const CtcBlocker *blocker = &reg->blockers[b];
		bool		other = blocker->owner != reg->owner;
		int			rc;
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		rows[b] = 0;
		if (want != NULL && !want[b])
			continue;
		if (other)
		{
			/*
			 * Counting would read the registered tables as the blocker's
			 * owner (whose code, row-level security policies of the
			 * registered tables' owner included, would then run as it) or
			 * the blocker's table as the registered tables' owner: neither
			 * may run someone else's code.  Not counted.
			 */
			rows[b] = -1;
			continue;
		}
		if (snapshot != InvalidSnapshot)
			rc = SPI_execute_snapshot(ctc_blocker_plan(reg, b, !single), args, NULL,
									  snapshot, InvalidSnapshot, true, false, 0);
		else
			rc = SPI_execute_plan(ctc_blocker_plan(reg, b, !single), args, NULL, true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "counting the rows of %s that reference the pair's failed: %s",
				 blocker->qualname, SPI_result_code_string(rc));
		rows[b] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
		SPI_freetuptable(SPI_tuptable);
	}
}

/*
 * ctc_warn_blockers
 *		The preview's WARNING for each NO ACTION or RESTRICT foreign key that
 *		no rule follows and whose rows reference the pair's rows: the cleanup
 *		would fail on it.  Only ct_cleanup_preview() warns: counting every
 *		blocker for a batch would cost more than the batch's preview (for
 *		1000 pairs, measured 5.8 times its time); ct_cleanup_explain() does
 *		it pair by pair.
 */
void
ctc_warn_blockers(const CtcRegistry *reg, const CtcExpanded *exp)
{
	int64	   *rows;
	bool	   *want;
	bool		any = false;

	if (reg->nblockers == 0)
		return;
	rows = palloc(sizeof(int64) * reg->nblockers);
	want = palloc(sizeof(bool) * reg->nblockers);
	for (int b = 0; b < reg->nblockers; b++)
	{
		want[b] = reg->blockers[b].action == FKCONSTR_ACTION_NOACTION ||
			reg->blockers[b].action == FKCONSTR_ACTION_RESTRICT;
		any |= want[b];
	}
	if (!any)
		return;
	ctc_count_blockers(reg, exp, InvalidSnapshot, want, rows);
	for (int b = 0; b < reg->nblockers; b++)
	{
		const CtcBlocker *blocker = &reg->blockers[b];

		if (!want[b] || rows[b] == 0)
			continue;
		ereport(WARNING,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 rows[b] > 0 ?
				 errmsg_plural("a cleanup would fail: " INT64_FORMAT " row of %s references rows it deletes from %s through foreign key \"%s\"",
							   "a cleanup would fail: " INT64_FORMAT " rows of %s reference rows it deletes from %s through foreign key \"%s\"",
							   rows[b], rows[b], blocker->qualname,
							   reg->rules[blocker->parent].qualname, blocker->conname) :
				 errmsg("a cleanup may fail: rows of %s may reference rows it deletes from %s through foreign key \"%s\"",
						blocker->qualname, reg->rules[blocker->parent].qualname,
						blocker->conname),
				 errdetail("No rule follows that key, and it is ON DELETE %s.",
						   blocker->action == FKCONSTR_ACTION_RESTRICT ? "RESTRICT" : "NO ACTION"),
				 errhint("%s", ctc_blocker_hint(reg, blocker))));
	}
	pfree(rows);
	pfree(want);
}

/*
 * ctc_blocker_hint
 *		What to do about a blocker: register its table's rows, or keep them.
 */
static char *
ctc_blocker_hint(const CtcRegistry *reg, const CtcBlocker *blocker)
{
	return psprintf("To delete them with the pair's rows, run SELECT ct_cleanup_register_child(%s, %s, %s, %s); to keep them, make the key ON DELETE SET NULL.%s",
					quote_literal_cstr(blocker->category),
					quote_literal_cstr(blocker->qualname),
					quote_literal_cstr(reg->rules[blocker->parent].qualname),
					quote_literal_cstr(blocker->conname),
					reg->has_explain ? " SELECT * FROM ct_cleanup_explain(client, trainer) lists what blocks." : "");
}

/*
 * ctc_take_row
 *		One row of a statement with row identities (reg->has_fingerprint):
 *		[position,] [path,] tableoid, ctid, xmin.  Counted into
 *		counts[(position - 1) * nrules + path] and, when the sink has ids,
 *		kept there for pair pos_base + position.
 */
static void
ctc_take_row(CtcRowSink *sink, Datum *values, bool *isnull)
{
	const CtcRegistry *reg = sink->reg;
	int			col = (sink->has_pos ? 1 : 0) + (sink->has_path ? 1 : 0);
	int64		pos = sink->has_pos ? DatumGetInt64(values[0]) : 1;
	int			k = sink->has_path ? DatumGetInt32(values[sink->has_pos ? 1 : 0]) : sink->path;

	if (pos < 1 || pos > sink->npairs || k < 0 || k >= reg->nrules ||
		isnull[col] || isnull[col + 1] || isnull[col + 2])
		elog(ERROR, "ct_cleanup statement returned pair " INT64_FORMAT " of %d, path %d of %d",
			 pos, sink->npairs, k, reg->nrules);
	sink->counts[(pos - 1) * reg->nrules + k]++;
	if (sink->ids != NULL)
		ctc_row_ids_add(sink->ids, (int32) (sink->pos_base + pos), reg->rules[k].first,
						DatumGetObjectId(values[col]),
						(ItemPointer) DatumGetPointer(values[col + 1]),
						DatumGetTransactionId(values[col + 2]));
}

#if PG_VERSION_NUM >= 140000
/*
 * A DestReceiver that hands each row to ctc_take_row as the executor
 * produces it: a statement's rows are never kept (an SPI tuple table would
 * hold ~150 bytes per row), only their 24-byte identities.
 */
typedef struct CtcRowReceiver
{
	DestReceiver pub;
	CtcRowSink *sink;
} CtcRowReceiver;

static bool
ctc_receive_row(TupleTableSlot *slot, DestReceiver *self)
{
	slot_getallattrs(slot);
	ctc_take_row(((CtcRowReceiver *) self)->sink, slot->tts_values, slot->tts_isnull);
	return true;
}

static void
ctc_receiver_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
ctc_receiver_nothing(DestReceiver *self)
{
}
#endif

/*
 * ctc_exec_path
 *		Run the statement of path sink->path with args and store what it
 *		returns: with row identities through ctc_take_row (streamed, PG 14
 *		and later), else the counting forms of 1.0 and 1.1: (position, path,
 *		n), (position, n), one count, or a DELETE's row count.
 */
static void
ctc_exec_path(SPIPlanPtr plan, Datum *args, bool read_only, CtcRowSink *sink)
{
	const CtcRegistry *reg = sink->reg;
	int			rc;

	CHECK_FOR_INTERRUPTS();
	if (reg->has_fingerprint)
	{
#if PG_VERSION_NUM >= 140000
		SPIExecuteOptions options;
		CtcRowReceiver receiver;
		int			nargs = SPI_getargcount(plan);
		ParamListInfo params = makeParamList(nargs);

		for (int i = 0; i < nargs; i++)
		{
			params->params[i].value = args[i];
			params->params[i].isnull = false;
			params->params[i].pflags = PARAM_FLAG_CONST;
			params->params[i].ptype = SPI_getargtypeid(plan, i);
		}
		memset(&receiver, 0, sizeof(receiver));
		receiver.pub.receiveSlot = ctc_receive_row;
		receiver.pub.rStartup = ctc_receiver_startup;
		receiver.pub.rShutdown = ctc_receiver_nothing;
		receiver.pub.rDestroy = ctc_receiver_nothing;
		receiver.pub.mydest = DestTuplestore;	/* anything but DestNone/DestSPI */
		receiver.sink = sink;
		memset(&options, 0, sizeof(options));
		options.params = params;
		options.read_only = read_only;
		options.dest = &receiver.pub;
		rc = SPI_execute_plan_extended(plan, &options);
#else
		rc = SPI_execute_plan(plan, args, NULL, read_only, 0);
		for (uint64 row = 0; rc > 0 && row < SPI_processed; row++)
		{
			Datum		values[5];
			bool		isnull[5];
			int			natts = Min(SPI_tuptable->tupdesc->natts, 5);

			for (int col = 0; col < natts; col++)
				values[col] = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
											col + 1, &isnull[col]);
			ctc_take_row(sink, values, isnull);
		}
		SPI_freetuptable(SPI_tuptable);
#endif
		if (rc != SPI_OK_SELECT && rc != SPI_OK_DELETE_RETURNING)
			elog(ERROR, "the statement of %s failed: %s", reg->rules[sink->path].qualname,
				 SPI_result_code_string(rc));
		return;
	}

	rc = SPI_execute_plan(plan, args, NULL, read_only, 0);
	if (rc == SPI_OK_DELETE && !sink->has_pos)
		sink->counts[sink->path] = (int64) SPI_processed;
	else if (rc != SPI_OK_SELECT)
		elog(ERROR, "the statement of %s failed: %s", reg->rules[sink->path].qualname,
			 SPI_result_code_string(rc));
	else if (sink->has_path)
		ctc_read_per_path(sink->npairs, reg->nrules, sink->counts);
	else if (sink->has_pos)
		ctc_read_per_pair(sink->npairs, reg->nrules, sink->path, sink->counts);
	else
	{
		bool		isnull;

		sink->counts[sink->path] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
															   SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * ctc_read_per_path
 *		Store the (position, path, count) rows of SPI_tuptable (the counting
 *		statement of a table with several paths) in counts.
 */
static void
ctc_read_per_path(int npairs, int nrules, int64 *counts)
{
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		bool		isnull;
		int64		pos = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		int			path = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));

		if (pos < 1 || pos > npairs || path < 0 || path >= nrules)
			elog(ERROR, "ct_cleanup statement returned pair " INT64_FORMAT " of %d, path %d of %d",
				 pos, npairs, path, nrules);
		counts[(pos - 1) * nrules + path] =
			DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull));
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
 *		Each attempt registers the snapshot it starts from, to tell a race
 *		from a registry gap (ctc_fk_error_is_race).  An attempt that saw
 *		rows go that no statement returned starts again: a batch one pair at
 *		a time, and (with row identities) each pair counted before its
 *		deletes, so that rows its rules match that a cascade or trigger
 *		removed first keep their place in the fingerprint (ctc_recover_rows).
 */
static void
ctc_delete_with_retry(const CtcRegistry *reg, const CtcPairs *pairs,
					  const CtcExpanded *exp, int64 *counts, CtcRowIds *ids)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		one_by_one = reg->cross_cascades || reg->multi_path;
	bool		precount = false;
	size_t		size = sizeof(int64) * reg->nrules * pairs->n;

	char	   *previous = NULL;	/* constraint of the last 23503 */

	for (int attempt = 1;; attempt++)
	{
		ErrorData  *edata = NULL;
		volatile bool counted = false;
		volatile bool need_precount = false;
		volatile int current = -1;
		Snapshot	before = RegisterSnapshot(GetTransactionSnapshot());
		CtcExpanded failed;

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			memset(counts, 0, size);
			if (ids != NULL)
				ids->n = 0;
			counted = ctc_delete_pairs(reg, pairs, exp, one_by_one, precount, counts, ids,
									   &need_precount, &current);
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

		if (edata == NULL)
			UnregisterSnapshot(before);
		if (edata == NULL && counted)
			return;
		if (edata == NULL)
		{
			/* rows went that no statement returned: again, as the header says */
			if (need_precount)
				precount = true;
			else
				one_by_one = true;
			ereport(DEBUG1,
					(errmsg_internal("ct_cleanup attempt %d again %s: rows went that no statement returned",
									 attempt, need_precount ? "counting first" : "one pair at a time")));
			attempt--;
			continue;
		}
		/* one pair at a time: the pair whose deletes failed is judged */
		if (current >= 0)
			ctc_expanded_pair(exp, current + 1, &failed);
		else
			failed = *exp;
		if (!ctc_should_retry(edata, reg, &failed, before, attempt, previous))
		{
			UnregisterSnapshot(before);
			ReThrowError(edata);
		}
		UnregisterSnapshot(before);
		previous = edata->sqlerrcode == ERRCODE_FOREIGN_KEY_VIOLATION &&
			edata->constraint_name ? pstrdup(edata->constraint_name) : NULL;
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
 *		(file header); with precount, each pair's rows are counted first
 *		(ctc_delete_counted).  Returns false when the attempt must start
 *		again: a batch's cascades removed rows that cannot be given to a
 *		pair (try one by one), or rows went that no statement returned and
 *		the pairs were not counted first (*need_precount).  *current is the
 *		index of the pair being deleted one by one (-1: all together), for
 *		the caller to judge an error by.
 */
static bool
ctc_delete_pairs(const CtcRegistry *reg, const CtcPairs *pairs,
				 const CtcExpanded *exp, bool one_by_one, bool precount,
				 int64 *counts, CtcRowIds *ids, volatile bool *need_precount,
				 volatile int *current)
{
	int64	   *before = palloc(sizeof(int64) * reg->nrules);
	Datum		args[3];

	if (!one_by_one || pairs->n == 1)
	{
		bool		single = ctc_single(reg, exp, false);

		ctc_pair_args(reg, exp, single, args);
		return ctc_delete_counted(reg, args, single, pairs->n, 0, before, counts, ids,
								  precount, need_precount);
	}

	for (int p = 0; p < pairs->n; p++)
	{
		CtcExpanded one;
		bool		single;
		bool		extra = false;
		int64		first_row = ids ? ids->n : 0;
		CtcRowIds	pre;

		*current = p;
		ctc_expanded_pair(exp, p + 1, &one);
		if (one.n == 0)
			continue;			/* every (client, trainer) went to an earlier pair */
		single = ctc_single(reg, &one, false);
		ctc_pair_args(reg, &one, single, args);
		ctc_precount(reg, args, single, 1, p, precount && ids != NULL, &pre);
		ctc_count_deletions(reg, before);
		ctc_delete_once(reg, args, single, 1, p, counts + (size_t) p * reg->nrules, ids);
		(void) ctc_add_cascaded(reg, before, 1, counts + (size_t) p * reg->nrules, &extra);
		if (!ctc_unreturned_rows(reg, extra, precount, ids, first_row, &pre, need_precount))
			return false;
	}
	return true;
}

/*
 * ctc_precount
 *		With want, the identities of the rows the pairs' rules match now,
 *		before the deletes, in *pre (for pairs pos_base + 1, ...); else an
 *		empty *pre.
 */
static void
ctc_precount(const CtcRegistry *reg, Datum *args, bool single, int npairs,
			 int pos_base, bool want, CtcRowIds *pre)
{
	int64	   *ignored;

	ctc_row_ids_init(pre);
	if (!want)
		return;
	ignored = palloc0(sizeof(int64) * reg->nrules * npairs);
	ctc_count_pairs(reg, args, single, npairs, pos_base, false, ignored, pre);
	pfree(ignored);
}

/*
 * ctc_unreturned_rows
 *		After a pair's deletes, when rows went that no statement returned
 *		(extra) and identities are kept: without a count before the deletes
 *		(precount), ask for another attempt with one (false, with
 *		*need_precount); with one, give back the rows counted before that
 *		this transaction deleted (a cascade or trigger removed them before
 *		their own DELETE ran).  Rows nothing matched stay unknown: their
 *		count tells the fingerprint they went.
 */
static bool
ctc_unreturned_rows(const CtcRegistry *reg, bool extra, bool precount, CtcRowIds *ids,
					int64 first_row, CtcRowIds *pre, volatile bool *need_precount)
{
	if (!extra || ids == NULL || !reg->has_fingerprint)
		return true;
	if (!precount)
	{
		*need_precount = true;
		return false;
	}
	ctc_recover_rows(ids, first_row, pre);
	return true;
}

/*
 * ctc_delete_counted
 *		Delete the pairs in args (pairs pos_base + 1, ...), count rows
 *		removed by cascades (returns false when a batch's cannot be given to
 *		a pair, ctc_add_cascaded, or another attempt must count first,
 *		ctc_unreturned_rows), and for one pair give the rows a cascade
 *		removed in a table of several paths to the path that matched them:
 *		counted before the deletes (the table's counting statement), a row
 *		one path's DELETE cascaded away from under another path stays that
 *		path's.
 */
static bool
ctc_delete_counted(const CtcRegistry *reg, Datum *args, bool single, int npairs,
				   int pos_base, int64 *before, int64 *counts, CtcRowIds *ids,
				   bool precount, volatile bool *need_precount)
{
	int64	   *pre = NULL;
	int64	   *stmt;
	bool		ok;
	bool		extra = false;
	int64		first_row = ids ? ids->n : 0;
	CtcRowIds	pre_ids;

	ctc_precount(reg, args, single, npairs, pos_base, precount && ids != NULL, &pre_ids);
	if (npairs == 1 && reg->multi_path)
	{
		pre = palloc0(sizeof(int64) * reg->nrules);
		for (int i = 0; i < reg->nrules; i++)
		{
			CtcRowSink	sink;

			if (reg->rules[i].first != i || reg->rules[i].npaths < 2 ||
				!reg->rules[i].cascades)
				continue;
			ctc_sink(&sink, reg, i, true, true, 1, 0, pre, NULL);
			ctc_exec_path(ctc_registry_plan(reg, i, single ? CTC_COUNT_ONE : CTC_COUNT_SMALL),
						  args, true, &sink);
		}
	}
	ctc_count_deletions(reg, before);
	ctc_delete_once(reg, args, single, npairs, pos_base, counts, ids);
	if (pre == NULL)
	{
		ok = ctc_add_cascaded(reg, before, npairs, counts, &extra);
		return ok && ctc_unreturned_rows(reg, extra, precount, ids, first_row, &pre_ids,
										 need_precount);
	}
	stmt = palloc(sizeof(int64) * reg->nrules);
	memcpy(stmt, counts, sizeof(int64) * reg->nrules);
	ok = ctc_add_cascaded(reg, before, npairs, counts, &extra);
	for (int i = 0; i < reg->nrules; i++)
	{
		int64		total = 0;
		int64		attributed = 0;

		if (reg->rules[i].first != i || reg->rules[i].npaths < 2 ||
			!reg->rules[i].cascades)
			continue;
		for (int j = i; j < reg->nrules; j++)
			if (reg->rules[j].first == i)
			{
				total += counts[j];
				attributed += Max(stmt[j], pre[j]);
			}
		if (attributed > total)
			continue;			/* rows vanished meanwhile: keep the statements' */
		for (int j = i; j < reg->nrules; j++)
			if (reg->rules[j].first == i)
				counts[j] = Max(stmt[j], pre[j]);
		counts[i] += total - attributed;
	}
	return ok && ctc_unreturned_rows(reg, extra, precount, ids, first_row, &pre_ids,
									 need_precount);
}

/*
 * ctc_delete_once
 *		Run the DELETE of every path for the pairs in args (children first),
 *		or the statement of CTEs of a cyclic registry, and store what each
 *		deleted per pair in counts[pair * nrules + path], and the rows in
 *		ids (for pairs pos_base + 1, ...) when not NULL.
 */
static void
ctc_delete_once(const CtcRegistry *reg, Datum *args, bool single, int npairs,
				int pos_base, int64 *counts, CtcRowIds *ids)
{
	int			rc;
	CtcRowSink	sink;

	if (reg->delete_order == NULL && reg->has_fingerprint)
	{
		ctc_sink(&sink, reg, 0, true, true, npairs, pos_base, counts, ids);
		ctc_exec_path(ctc_registry_cycle_plan(reg), args, false, &sink);
		return;
	}
	if (reg->delete_order == NULL)
	{
		rc = SPI_execute_plan(ctc_registry_cycle_plan(reg), args, NULL, false, 0);
		if (rc != SPI_OK_SELECT || SPI_processed > (uint64) npairs)
			elog(ERROR, "ct_cleanup statement returned an unexpected result: %s",
				 SPI_result_code_string(rc));
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			HeapTuple	tup = SPI_tuptable->vals[row];
			bool		isnull;
			int64		pos = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc,
														  1, &isnull));

			if (pos < 1 || pos > npairs)
				elog(ERROR, "ct_cleanup statement returned pair " INT64_FORMAT " of %d",
					 pos, npairs);
			for (int i = 0; i < reg->nrules; i++)
				counts[(pos - 1) * reg->nrules + i] =
					DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc,
												i + 2, &isnull));
		}
		SPI_freetuptable(SPI_tuptable);
		return;
	}

	for (int k = 0; k < reg->nrules; k++)
	{
		int			i = reg->delete_order[k];

		ctc_sink(&sink, reg, i, !single, false, npairs, pos_base, counts, ids);
		ctc_exec_path(ctc_registry_plan(reg, i, single ? CTC_DELETE_ONE :
										npairs == 1 ? CTC_DELETE_SMALL : CTC_DELETE_MANY),
					  args, false, &sink);
	}
}

/*
 * ctc_count_deletions
 *		Rows deleted so far in this transaction from each registered table
 *		(summed over its leaves, ctc_find_leaves), from the backend's own
 *		statistics, into deleted[i].  Aborted subtransactions' deletions
 *		stay counted, so the numbers only grow.
 */
static void
ctc_count_deletions(const CtcRegistry *reg, int64 *deleted)
{
	for (int i = 0; i < reg->nrules; i++)
	{
		int64		n = 0;

		if (reg->rules[i].first != i)
			continue;			/* read at the table's first path */
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
 *		count the difference; *extra tells that there was one.  Returns
 *		false when a batch removed rows that no count holds.  Without
 *		statistics (track_counts off), the counts of the statements stand.
 */
static bool
ctc_add_cascaded(const CtcRegistry *reg, const int64 *before, int npairs,
				 int64 *counts, bool *extra)
{
	int64	   *gone;

	if (!pgstat_track_counts)
		return true;

	gone = palloc(sizeof(int64) * reg->nrules);
	ctc_count_deletions(reg, gone);
	for (int i = 0; i < reg->nrules; i++)
	{
		int64		counted = 0;

		/* a table's paths share its statistics: once, at its first path */
		if (reg->rules[i].first != i)
			continue;
		gone[i] -= before[i];
		for (int p = 0; p < npairs; p++)
			for (int j = i; j < reg->nrules; j++)
				if (reg->rules[j].first == i)
					counted += counts[p * reg->nrules + j];
		if (gone[i] <= counted)
			continue;
		*extra = true;
		if (npairs > 1)
			return false;
		counts[i] += gone[i] - counted;
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
ctc_should_retry(ErrorData *edata, const CtcRegistry *reg, const CtcExpanded *exp,
				 Snapshot before, int attempt, const char *previous)
{
	switch (edata->sqlerrcode)
	{
		case ERRCODE_FOREIGN_KEY_VIOLATION:
			if (!ctc_fk_error_is_race(edata, reg, exp, before, attempt, previous))
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
			edata->hint = psprintf("The cleanup failed %d times: the application kept adding rows for this pair that reference rows the cleanup deletes. Retry later.",
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
 *		Can a foreign-key violation be a race with the application?  When
 *		the key is one a rule follows, yes: its rows that were there were
 *		deleted, so the blocking row is new.  When no rule follows it (a
 *		blocker, ctc_find_blockers) and its rows were already there in the
 *		snapshot the attempt began with, no: that is a gap in the registry,
 *		which a retry cannot fix.  Otherwise a new row blocked (a race).
 *		When not a race, add a hint naming the key and what to register.
 *		The same key failing on the last attempt as on the one before is
 *		taken for a gap too (rows a cascade removes with the pair's); not
 *		earlier, because an application that keeps adding rows for a busy
 *		pair makes the same key fail twice in a row as well (measured under
 *		load: one cleanup in 19 000).
 */
static bool
ctc_fk_error_is_race(ErrorData *edata, const CtcRegistry *reg,
					 const CtcExpanded *exp, Snapshot before, int attempt,
					 const char *previous)
{
	Oid			relid;
	char	   *conname;
	int			b;
	const CtcBlocker *blocker;
	bool		again;

	if (!ctc_error_key(edata, &relid, &conname))
		return true;
	again = attempt >= CTC_MAX_ATTEMPTS && previous != NULL &&
		strcmp(previous, edata->constraint_name) == 0;
	b = ctc_blocker_of_error(reg, relid, conname);
	if (b < 0)
		return ctc_fk_followed(edata, reg, relid, conname, again);
	blocker = &reg->blockers[b];
	if (blocker->registered)
	{
		bool	   *want = palloc0(sizeof(bool) * reg->nblockers);
		int64	   *rows = palloc(sizeof(int64) * reg->nblockers);

		want[b] = true;
		ctc_count_blockers(reg, exp, before, want, rows);

		/*
		 * None of the pair's rows was referenced when the attempt began: a
		 * new row (a race), or a row an ON DELETE CASCADE removes with the
		 * pair's rows.  The same key failing again after a retry tells the
		 * second.
		 */
		if (rows[b] == 0 && !again)
			return true;
		edata->hint = rows[b] == 0 ?
			psprintf("Rows of %s that no rule matches reference rows the cleanup removes from %s (directly, or through an ON DELETE CASCADE key) through foreign key \"%s\", which no rule follows; the same key failed on every attempt: the application keeps adding such rows for this pair (retry later), or they are rows a cascade removes with the pair's, a gap in the registry. %s",
					 blocker->qualname, reg->rules[blocker->parent].qualname,
					 blocker->conname, ctc_blocker_hint(reg, blocker)) :
			psprintf("Rows of %s that no rule matches reference rows the cleanup deletes from %s through foreign key \"%s\", which no rule follows. They were there when the attempt began: a gap in the registry, not a race, which retrying cannot fix. %s",
					 blocker->qualname, reg->rules[blocker->parent].qualname,
					 blocker->conname, ctc_blocker_hint(reg, blocker));
		return false;
	}
	edata->hint = psprintf("Table %s is not registered, and its rows reference rows the cleanup deletes from %s through foreign key \"%s\". %s",
						   blocker->qualname, reg->rules[blocker->parent].qualname,
						   blocker->conname, ctc_blocker_hint(reg, blocker));
	return false;
}

/*
 * ctc_shard_id
 *		The shard id Citus appends to a shard's name ("messages_102008"):
 *		the digits after the last '_', with *base_len the length before it;
 *		0 when there are none.
 */
static int64
ctc_shard_id(const char *name, int *base_len)
{
	const char *end = strrchr(name, '_');
	int64		id = 0;

	if (end == NULL || end == name || end[1] == '\0' || strlen(end + 1) > 18)
		return 0;
	for (const char *c = end + 1; *c; c++)
	{
		if (*c < '0' || *c > '9')
			return 0;
		id = id * 10 + (*c - '0');
	}
	*base_len = end - name;
	return id;
}

/*
 * ctc_shard_base_matches
 *		Is base (a shard's name without its "_<shard id>") the name of the
 *		distributed object "name"?  Citus shortens names that would exceed
 *		NAMEDATALEN to "<prefix of the name>_<8 hex digits>".
 */
static bool
ctc_shard_base_matches(const char *base, int base_len, const char *name)
{
	int			prefix = base_len - 9;
	int			id_len = strlen(base + base_len);	/* "_<shard id>" */

	if ((int) strlen(name) == base_len && strncmp(base, name, base_len) == 0)
		return true;
	/* only a name too long for its shard id is shortened */
	if ((int) strlen(name) + id_len <= NAMEDATALEN - 1)
		return false;
	if (prefix < 1 || base[prefix] != '_' ||
		strspn(base + prefix + 1, "0123456789abcdef") < 8)
		return false;
	return strncmp(base, name, prefix) == 0;
}

/*
 * ctc_citus_shard_owner
 *		The distributed table of the shard named "shard" (through Citus's
 *		catalog pg_dist_shard), or InvalidOid.  SPI is connected.
 */
static Oid
ctc_citus_shard_owner(const char *shard)
{
	int			base_len;
	int64		id = ctc_shard_id(shard, &base_len);
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	Oid			relid = InvalidOid;
	char	   *relname;

	if (id == 0 || !OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		return InvalidOid;
	args[0] = Int64GetDatum(id);
	if (SPI_execute_with_args("SELECT logicalrelid::pg_catalog.oid FROM pg_catalog.pg_dist_shard"
							  " WHERE shardid OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			relid = DatumGetObjectId(d);
	}
	if (!OidIsValid(relid) || (relname = get_rel_name(relid)) == NULL ||
		!ctc_shard_base_matches(shard, base_len, relname))
		return InvalidOid;
	return relid;
}

/*
 * ctc_citus_key_name
 *		The foreign key of relid whose shard name is "shard_key", or NULL.
 */
static char *
ctc_citus_key_name(Oid relid, const char *shard_key)
{
	int			base_len;
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	char	   *found = NULL;
	bool		ambiguous = false;

	if (ctc_shard_id(shard_key, &base_len) == 0)
		return NULL;
	args[0] = ObjectIdGetDatum(relid);
	if (SPI_execute_with_args("SELECT conname::pg_catalog.text FROM pg_catalog.pg_constraint"
							  " WHERE conrelid OPERATOR(pg_catalog.=) $1 AND contype OPERATOR(pg_catalog.=) 'f'",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		return NULL;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *conname = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		if (conname == NULL || !ctc_shard_base_matches(shard_key, base_len, conname))
			continue;
		if ((int) strlen(conname) == base_len)
			return conname;		/* the exact name wins */
		if (found != NULL)
			ambiguous = true;	/* two keys match a shortened name */
		found = conname;
	}
	return ambiguous ? NULL : found;
}

/*
 * ctc_quoted_after
 *		The text between the double quotes that follow the last occurrence
 *		of "marker" in message, or NULL.
 */
static char *
ctc_quoted_after(const char *message, const char *marker)
{
	const char *at = NULL;
	const char *next = message;
	const char *end;

	while ((next = strstr(next, marker)) != NULL)
		at = next++;
	if (at == NULL)
		return NULL;
	at += strlen(marker);
	end = strchr(at, '"');
	return end == NULL ? NULL : pnstrdup(at, end - at);
}

/*
 * ctc_citus_error_names
 *		With Citus, a foreign-key error of a worker names a shard and the
 *		shard's key ("conv_archive_102430", "..._fkey_102430"): on the
 *		coordinator with its message only (Citus passes no table, schema or
 *		constraint fields on), where the shards are local with the fields.
 *		Fill edata's fields with the distributed table's names, found
 *		through pg_dist_shard.  (The message is read as PostgreSQL's English
 *		text.)
 */
static void
ctc_citus_error_names(ErrorData *edata)
{
	char	   *shard = edata->table_name;
	char	   *key = edata->constraint_name;
	Oid			relid;
	char	   *conname;

	if (!OidIsValid(get_extension_oid("citus", true)))
		return;
	if (shard == NULL && edata->message != NULL)
	{
		shard = ctc_quoted_after(edata->message, "on table \"");
		key = ctc_quoted_after(edata->message, "foreign key constraint \"");
	}
	if (shard == NULL || key == NULL || !OidIsValid(relid = ctc_citus_shard_owner(shard)) ||
		(conname = ctc_citus_key_name(relid, key)) == NULL)
		return;
	edata->schema_name = get_namespace_name(get_rel_namespace(relid));
	edata->table_name = get_rel_name(relid);
	edata->constraint_name = conname;
}

/*
 * ctc_error_key
 *		The table (*relid) and the key (*conname: the one declared by the
 *		user, ctc_root_constraint_name) a foreign-key error names; false
 *		when it names none that exists.  On Citus, a shard's names are
 *		mapped to its distributed table's (and edata names that table from
 *		then on), so that a key no rule follows is told from a race there
 *		too.
 */
static bool
ctc_error_key(ErrorData *edata, Oid *relid, char **conname)
{
	Oid			nsp;

	*relid = InvalidOid;
	ctc_citus_error_names(edata);
	if (edata->table_name == NULL || edata->constraint_name == NULL)
		return false;
	nsp = edata->schema_name ? get_namespace_oid(edata->schema_name, true) : InvalidOid;
	if (OidIsValid(nsp))
		*relid = get_relname_relid(edata->table_name, nsp);
	if (!OidIsValid(*relid))
		return false;
	*conname = ctc_root_constraint_name(*relid, edata->constraint_name);
	return true;
}

/*
 * ctc_fk_followed
 *		For a foreign-key error on key conname of relid that is no blocker:
 *		is relid registered and the key one a rule follows (a race: the row
 *		is new)?  Not when the referenced row went by an ON DELETE CASCADE
 *		key no rule follows (cross_cascades), which the same key failing
 *		again on a fresh snapshot (again) tells.  When not a race, add a hint
 *		naming the table and key.
 */
static bool
ctc_fk_followed(ErrorData *edata, const CtcRegistry *reg, Oid relid,
				const char *conname, bool again)
{
	int			r = ctc_rule_of_relation(reg->rules, reg->nrules, relid);
	char	   *qualname = quote_qualified_identifier(edata->schema_name, edata->table_name);

	if (r >= 0 && ctc_key_followed(reg->rules, reg->nrules, r, InvalidOid, conname))
	{
		if (!reg->cross_cascades || !again)
			return true;
		edata->hint = psprintf("Rows of %s reference, through foreign key \"%s\", rows that an ON DELETE CASCADE key no rule follows removes with the pair's rows (rows that are not the pair's own); the same key failed on every attempt, so this is most likely a gap in the registry. Register the rows the cascade reaches (ct_cleanup_register_child() on the key it follows), or make \"%s\" ON DELETE CASCADE; ct_cleanup_check() lists the keys no rule follows.",
							   qualname, conname, conname);
		return false;
	}
	edata->hint = psprintf("Rows of %s%s reference, through foreign key \"%s\", rows the cleanup removes (its rows or rows an ON DELETE CASCADE key removes with them). Register %s (ct_cleanup_register_child) or make that key ON DELETE CASCADE or SET NULL; retrying cannot fix it.",
						   qualname, r >= 0 ? "" : ", which is not registered,",
						   conname, qualname);
	return false;
}

/*
 * ctc_blocker_of_error
 *		The blocker (index into reg->blockers) of key conname of relid, or
 *		of a partitioned table above relid; -1 when none (a key a rule
 *		follows).
 */
static int
ctc_blocker_of_error(const CtcRegistry *reg, Oid relid, const char *conname)
{
	List	   *tables = list_make1_oid(relid);

	if (get_rel_relispartition(relid))
		tables = list_concat(tables, get_partition_ancestors(relid));
	for (int b = 0; b < reg->nblockers; b++)
	{
		if (list_member_oid(tables, reg->blockers[b].relid) &&
			strcmp(reg->blockers[b].conname, conname) == 0)
			return b;
	}
	return -1;
}

/*
 * ctc_notice_no_match
 *		After a cleanup of one pair that matched no row: a NOTICE, when the
 *		clients or trainers setting is not set (so a mistyped id was not
 *		refused), that nothing matched, suggesting the settings.  The audit
 *		row is written all the same.
 */
void
ctc_notice_no_match(const CtcSettings *settings, Datum client, Datum trainer,
					int64 total)
{
	if (total != 0 || (settings->clients != NULL && settings->trainers != NULL))
		return;
	ereport(NOTICE,
			(errmsg("no registered rows matched client %s and trainer %s",
					ctc_uuid_text(client), ctc_uuid_text(trainer)),
			 errdetail("The cleanup was audited with a total of 0."),
			 errhint("Check the ids. With the %s setting%s, an id that is not a %s is refused: SELECT ct_cleanup_set('%s', 'schema.relation');",
					 settings->clients == NULL && settings->trainers == NULL ? "clients and trainers" :
					 settings->clients == NULL ? "clients" : "trainers",
					 settings->clients == NULL && settings->trainers == NULL ? "s" : "",
					 settings->clients == NULL && settings->trainers == NULL ? "known client or trainer" :
					 settings->clients == NULL ? "known client" : "known trainer",
					 settings->clients == NULL ? "clients" : "trainers")));
}
