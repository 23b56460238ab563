/*-------------------------------------------------------------------------
 *
 * ct_access.c
 *		Who is calling, whether they may, and whose rights the work runs with.
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
 * Work is then done under other identities with SetUserIdAndSecContext(),
 * exactly as fmgr_security_definer() and ri_triggers.c do: as the extension
 * owner for the registry, settings and audit log, and as the owner of the
 * registered tables for the deletes.  An error needs no cleanup: transaction
 * and subtransaction abort restore the user id and security context.
 *
 * This file also holds the pair lock and the per-backend statement cache.
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
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

/* Statements kept per backend; the least recently used is replaced. */
#define CTC_PLAN_CACHE_SIZE		64

/* One kept SPI plan and the SQL text it was prepared from. */
typedef struct CtcCachedPlan
{
	char	   *sql;
	SPIPlanPtr	plan;
	uint64		last_used;
} CtcCachedPlan;

static CtcCachedPlan ctc_plans[CTC_PLAN_CACHE_SIZE];
static uint64 ctc_plan_clock = 0;

static Oid	ctc_extension_owner(void);


/*
 * ctc_enter
 *		Record who is calling the SQL function being executed and where the
 *		extension lives.
 *
 * Refuses (42501) when the function has been altered to SECURITY DEFINER.
 * Refusing security-restricted operations is left to ctc_require_admin()
 * and ctc_require_owner(), which know what to log.
 */
void
ctc_enter(FunctionCallInfo fcinfo, CtcCaller *c)
{
	HeapTuple	proctup;
	Form_pg_proc procform;

	memset(c, 0, sizeof(CtcCaller));
	c->fn_oid = fcinfo->flinfo->fn_oid;
	c->caller = GetUserId();

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
 *		The owner recorded in pg_extension for ct_cleanup, looked up once per
 *		backend and again after any invalidation the caches see: the owner
 *		changes only with the owner of the extension's own tables (REASSIGN
 *		OWNED), which invalidates them.
 */
static Oid
ctc_extension_owner(void)
{
	static Oid	cached_owner = InvalidOid;
	static uint64 cached_generation = 0;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner;

	if (OidIsValid(cached_owner) && cached_generation == ctc_cache_generation())
		return cached_owner;
	cached_generation = ctc_cache_generation();

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
	cached_owner = owner;
	return owner;
}

/*
 * ctc_become
 *		Run as "role" until ctc_restore(), keeping the current security
 *		restrictions and forbidding SET ROLE meanwhile.
 *
 * extra_flags may add SECURITY_NOFORCE_RLS, as ri_triggers.c does, so that
 * FORCE ROW LEVEL SECURITY on an application table does not hide rows from
 * its owner.  Calls do not nest.
 */
void
ctc_become(CtcCaller *c, Oid role, int extra_flags)
{
	GetUserIdAndSecContext(&c->save_userid, &c->save_sec_context);
	SetUserIdAndSecContext(role, c->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | extra_flags);
}

/*
 * ctc_restore
 *		Return to the identity saved by ctc_become().
 */
void
ctc_restore(CtcCaller *c)
{
	SetUserIdAndSecContext(c->save_userid, c->save_sec_context);
}

/*
 * ctc_caller_is_admin
 *		Is the caller a superuser, does it have the privileges of the role
 *		named by the admin_role setting, or does the admin_check function
 *		return true for it?
 *
 * has_privs_of_role, not is_member_of_role: a NOINHERIT member is an admin
 * only after SET ROLE.  A missing role means only superusers are admins.
 * admin_check runs with the caller's rights (see ct_settings.c).
 */
bool
ctc_caller_is_admin(CtcCaller *c)
{
	Oid			role;

	if (superuser_arg(c->caller))
		return true;

	role = get_role_oid(ctc_get_settings(c)->admin_role, true);
	if (OidIsValid(role) && has_privs_of_role(c->caller, role))
		return true;

	return ctc_admin_check(c);
}

/*
 * ctc_require_admin
 *		Refuse (42501) a caller that is not an admin, or any call inside a
 *		security-restricted operation, after one server-log line naming the
 *		role and, when argtype is valid, the first two arguments (the client
 *		and trainer ids, or arrays of them), formatted only then.
 */
