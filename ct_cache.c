/*-------------------------------------------------------------------------
 *
 * ct_cache.c
 *		Per-backend cache of the resolved registry (rules, their catalog
 *		details, the generated statements and their plans) and of the
 *		settings.
 *
 * Once warm, a cleanup reads neither the registry nor the settings through
 * SPI and builds no SQL: it locks the registered tables and reuses what is
 * cached.  Both are built from the latest committed state (ct_registry.c,
 * ct_settings.c), never from the caller's snapshot.  The cache is dropped by
 * invalidation callbacks:
 *
 *	- a relcache invalidation of ct_cleanup_rule, ct_cleanup_alias or
 *	  ct_cleanup_setting, sent
 *	  by the statement trigger ct_cleanup_changed on every change to them
 *	  (to every backend, at commit);
 *	- a relcache invalidation of any registered table, or of a table their
 *	  foreign-key actions change (the "watched" tables, whose triggers were
 *	  checked), which PostgreSQL sends for every ALTER, RENAME, DROP, owner,
 *	  trigger or constraint change; likewise of an alias source, or of a
 *	  table with a foreign key into a registered table (a blocker: a new
 *	  foreign key invalidates the referenced table too);
 *	- any change to a schema (syscache NAMESPACEOID), which renames tables
 *	  without touching them;
 *	- a full reset (relid InvalidOid).
 *
 * The registered tables are locked before the cache is trusted: acquiring a
 * lock processes pending invalidations, so a DDL that committed before the
 * lock is seen, and none can commit after it until the transaction ends.
 * If an invalidation arrives while the cache is being built, the result is
 * used for this call only and not kept.
 *
 * The registry owns the plans of its statements: they are prepared on first
 * use, kept, and freed by a reset callback of the registry's memory context,
 * so they live exactly as long as the registry (a dropped registry still in
 * use by a call is freed at the end of its transaction, ctc_keep_context).
 * Nothing is evicted while a call holds it, whatever the number of rules.
 *
 * IDENTIFICATION
 *		ct_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(ct_cleanup_changed);

/* The cached registry, or NULL; it lives in ctc_registry_cxt. */
static CtcRegistry *ctc_registry = NULL;
static MemoryContext ctc_registry_cxt = NULL;

/* The cached settings, or NULL; they live in ctc_settings_cxt. */
static CtcSettings *ctc_settings = NULL;
static MemoryContext ctc_settings_cxt = NULL;

/* Our own tables, as of the last build. */
static Oid	ctc_rule_relid = InvalidOid;
static Oid	ctc_setting_relid = InvalidOid;
static Oid	ctc_alias_relid = InvalidOid;

/* Counts invalidations, so that a build can tell it raced with one. */
static uint64 ctc_inval_count = 0;

static void ctc_drop_registry(void);
static void ctc_drop_settings(void);
static void ctc_relcache_callback(Datum arg, Oid relid);
static void ctc_namespace_callback(Datum arg, int cacheid, uint32 hashvalue);
static MemoryContext ctc_keep_context(MemoryContext cxt, MemoryContext *slot);
static void ctc_free_plans(void *arg);
static SPIPlanPtr ctc_kept_plan(SPIPlanPtr *slot, const char *sql, int nargs,
								int cursor_options);
static CtcRegistry *ctc_build_registry(CtcCaller *c, LOCKMODE lockmode);


/*
 * ctc_cache_init
 *		Register the invalidation callbacks; called once from _PG_init.
 */
void
ctc_cache_init(void)
{
	CacheRegisterRelcacheCallback(ctc_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, ctc_namespace_callback, (Datum) 0);
}

/*
 * ctc_relcache_callback
 *		Drop what depends on relid: the settings for ct_cleanup_setting, the
 *		registry for ct_cleanup_rule and every registered table; everything
 *		for InvalidOid.
 */
