/*-------------------------------------------------------------------------
 *
 * ct_access.c
 *		Who is calling, and running work with another role's rights.
 *
 * Every SQL entry point is declared SECURITY INVOKER, so that GetUserId() at
 * entry is the role whose privileges are in effect where the function was
 * called: SET ROLE counts, and inside another SECURITY DEFINER function it is
 * that function's owner.  Neither the session user nor the outer user counts
 * (see SECURITY.md: a superuser's ANALYZE evaluating a non-admin's index
 * expression, or an admin calling a non-admin's SECURITY DEFINER function,
 * must not lend their rights).  ctc_enter() records that caller and refuses
 * to run if the function was altered to SECURITY DEFINER, because GetUserId()
 * would then be the owner for everyone.
 *
 * All work is then done through ctc_run_as(): as the extension owner for the
 * registry, settings and audit log, as the owner of the registered tables
 * for the deletes, as the owner of a people relation to read it, and as the
 * caller for the admin_check and actor_id functions.  Whatever runs there
 * may be someone else's code (a trigger, a rule, a view's functions, a
 * predicate), so ctc_run_as() does what PostgreSQL does around such code in
 * index_build() and REFRESH MATERIALIZED VIEW:
 *
 *	- SetUserIdAndSecContext() with SECURITY_LOCAL_USERID_CHANGE (no SET
 *	  ROLE) and SECURITY_RESTRICTED_OPERATION: no temporary objects, no
 *	  deferred triggers (PostgreSQL refuses to fire them), no cursors WITH
 *	  HOLD, nothing that could outlive the call with borrowed rights;
 *	- NewGUCNestLevel() ... AtEOXact_GUC(false): a SET or set_config() done
 *	  inside, even without LOCAL, ends with the call.
 *
 * An error needs no cleanup: transaction and subtransaction abort restore the
 * user id, the security context and the GUC nest level.
 *
 * This file also keeps the plans of the few fixed statements (registry and
 * settings reads, audit inserts, people queries) for the life of the backend;
 * the registry's own statements belong to the cached registry (ct_cache.c).
 *
 * IDENTIFICATION
 *		ct_access.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

/* One kept plan of a fixed statement and the text it was prepared from. */
typedef struct CtcFixedPlan
{
	char	   *sql;
	int			nargs;
	Oid			argtypes[FUNC_MAX_ARGS];
	SPIPlanPtr	plan;
} CtcFixedPlan;

/* Fixed statements seen by this backend; never freed while it lives. */
static CtcFixedPlan *ctc_fixed_plans = NULL;
static int	ctc_nfixed = 0;
static int	ctc_fixed_size = 0;

/* The extension owner, looked up again after any relcache invalidation. */
static Oid	ctc_owner_cache = InvalidOid;

static Oid	ctc_extension_owner(void);
static void ctc_owner_callback(Datum arg, Oid relid);


/*
 * ctc_access_init
 *		Register the invalidation callback of the cached extension owner;
 *		called once from _PG_init.
 */
void
ctc_access_init(void)
{
	CacheRegisterRelcacheCallback(ctc_owner_callback, (Datum) 0);
}

/*
 * ctc_owner_callback
 *		The owner changes only with the owner of the extension's own tables
 *		(REASSIGN OWNED), which invalidates their relcache entries: forget
 *		it on any relcache invalidation.
 */
static void
ctc_owner_callback(Datum arg, Oid relid)
{
	ctc_owner_cache = InvalidOid;
}

/*
 * ctc_enter
 *		Record who is calling the SQL function being executed and where the
 *		extension lives.
 *
 * Refuses (42501) when the function has been altered to SECURITY DEFINER.
 * Refusing security-restricted operations is left to ctc_require_admin()
 * and ctc_require_owner(), which know what to log.
 *
 * Pending invalidations are processed first, so that the caches (the
 * settings behind the admin check above all) reflect every change that
 * committed before the call, even inside a transaction that has taken no
 * new lock since.
 */
void
ctc_enter(FunctionCallInfo fcinfo, CtcCaller *c)
{
	HeapTuple	proctup;
	Form_pg_proc procform;

	AcceptInvalidationMessages();
	memset(c, 0, sizeof(CtcCaller));
	c->fn_oid = fcinfo->flinfo->fn_oid;
	c->caller = GetUserId();
	c->session_user = GetSessionUserId();

	proctup = SearchSysCache1(PROCOID, ObjectIdGetDatum(c->fn_oid));
	if (!HeapTupleIsValid(proctup))
		elog(ERROR, "cache lookup failed for function %u", c->fn_oid);
	procform = (Form_pg_proc) GETSTRUCT(proctup);
	c->fn_name = pstrdup(NameStr(procform->proname));
	c->ext_schema = procform->pronamespace;
	if (procform->prosecdef)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("function %s must not be SECURITY DEFINER", c->fn_name),
				 errdetail("As SECURITY DEFINER it would see its owner as the caller and treat every caller as an admin."),
				 errhint("Run ALTER FUNCTION %s.%s SECURITY INVOKER.",
						 quote_identifier(get_namespace_name(c->ext_schema)),
						 quote_identifier(c->fn_name))));
	ReleaseSysCache(proctup);

	c->schema_quoted = quote_identifier(get_namespace_name(c->ext_schema));
	c->ext_owner = ctc_extension_owner();
}

