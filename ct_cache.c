/*-------------------------------------------------------------------------
 *
 * ct_cache.c
 *		Per-backend cache of the resolved registry (rules, their catalog
 *		details and the generated statements) and of the settings.
 *
 * Once warm, a cleanup reads neither the registry nor the settings through
 * SPI and builds no SQL: it locks the registered tables and reuses what is
 * cached.  The cache is dropped by invalidation callbacks:
 *
 *	- a relcache invalidation of ct_cleanup_rule or ct_cleanup_setting, sent
 *	  by the statement trigger ct_cleanup_changed on every change to them
 *	  (to every backend, at commit);
 *	- a relcache invalidation of any registered table, which PostgreSQL sends
 *	  for every ALTER, RENAME, DROP, owner change or constraint change;
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
 * IDENTIFICATION
 *		ct_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "commands/trigger.h"
#include "storage/lmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(ct_cleanup_changed);

/* The cached registry, or NULL; it lives in ctc_registry_cxt. */
static CtcRegistry *ctc_registry = NULL;
static MemoryContext ctc_registry_cxt = NULL;

/* The cached settings, valid when ctc_settings_cxt is not NULL. */
static CtcSettings ctc_settings_cache;
static MemoryContext ctc_settings_cxt = NULL;

/* Our own tables, as of the last build. */
static Oid	ctc_rule_relid = InvalidOid;
static Oid	ctc_setting_relid = InvalidOid;

/* Counts invalidations, so that a build can tell it raced with one. */
static uint64 ctc_inval_count = 0;

static void ctc_drop_registry(void);
static void ctc_drop_settings(void);
static void ctc_relcache_callback(Datum arg, Oid relid);
static void ctc_namespace_callback(Datum arg, int cacheid, uint32 hashvalue);
static MemoryContext ctc_keep_context(MemoryContext cxt, MemoryContext *slot);


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

	if (!OidIsValid(relid) || relid == ctc_rule_relid)
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
	ctc_settings_cache.admin_role = NULL;	/* marks the cache empty */
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
	MemoryContext oldcxt;
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
	oldcxt = MemoryContextSwitchTo(cxt);
	reg = palloc0(sizeof(CtcRegistry));
	reg->rules = ctc_load_rules(c, &reg->nrules);
	ctc_resolve_rules(reg->rules, reg->nrules, lockmode, &reg->owner);
	if (reg->nrules > 0)
	{
		reg->cleanup_sql = ctc_build_statement(reg->rules, reg->nrules, false, false);
		reg->preview_sql = ctc_build_statement(reg->rules, reg->nrules, true, false);
		reg->cleanup_many_sql = ctc_build_statement(reg->rules, reg->nrules, false, true);
		reg->preview_many_sql = ctc_build_statement(reg->rules, reg->nrules, true, true);
		reg->delete_order = ctc_delete_order(reg->rules, reg->nrules);
		if (reg->delete_order != NULL)
		{
			reg->delete_sql = palloc(sizeof(char *) * reg->nrules);
			for (int i = 0; i < reg->nrules; i++)
				reg->delete_sql[i] = ctc_build_delete(reg->rules, i);
		}
	}
	MemoryContextSwitchTo(oldcxt);

	/* keep it, unless an invalidation arrived meanwhile */
	if (inval_count == ctc_inval_count)
	{
		ctc_keep_context(cxt, &ctc_registry_cxt);
		ctc_rule_relid = get_relname_relid("ct_cleanup_rule", c->ext_schema);
		ctc_registry = reg;
	}
	return reg;
}

/*
 * ctc_get_settings
 *		The settings, read through SPI as the extension owner when not cached.
 */
const CtcSettings *
ctc_get_settings(CtcCaller *c)
{
	MemoryContext cxt;
	MemoryContext oldcxt;
	uint64		inval_count;
	CtcSettings *settings;

	if (ctc_settings_cache.admin_role != NULL)
		return &ctc_settings_cache;

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
	ctc_settings_cache = *settings;
	return &ctc_settings_cache;
}

/*
 * ctc_cache_generation
 *		A number that changes whenever something the caches depend on may
 *		have changed; for other per-backend caches (ctc_enter's owner).
 */
uint64
ctc_cache_generation(void)
{
	return ctc_inval_count;
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