static void
ctc_relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == ctc_setting_relid)
		ctc_drop_settings();

	if (!OidIsValid(relid) || relid == ctc_rule_relid || relid == ctc_alias_relid)
	{
		ctc_drop_registry();
		return;
	}
	if (ctc_registry == NULL)
	{
		ctc_inval_count++;		/* may concern a registry being built */
		return;
	}
	for (int i = 0; i < ctc_registry->nrules; i++)
	{
		if (ctc_registry->rules[i].relid == relid ||
			ctc_registry->rules[i].parent_relid == relid)
		{
			ctc_drop_registry();
			return;
		}
	}
	for (int i = 0; i < ctc_registry->naliases; i++)
	{
		if (ctc_registry->aliases[i].relid == relid)
		{
			ctc_drop_registry();
			return;
		}
	}
	for (int i = 0; i < ctc_registry->nblockers; i++)
	{
		if (ctc_registry->blockers[i].relid == relid)
		{
			ctc_drop_registry();
			return;
		}
	}
	for (int i = 0; i < ctc_registry->nwatched; i++)
	{
		if (ctc_registry->watched[i] == relid)
		{
			ctc_drop_registry();
			return;
		}
	}
}

/*
 * ctc_namespace_callback
 *		A schema changed (perhaps renamed): qualified names may be stale.
 */
static void
ctc_namespace_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	ctc_drop_registry();
}

/*
 * ctc_drop_registry, ctc_drop_settings
 *		Forget the cached registry or settings.  Their memory stays: a
 *		callback may run while a caller still uses it (ctc_keep_context).
 */
static void
ctc_drop_registry(void)
{
	ctc_registry = NULL;
	ctc_inval_count++;
}

static void
ctc_drop_settings(void)
{
	ctc_settings = NULL;
	ctc_inval_count++;
}

/*
 * ctc_keep_context
 *		Make cxt, built as a child of the call's context, survive the call by
 *		moving it under CacheMemoryContext in *slot.  What was there goes to
 *		the transaction's context, freed at its end: an outer call (a cleanup
 *		whose trigger calls another) may still be using it.
 */
static MemoryContext
ctc_keep_context(MemoryContext cxt, MemoryContext *slot)
{
	if (*slot != NULL)
		MemoryContextSetParent(*slot, TopTransactionContext);
	MemoryContextSetParent(cxt, CacheMemoryContext);
	*slot = cxt;
	return cxt;
}

/*
 * ctc_get_registry
 *		The resolved registry with its statements, every registered table
 *		locked with lockmode.  Built (and checked against the catalogs,
 *		raising the registry errors) when not cached.
 */
const CtcRegistry *
ctc_get_registry(CtcCaller *c, LOCKMODE lockmode)
{
	CtcRegistry *reg;
	MemoryContext cxt;
	uint64		inval_count;

	if (ctc_registry != NULL)
	{
		reg = ctc_registry;
		for (int i = 0; i < reg->nrules; i++)
			LockRelationOid(reg->rules[i].relid, lockmode);
		if (ctc_registry == reg)
			return reg;
	}

	/* build in a child of the call's context: an error frees it */
	inval_count = ctc_inval_count;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "ct_cleanup registry",
								ALLOCSET_SMALL_SIZES);
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
		MemoryContextCallback *cb = palloc(sizeof(MemoryContextCallback));

		reg = ctc_build_registry(c, lockmode);
		cb->func = ctc_free_plans;
		cb->arg = reg;
		MemoryContextRegisterResetCallback(cxt, cb);
		MemoryContextSwitchTo(oldcxt);
	}

	/* keep it, unless an invalidation arrived meanwhile */
	if (inval_count == ctc_inval_count)
	{
		ctc_keep_context(cxt, &ctc_registry_cxt);
		ctc_rule_relid = get_relname_relid("ct_cleanup_rule", c->ext_schema);
		ctc_alias_relid = get_relname_relid("ct_cleanup_alias", c->ext_schema);
		ctc_registry = reg;
	}
	return reg;
}

/*
 * ctc_build_registry
 *		Load and resolve the registry (locking its tables), check the
 *		deferred triggers, and build the text of every statement, in the
 *		current memory context.  Plans are made on first use.
 */