void
ctc_require_admin(CtcCaller *c, FunctionCallInfo fcinfo, Oid argtype)
{
	bool		restricted = InSecurityRestrictedOperation();
	const char *role_name;
	char	   *ids = "";

	if (!restricted && ctc_caller_is_admin(c))
		return;

	role_name = GetUserNameFromId(c->caller, false);
	if (OidIsValid(argtype))
	{
		Oid			outfunc;
		bool		isvarlena;

		getTypeOutputInfo(argtype, &outfunc, &isvarlena);
		ids = psprintf(": client %s, trainer %s",
					   PG_ARGISNULL(0) ? "NULL" : OidOutputFunctionCall(outfunc, PG_GETARG_DATUM(0)),
					   PG_ARGISNULL(1) ? "NULL" : OidOutputFunctionCall(outfunc, PG_GETARG_DATUM(1)));
	}

	if (restricted)
	{
		ereport(LOG,
				(errmsg("%s refused inside a security-restricted operation for role \"%s\"%s",
						c->fn_name, role_name, ids)));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot run %s inside a security-restricted operation",
						c->fn_name),
				 errdetail("Operations such as ANALYZE, REINDEX or VACUUM run index expressions and similar code with restricted rights.")));
	}

	ereport(LOG,
			(errmsg("%s refused for role \"%s\", which is not a ct_cleanup admin%s",
					c->fn_name, role_name, ids)));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for function %s", c->fn_name),
			 errdetail("Role \"%s\" is not a ct_cleanup admin.", role_name),
			 errhint("Admins are superusers, roles with the privileges of the role named by the admin_role setting, and callers the admin_check function approves (see ct_cleanup_settings).")));
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
 * ctc_pair_lock_key
 *		The advisory lock key of a pair: hashes of the two ids in sorted
 *		order, in the two-int4 key space, so that it cannot collide with an
 *		application's bigint advisory locks.  Symmetric in the two ids,
 *		because "either" rules make (a, b) and (b, a) delete the same rows.
 */
void
ctc_pair_lock_key(pg_uuid_t *client, pg_uuid_t *trainer, int32 *key1, int32 *key2)
{
	pg_uuid_t  *lo = client;
	pg_uuid_t  *hi = trainer;

	if (memcmp(client->data, trainer->data, UUID_LEN) > 0)
	{
		lo = trainer;
		hi = client;
	}
	*key1 = (int32) hash_bytes(lo->data, UUID_LEN);
	*key2 = (int32) hash_bytes(hi->data, UUID_LEN);
}

/*
 * ctc_lock_pair
 *		Take the transaction-scoped advisory lock of the pair.
 */
void
ctc_lock_pair(pg_uuid_t *client, pg_uuid_t *trainer)
{
	int32		key1;
	int32		key2;

	ctc_pair_lock_key(client, trainer, &key1, &key2);
	DirectFunctionCall2(pg_advisory_xact_lock_int4,
						Int32GetDatum(key1), Int32GetDatum(key2));
}

/*
 * ctc_cached_plan
 *		A kept SPI plan for "sql", prepared once per backend and reused.
 *
 * The SQL text is the cache key: when the registry or a setting changes, the
 * generated text changes, and the old plan ages out of the small LRU cache.
 * Dependencies on tables are tracked by the plan cache itself.  SPI must be
 * connected, as the role whose name lookups the statement needs.
 */
SPIPlanPtr
ctc_cached_plan(const char *sql, int nargs, Oid *argtypes)
{
	CtcCachedPlan *entry = &ctc_plans[0];
	SPIPlanPtr	plan;

	for (int i = 0; i < CTC_PLAN_CACHE_SIZE; i++)
	{
		if (ctc_plans[i].sql != NULL && strcmp(ctc_plans[i].sql, sql) == 0)
		{
			ctc_plans[i].last_used = ++ctc_plan_clock;
			return ctc_plans[i].plan;
		}
		if (ctc_plans[i].last_used < entry->last_used)
			entry = &ctc_plans[i];
	}

	/* replace the least recently used entry */
	if (entry->sql != NULL)
	{
		pfree(entry->sql);
		entry->sql = NULL;
		SPI_freeplan(entry->plan);
		entry->plan = NULL;
	}

	plan = SPI_prepare(sql, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s",
			 sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");

	entry->plan = plan;
	entry->sql = MemoryContextStrdup(TopMemoryContext, sql);
	entry->last_used = ++ctc_plan_clock;
	return plan;
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