/*
 * ctc_extension_owner
 *		The owner recorded in pg_extension for ct_cleanup (cached).
 */
static Oid
ctc_extension_owner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner;

	if (OidIsValid(ctc_owner_cache))
		return ctc_owner_cache;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("ct_cleanup"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"ct_cleanup\" is not installed in this database")));
	owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	ctc_owner_cache = owner;
	return owner;
}

/*
 * ctc_run_as
 *		Run as "role", in a security-restricted operation with a GUC nest
 *		level of its own, until ctc_run_as_end(state).  Calls nest.
 *
 * extra_flags may add SECURITY_NOFORCE_RLS, as ri_triggers.c does, so that
 * FORCE ROW LEVEL SECURITY on an application table does not hide rows from
 * its owner.
 */
void
ctc_run_as(CtcRunAs *state, Oid role, int extra_flags)
{
	GetUserIdAndSecContext(&state->save_userid, &state->save_sec_context);
	SetUserIdAndSecContext(role, state->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION | extra_flags);
	state->guc_level = NewGUCNestLevel();
}

/*
 * ctc_run_as_end
 *		Undo every setting made since ctc_run_as(), SET or not, and return
 *		to the identity and security context saved there.
 */
void
ctc_run_as_end(CtcRunAs *state)
{
	AtEOXact_GUC(false, state->guc_level);
	SetUserIdAndSecContext(state->save_userid, state->save_sec_context);
}

/*
 * ctc_require_owner
 *		Refuse (42501) a caller that does not have the privileges of the
 *		extension's owner; superusers have them.  Used by everything that
 *		changes the registry or the settings.
 */
void
ctc_require_owner(CtcCaller *c)
{
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot run %s inside a security-restricted operation",
						c->fn_name)));

	if (!has_privs_of_role(c->caller, c->ext_owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s", c->fn_name),
				 errdetail("Only the owner of extension \"ct_cleanup\" (role \"%s\") or a superuser may change the registry or the settings; role \"%s\" may not.",
						   GetUserNameFromId(c->ext_owner, false),
						   GetUserNameFromId(c->caller, false))));
}

/*
 * ctc_prepare
 *		SPI_prepare_cursor (with cursor_options, 0 or CURSOR_OPT_GENERIC_PLAN)
 *		and SPI_keepplan "sql"; the caller owns the plan and frees it with
 *		SPI_freeplan.  SPI must be connected, as the role whose
 *		name lookups the statement needs.
 */
SPIPlanPtr
ctc_prepare(const char *sql, int nargs, Oid *argtypes, int cursor_options)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, cursor_options);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s",
			 sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/*
 * ctc_fixed_plan
 *		A kept plan for a fixed statement, prepared once per backend and
 *		reused; keyed by the text and the argument types.
 *
 * Only statements whose number is bounded go here (registry, settings and
 * audit statements, one query per people relation): entries are never
 * evicted, so a plan handed out stays valid while any caller uses it.
 * Dependencies on tables are tracked by the plan cache itself.
 */
SPIPlanPtr
ctc_fixed_plan(const char *sql, int nargs, Oid *argtypes)
{
	CtcFixedPlan *entry;

	Assert(nargs <= FUNC_MAX_ARGS);
	for (int i = 0; i < ctc_nfixed; i++)
	{
		entry = &ctc_fixed_plans[i];
		if (entry->nargs == nargs && strcmp(entry->sql, sql) == 0 &&
			(nargs == 0 || memcmp(entry->argtypes, argtypes, sizeof(Oid) * nargs) == 0))
			return entry->plan;
	}

	if (ctc_nfixed == ctc_fixed_size)
	{
		int			size = Max(16, ctc_fixed_size * 2);

		ctc_fixed_plans = ctc_fixed_plans == NULL ?
			MemoryContextAlloc(TopMemoryContext, sizeof(CtcFixedPlan) * size) :
			repalloc(ctc_fixed_plans, sizeof(CtcFixedPlan) * size);
		ctc_fixed_size = size;
	}

	/* prepare before taking the slot: an error leaves the list as it was */
	entry = &ctc_fixed_plans[ctc_nfixed];
	entry->plan = ctc_prepare(sql, nargs, argtypes, 0);
	entry->sql = MemoryContextStrdup(TopMemoryContext, sql);
	entry->nargs = nargs;
	if (nargs > 0)
		memcpy(entry->argtypes, argtypes, sizeof(Oid) * nargs);
	ctc_nfixed++;
	return entry->plan;
}

/*
 * ctc_spi_strdup
 *		Copy a string (or NULL) into the context that was current at
 *		SPI_connect, so that it survives SPI_finish.
 */
char *
ctc_spi_strdup(const char *value)
{
	if (value == NULL)
		return NULL;
	return strcpy(SPI_palloc(strlen(value) + 1), value);
}

/*
 * ctc_uuid_text
 *		A uuid as text, for messages.
 */
char *
ctc_uuid_text(Datum value)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, value));
}