static CtcRegistry *
ctc_build_registry(CtcCaller *c, LOCKMODE lockmode)
{
	CtcRegistry *reg = palloc0(sizeof(CtcRegistry));
	CtcRule    *rules;
	int			n;

	rules = ctc_load_rules(c, &reg->nregistered);
	reg->rules = ctc_resolve_rules(rules, reg->nregistered, lockmode, &reg->owner,
								   &reg->nrules);
	reg->aliases = ctc_load_aliases(c, &reg->naliases);
	ctc_resolve_aliases(reg->aliases, reg->naliases);
	reg->alias_plans = palloc0(sizeof(SPIPlanPtr) * 2 * Max(reg->naliases, 1));
	reg->has_explain = OidIsValid(get_relname_relid("ct_cleanup_alias", c->ext_schema));
	reg->has_fingerprint = OidIsValid(get_relname_relid("ct_cleanup_replayed", c->ext_schema));
	reg->custom_plans = OidIsValid(get_extension_oid("citus", true));
	reg->watched = ctc_check_deferred(reg->rules, reg->nrules, &reg->nwatched,
									  &reg->cross_cascades);
	for (int i = 0; i < reg->nrules; i++)
		reg->multi_path |= reg->rules[i].npaths > 1;
	n = reg->nrules * CTC_NUM_STATEMENTS;
	reg->sql = palloc0(sizeof(char *) * Max(n, 1));
	reg->plans = palloc0(sizeof(SPIPlanPtr) * Max(n, 1));
	reg->blockers = ctc_find_blockers(reg->rules, reg->nrules, &reg->nblockers);
	reg->blocker_plans = palloc0(sizeof(SPIPlanPtr) * 2 * Max(reg->nblockers, 1));
	if (reg->nrules == 0)
		return reg;

	reg->delete_order = ctc_delete_order(reg->rules, reg->nrules);
	for (int i = 0; i < reg->nrules; i++)
	{
		char	  **sql = &reg->sql[i * CTC_NUM_STATEMENTS];
		bool		ids = reg->has_fingerprint;

		sql[CTC_DELETE_ONE] = ctc_build_delete(reg->rules, i, false, ids);
		sql[CTC_DELETE_MANY] = ctc_build_delete(reg->rules, i, true, ids);
		sql[CTC_COUNT_ONE] = ctc_build_count(reg->rules, reg->nrules, i, false, ids);
		sql[CTC_COUNT_MANY] = ctc_build_count(reg->rules, reg->nrules, i, true, ids);
		sql[CTC_DELETE_SMALL] = sql[CTC_DELETE_MANY];
		sql[CTC_COUNT_SMALL] = sql[CTC_COUNT_MANY];
	}
	if (reg->delete_order == NULL)
		reg->cycle_sql = ctc_build_statement(reg->rules, reg->nrules, reg->has_fingerprint);
	return reg;
}

/*
 * ctc_registry_plan, ctc_registry_cycle_plan
 *		The kept plan of one of the registry's statements, prepared on first
 *		use.  SPI must be connected, as the owner of the registered tables
 *		(parsing checks USAGE on their schemas).
 *
 * The one-pair statements (uuid parameters) always use the generic plan,
 * planned once, and so do the array statements of one pair with aliases
 * (CTC_*_SMALL: a few (client, trainer) rows; measured, a custom plan of
 * each statement at every call made such a preview 9 times slower).  The many-pair statements (uuid[] parameters) are left to
 * the plan cache: a custom plan sees how many pairs the arrays hold, which
 * decides between nested loops and hash joins, and its planning is small
 * against a batch.  (Measured: one pair through the array form was planned
 * afresh on every call, 2.8 ms of a 3.3 ms cleanup.)
 */
static Oid	ctc_many_types[3] = {UUIDARRAYOID, UUIDARRAYOID, INT8ARRAYOID};

/*
 * ctc_plan_options
 *		The cursor options of a registry statement: with Citus in the
 *		database every statement is planned with its values (Citus cannot
 *		plan a distributed statement whose subqueries hold parameters, and
 *		needs the values to route it to one shard); otherwise "generic"
 *		forces the generic plan and the rest is left to the plan cache.
 */
static int
ctc_plan_options(const CtcRegistry *reg, bool generic)
{
	if (reg->custom_plans)
		return CURSOR_OPT_CUSTOM_PLAN;
	return generic ? CURSOR_OPT_GENERIC_PLAN : 0;
}

SPIPlanPtr
ctc_registry_plan(const CtcRegistry *reg, int rule, CtcStatement statement)
{
	static Oid	one[2] = {UUIDOID, UUIDOID};
	int			slot = rule * CTC_NUM_STATEMENTS + statement;
	bool		single = statement == CTC_DELETE_ONE || statement == CTC_COUNT_ONE;

	bool		generic = single || statement == CTC_DELETE_SMALL ||
		statement == CTC_COUNT_SMALL;

	if (reg->plans[slot] == NULL)
		reg->plans[slot] = ctc_prepare(reg->sql[slot], single ? 2 : 3,
									   single ? one : ctc_many_types,
									   ctc_plan_options(reg, generic));
	return reg->plans[slot];
}

SPIPlanPtr
ctc_registry_cycle_plan(const CtcRegistry *reg)
{
	Assert(reg->cycle_sql != NULL);
	if (reg->cycle_plan == NULL)
		((CtcRegistry *) reg)->cycle_plan = ctc_prepare(reg->cycle_sql, 3, ctc_many_types,
														ctc_plan_options(reg, true));
	return reg->cycle_plan;
}

/*
 * ctc_alias_plan, ctc_blocker_plan
 *		The kept plan of an alias source's query ($1 uuid[]: the ids; with
 *		persons, the check that no alias is a person's own id) or of
 *		a blocker's count (the many-pair parameters), prepared on first use
 *		as for ctc_registry_plan, connected as the role that runs it.
 */
static SPIPlanPtr
ctc_kept_plan(SPIPlanPtr *slot, const char *sql, int nargs, int cursor_options)
{
	if (*slot == NULL)
		*slot = ctc_prepare(sql, nargs, ctc_many_types, cursor_options);
	return *slot;
}

SPIPlanPtr
ctc_alias_plan(const CtcRegistry *reg, int alias, bool persons)
{
	const CtcAlias *a = &reg->aliases[alias];

	return ctc_kept_plan(&reg->alias_plans[2 * alias + (persons ? 1 : 0)],
						 persons ? a->person_sql : a->sql, 1, ctc_plan_options(reg, true));
}

SPIPlanPtr
ctc_blocker_plan(const CtcRegistry *reg, int blocker, bool many)
{
	static Oid	one[2] = {UUIDOID, UUIDOID};
	SPIPlanPtr *slot = &reg->blocker_plans[blocker * 2 + (many ? 1 : 0)];

	if (many)
		return ctc_kept_plan(slot, reg->blockers[blocker].sql[1], 3, ctc_plan_options(reg, false));
	if (*slot == NULL)
		*slot = ctc_prepare(reg->blockers[blocker].sql[0], 2, one, ctc_plan_options(reg, true));
	return *slot;
}

/*
 * ctc_free_plans
 *		Reset callback of a registry's memory context: free its plans.
 */
static void
ctc_free_plans(void *arg)
{
	CtcRegistry *reg = (CtcRegistry *) arg;

	for (int i = 0; i < reg->nrules * CTC_NUM_STATEMENTS; i++)
	{
		if (reg->plans[i] != NULL)
			SPI_freeplan(reg->plans[i]);
		reg->plans[i] = NULL;
	}
	if (reg->cycle_plan != NULL)
		SPI_freeplan(reg->cycle_plan);
	reg->cycle_plan = NULL;
	for (int i = 0; i < 2 * reg->naliases; i++)
	{
		if (reg->alias_plans[i] != NULL)
			SPI_freeplan(reg->alias_plans[i]);
		reg->alias_plans[i] = NULL;
	}
	for (int i = 0; i < 2 * reg->nblockers; i++)
	{
		if (reg->blocker_plans[i] != NULL)
			SPI_freeplan(reg->blocker_plans[i]);
		reg->blocker_plans[i] = NULL;
	}
}

/*
 * ctc_get_settings
 *		The settings, read through SPI as the extension owner when not
 *		cached.  What is returned stays valid until the end of the
 *		transaction, even if an invalidation drops it from the cache.
 */
const CtcSettings *
ctc_get_settings(CtcCaller *c)
{
	MemoryContext cxt;
	MemoryContext oldcxt;
	uint64		inval_count;
	CtcSettings *settings;

	if (ctc_settings != NULL)
		return ctc_settings;

	inval_count = ctc_inval_count;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "ct_cleanup settings",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	settings = palloc0(sizeof(CtcSettings));
	ctc_read_settings(c, settings);
	MemoryContextSwitchTo(oldcxt);

	if (inval_count != ctc_inval_count)
		return settings;		/* good for this call only */

	ctc_keep_context(cxt, &ctc_settings_cxt);
	ctc_setting_relid = get_relname_relid("ct_cleanup_setting", c->ext_schema);
	ctc_settings = settings;
	return settings;
}

/*
 * ct_cleanup_changed() RETURNS trigger
 *
 * Statement trigger on ct_cleanup_rule and ct_cleanup_setting: broadcast a
 * relcache invalidation of the table, so that every backend drops its
 * cached registry or settings when the change commits.
 */
Datum
ct_cleanup_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ct_cleanup_changed() may only be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
