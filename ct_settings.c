/*-------------------------------------------------------------------------
 *
 * ct_settings.c
 *		The settings: ct_cleanup_set(), loading them, and resolving, checking
 *		and calling the functions and relations they name.
 *
 * Settings are stored as text in ct_cleanup_setting, never as regproc or
 * regclass: text survives pg_dump/restore and pg_upgrade (a regprocedure
 * column blocks pg_upgrade), and a function or relation that vanished is a
 * clear error when it is next used, not a dangling OID.  ct_cleanup_set()
 * stores the canonical, schema-qualified form of what it validated; every use
 * resolves and checks it again.
 *
 * admin_check and actor_id are called with the caller's rights, never the
 * extension owner's, as a security-restricted operation whose settings end
 * with the call (ctc_run_as), and must pin their own search_path: a
 * SQL-standard body, or a SET search_path clause that lists pg_temp, last
 * (PostgreSQL searches pg_temp first for relations unless it is listed), and
 * no "$user".  At every use, a caller that can create objects in a schema of
 * that path is refused too: it could shadow what the function reads.
 *
 * The people relations (clients, trainers) are resolved with
 * AccessShareLock, so that a concurrent DROP cannot make them vanish while
 * a call reads them, and read as their owner.
 *
 * This file also decides who is an admin (ctc_caller_is_admin), from the
 * settings it is handed: it sits below the cache, which passes them in.
 *
 * IDENTIFICATION
 *		ct_settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/htup_details.h"
#include "access/genam.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "ct_cleanup_compat.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"
#include "commands/dbcommands.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "storage/lmgr.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(ct_cleanup_set);

/* What a setting's value names. */
typedef enum CtcSettingKind
{
	CTC_SETTING_ROLE,
	CTC_SETTING_FUNCTION,
	CTC_SETTING_RELATION,
	CTC_SETTING_SWITCH			/* on or off */
} CtcSettingKind;

typedef struct CtcSettingDef
{
	const char *name;
	CtcSettingKind kind;
	Oid			rettype;		/* functions: required result type, or 0 */
	size_t		offset;			/* of the value in CtcSettings */
} CtcSettingDef;

static char *ctc_people_lookup(CtcCaller *c, const CtcSettings *settings,
							   const char *kind, Datum *ids, int n,
							   const char *sql_format, const char **setting,
							   char **qualname);
static const CtcSettingDef ctc_setting_defs[] = {
	{"admin_role", CTC_SETTING_ROLE, InvalidOid, offsetof(CtcSettings, admin_role)},
	{"admin_check", CTC_SETTING_FUNCTION, BOOLOID, offsetof(CtcSettings, admin_check)},
	{"actor_id", CTC_SETTING_FUNCTION, InvalidOid, offsetof(CtcSettings, actor_id)},
	{"clients", CTC_SETTING_RELATION, InvalidOid, offsetof(CtcSettings, clients)},
	{"trainers", CTC_SETTING_RELATION, InvalidOid, offsetof(CtcSettings, trainers)},
	{"receipts", CTC_SETTING_SWITCH, InvalidOid, offsetof(CtcSettings, receipts)},
};

#define CTC_SQL_SETTINGS \
	"SELECT setting, value FROM %1$s.ct_cleanup_setting"
#define CTC_SQL_SET \
	"INSERT INTO %1$s.ct_cleanup_setting AS s (setting, value) VALUES ($1, $2)" \
	" ON CONFLICT (setting) DO UPDATE SET value = EXCLUDED.value"
#define CTC_SQL_PEOPLE_MISSING \
	"SELECT u.id FROM pg_catalog.unnest($1) WITH ORDINALITY AS u(id, i)" \
	" WHERE NOT EXISTS (SELECT 1 FROM %s AS p WHERE p.id OPERATOR(pg_catalog.=) u.id)" \
	" ORDER BY u.i LIMIT 1"
#define CTC_SQL_PEOPLE_FOUND \
	"SELECT u.id FROM pg_catalog.unnest($1) WITH ORDINALITY AS u(id, i)" \
	" WHERE EXISTS (SELECT 1 FROM %s AS p WHERE p.id OPERATOR(pg_catalog.=) u.id)" \
	" ORDER BY u.i LIMIT 1"
#define CTC_SQL_RESET \
	"DELETE FROM %1$s.ct_cleanup_setting WHERE setting OPERATOR(pg_catalog.=) $1"

/* A value invalid at ct_cleanup_set() time is 22023; later, "code". */
#define CTC_SETTING_ERRCODE(at_set, code) \
	((at_set) ? ERRCODE_INVALID_PARAMETER_VALUE : (code))

static const CtcSettingDef *ctc_setting_def(const char *name);
static List *ctc_qualified_name(const char *setting, const char *value,
								bool at_set);
/* Why a function may not run with a caller's rights; NULL fields: no problem. */
typedef struct CtcFunctionProblem
{
	char	   *owner;			/* someone untrusted could change it */
	const char *path;			/* someone could shadow what it reads */
} CtcFunctionProblem;

/* How deep ctc_function_problem follows the calls of SQL-standard bodies. */
#define CTC_MAX_FUNCTION_DEPTH	16

static bool ctc_trusted_role(Oid role, Oid ext_owner, Oid also);
static void ctc_function_problem(Oid fnoid, Oid ext_owner, bool lends,
								 int depth, List **seen,
								 CtcFunctionProblem *problem);
static void ctc_dependencies_problem(Oid fnoid, Oid ext_owner, bool lends,
									 int depth, List **seen,
									 CtcFunctionProblem *problem);
static const char *ctc_search_path_problem(HeapTuple proctup, Oid ext_owner);
static char *ctc_untrusted_creator(Oid nsp, Oid ext_owner, Oid fn_owner);
static char *ctc_untrusted_object(Oid classid, Oid objid, Oid ext_owner);
static void ctc_emit_denied(CtcCaller *c, FunctionCallInfo fcinfo, Oid argtype,
							bool restricted);
static Datum ctc_call_setting(CtcCaller *c, const char *setting,
							  const char *value, Oid rettype, Oid *fnoid,
							  bool *isnull, bool *denied);
static char *ctc_canonical_value(const CtcSettingDef *def, const char *value,
								 Oid ext_owner);


/*
 * ctc_read_settings
 *		Read all settings as the extension owner, from the latest committed
 *		state, into *settings (allocated in the current context); unset ones
 *		are NULL, admin_role its default.
 *		ctc_get_settings() caches the result.
 */
void
ctc_read_settings(CtcCaller *c, CtcSettings *settings)
{
	SPIPlanPtr	plan;
	CtcRunAs	as;
	int			rc;

	memset(settings, 0, sizeof(CtcSettings));
	ctc_run_as(&as, c->ext_owner, 0);
	SPI_connect();
	plan = ctc_fixed_plan(psprintf(CTC_SQL_SETTINGS, c->schema_quoted), 0, NULL);
	rc = SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the ct_cleanup settings failed: %s",
			 SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		const CtcSettingDef *def;
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		def = ctc_setting_def(name);
		if (def != NULL)
			*(char **) ((char *) settings + def->offset) =
				ctc_spi_strdup(SPI_getvalue(SPI_tuptable->vals[i],
											SPI_tuptable->tupdesc, 2));
	}
	SPI_finish();
	ctc_run_as_end(&as);

	if (settings->admin_role == NULL)
		settings->admin_role = pstrdup(CTC_DEFAULT_ADMIN_ROLE);
}

/*
 * ctc_setting_def
 *		The definition of a setting, or NULL for an unknown name.
 */
static const CtcSettingDef *
ctc_setting_def(const char *name)
{
	for (int i = 0; i < lengthof(ctc_setting_defs); i++)
	{
		if (strcmp(ctc_setting_defs[i].name, name) == 0)
			return &ctc_setting_defs[i];
	}
	return NULL;
}

/*
 * ctc_qualified_name
 *		Split a setting's value into schema and object name; both parts are
 *		required, so that nothing is resolved through a search_path.
 */
static List *
ctc_qualified_name(const char *setting, const char *value, bool at_set)
{
	char	   *raw = pstrdup(value);
	List	   *parts = NIL;
	size_t		len = strlen(raw);

	/* a function may be written with its empty argument list */
	if (len > 2 && strcmp(raw + len - 2, "()") == 0)
		raw[len - 2] = '\0';

	if (!SplitIdentifierString(raw, '.', &parts) || list_length(parts) != 2)
		ereport(ERROR,
				(errcode(CTC_SETTING_ERRCODE(at_set, ERRCODE_INVALID_NAME)),
				 errmsg("invalid value for setting \"%s\": \"%s\"", setting, value),
				 errdetail("The value must be a schema-qualified name, such as app.is_admin() or app.clients.")));
	return list_make2(makeString(linitial(parts)), makeString(lsecond(parts)));
}

/*
 * ctc_resolve_function
 *		The function a setting names: schema-qualified, no arguments, not
 *		returning a set, returning rettype (if valid), and safe to run with a
 *		caller's rights (ctc_function_problem).  at_set chooses SQLSTATE 22023
 *		(ct_cleanup_set) or the run-time codes (42883 when it vanished, 55000
 *		when it changed).  ext_owner is the extension's owner.
 */
Oid
ctc_resolve_function(const char *setting, const char *value, Oid rettype,
					 bool at_set, Oid ext_owner)
{
	List	   *name = ctc_qualified_name(setting, value, at_set);
	Oid			fnoid = LookupFuncName(name, 0, NULL, true);
	HeapTuple	tup;
	Form_pg_proc proc;
	const char *problem = NULL;
	List	   *seen = NIL;
	CtcFunctionProblem trust;

	if (!OidIsValid(fnoid))
		ereport(ERROR,
				(errcode(CTC_SETTING_ERRCODE(at_set, ERRCODE_UNDEFINED_FUNCTION)),
				 errmsg("function %s() of setting \"%s\" does not exist",
						NameListToString(name), setting),
				 at_set ? 0 : errhint("Create it again, or reset the setting with ct_cleanup_set('%s', NULL).",
									  setting)));

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fnoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fnoid);
	proc = (Form_pg_proc) GETSTRUCT(tup);
	if (proc->prokind != PROKIND_FUNCTION || proc->proretset)
		problem = "must be a plain function returning one value";
	else if (OidIsValid(rettype) && proc->prorettype != rettype)
		problem = psprintf("must return %s, not %s", format_type_be(rettype),
						   format_type_be(proc->prorettype));
	ReleaseSysCache(tup);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(CTC_SETTING_ERRCODE(at_set, ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)),
				 errmsg("function %s of setting \"%s\" %s",
						format_procedure_qualified(fnoid), setting, problem)));

	ctc_function_problem(fnoid, ext_owner, true, 0, &seen, &trust);
	if (trust.owner != NULL)
		ereport(ERROR,
				(errcode(CTC_SETTING_ERRCODE(at_set, ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)),
				 errmsg("function %s of setting \"%s\" must be owned by a superuser or the owner of extension \"ct_cleanup\"",
						format_procedure_qualified(fnoid), setting),
				 errdetail("It runs with the caller's rights, a superuser's too, and its owner could make it do anything with them: %s.",
						   trust.owner),
				 errhint("Change the owner (ALTER FUNCTION ... OWNER TO), or make the function SECURITY DEFINER: it then runs with its owner's rights and lends it none.")));
	if (trust.path != NULL)
		ereport(ERROR,
				(errcode(CTC_SETTING_ERRCODE(at_set, ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)),
				 errmsg("function %s of setting \"%s\" must pin its search_path",
						format_procedure_qualified(fnoid), setting),
				 errdetail("A caller or someone else could shadow what it reads (for example with a table in pg_temp): %s.",
						   trust.path),
				 errhint("Add a SET search_path clause (ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp) or give it a SQL-standard body.",
						 format_procedure_qualified(fnoid))));
	return fnoid;
}

/*
 * ctc_trusted_role
 *		May role own what runs with a caller's rights, or what such code
 *		resolves names through?  Superusers, the extension owner, and "also"
 *		(a function's owner, for the schemas of its own path) may.
 */
static bool
ctc_trusted_role(Oid role, Oid ext_owner, Oid also)
{
	return role == ext_owner || (OidIsValid(also) && role == also) ||
		superuser_arg(role);
}

/*
 * ctc_function_problem
 *		Why function fnoid is not safe to run with a caller's rights, in
 *		problem->owner (who could change it) and problem->path (who could
 *		shadow what it reads); both NULL when it is safe:
 *
 *	- its owner is a superuser or the extension owner, or it is SECURITY
 *	  DEFINER (it then runs as its owner and lends it nothing), or it is
 *	  called from a SECURITY DEFINER function (lends false: no caller's
 *	  rights reach it);
 *	- it has a SQL-standard body (names resolved when it was created), and
 *	  every function and operator it depends on outside pg_catalog passes
 *	  the same test; or a SET search_path clause (ctc_search_path_problem).
 *
 * A plpgsql body's own calls cannot be seen: the README says so.  seen
 * stops cycles; depth bounds the walk.
 */
static void
ctc_function_problem(Oid fnoid, Oid ext_owner, bool lends, int depth,
					 List **seen, CtcFunctionProblem *problem)
{
	HeapTuple	tup;
	Form_pg_proc proc;
	bool		isnull;
	bool		sqlbody;
	Oid			owner;
	char	   *name = format_procedure_qualified(fnoid);

	problem->owner = NULL;
	problem->path = NULL;
	if (list_member_oid(*seen, fnoid))
		return;
	*seen = lappend_oid(*seen, fnoid);

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fnoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fnoid);
	proc = (Form_pg_proc) GETSTRUCT(tup);
	owner = proc->proowner;
	if (proc->pronamespace == PG_CATALOG_NAMESPACE && depth > 0)
	{
		ReleaseSysCache(tup);
		return;					/* built in */
	}
	if (lends && !proc->prosecdef && !ctc_trusted_role(owner, ext_owner, InvalidOid))
		problem->owner = psprintf("function %s is owned by role \"%s\"", name,
								  GetUserNameFromId(owner, false));
	if (depth == 0 && problem->owner == NULL)
	{
		/* whoever may create in its schema could replace it by another */
		char	   *who = ctc_untrusted_creator(proc->pronamespace, ext_owner, owner);

		if (who != NULL)
			problem->owner = psprintf("role \"%s\" may create objects in schema \"%s\" and so replace %s",
									  who, get_namespace_name(proc->pronamespace), name);
	}
	(void) SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosqlbody, &isnull);
	sqlbody = !isnull;
	if (!sqlbody)
		problem->path = ctc_search_path_problem(tup, ext_owner);
	lends = lends && !proc->prosecdef;
	ReleaseSysCache(tup);

	if (sqlbody && problem->owner == NULL)
		ctc_dependencies_problem(fnoid, ext_owner, lends, depth, seen, problem);
}

/*
 * ctc_dependencies_problem
 *		For a SQL-standard body: the first problem of a function or an
 *		operator's function that it depends on (pg_depend).
 */
static void
ctc_dependencies_problem(Oid fnoid, Oid ext_owner, bool lends, int depth,
						 List **seen, CtcFunctionProblem *problem)
{
	Relation	rel;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *callees = NIL;
	ListCell   *lc;

	if (depth >= CTC_MAX_FUNCTION_DEPTH)
	{
		problem->path = psprintf("its calls nest more than %d functions deep", CTC_MAX_FUNCTION_DEPTH);
		return;
	}
	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ProcedureRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(fnoid));
	scan = systable_beginscan(rel, DependDependerIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);

		if (dep->refclassid == ProcedureRelationId)
			callees = lappend_oid(callees, dep->refobjid);
		else if (dep->refclassid == OperatorRelationId &&
				 OidIsValid(get_opcode(dep->refobjid)))
			callees = lappend_oid(callees, get_opcode(dep->refobjid));
		else if (lends && problem->owner == NULL &&
				 (dep->refclassid == RelationRelationId || dep->refclassid == TypeRelationId))
			problem->owner = ctc_untrusted_object(dep->refclassid, dep->refobjid, ext_owner);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (problem->owner != NULL)
		return;
	foreach(lc, callees)
	{
		ctc_function_problem(lfirst_oid(lc), ext_owner, lends, depth + 1, seen,
							 problem);
		if (problem->owner != NULL || problem->path != NULL)
			return;
	}
}

/*
 * ctc_untrusted_object
 *		For a table, view or type (a domain, say) that a SQL-standard body
 *		depends on: why its owner, when not trusted, could run code with the
 *		caller's rights through it (a view's expressions, a table's triggers,
 *		rules and policies, a domain's CHECK constraints); NULL when trusted
 *		or built in.
 */
static char *
ctc_untrusted_object(Oid classid, Oid objid, Oid ext_owner)
{
	HeapTuple	tup;
	Oid			owner;
	Oid			nsp;
	char	   *what;

	if (classid == RelationRelationId)
	{
		tup = SearchSysCache1(RELOID, ObjectIdGetDatum(objid));
		if (!HeapTupleIsValid(tup))
			return NULL;
		owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
		nsp = ((Form_pg_class) GETSTRUCT(tup))->relnamespace;
		ReleaseSysCache(tup);
		what = psprintf("relation %s", quote_qualified_identifier(get_namespace_name(nsp),
																  get_rel_name(objid)));
	}
	else
	{
		tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(objid));
		if (!HeapTupleIsValid(tup))
			return NULL;
		owner = ((Form_pg_type) GETSTRUCT(tup))->typowner;
		nsp = ((Form_pg_type) GETSTRUCT(tup))->typnamespace;
		ReleaseSysCache(tup);
		what = psprintf("type %s", format_type_be_qualified(objid));
	}
	if (nsp == PG_CATALOG_NAMESPACE || ctc_trusted_role(owner, ext_owner, InvalidOid))
		return NULL;
	return psprintf("it uses %s, owned by role \"%s\", whose code (view expressions, triggers, rules, policies, domain checks) runs with the caller's rights",
					what, GetUserNameFromId(owner, false));
}

/*
 * ctc_search_path_problem
 *		NULL when the function's SET search_path clause pins it safely, else
 *		why not: pg_temp must be listed, once, last (PostgreSQL searches it
 *		first for tables unless it is listed); no "$user"; and every other
 *		schema but pg_catalog must exist, be owned by a trusted role and let
 *		only trusted roles create objects in it (ctc_trusted_role, the
 *		function's owner included): anyone else could plant a table, a
 *		function or an operator that the function would pick.
 */
static const char *
ctc_search_path_problem(HeapTuple proctup, Oid ext_owner)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(proctup);
	bool		isnull;
	Datum		config;
	Datum	   *items;
	int			nitems;
	List	   *schemas = NIL;
	ListCell   *lc;
	char	   *path = NULL;

	config = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proconfig, &isnull);
	if (!isnull)
	{
		deconstruct_array(DatumGetArrayTypeP(config), TEXTOID, -1, false,
						  TYPALIGN_INT, &items, NULL, &nitems);
		for (int i = 0; i < nitems; i++)
		{
			char	   *item = TextDatumGetCString(items[i]);

			if (strncmp(item, "search_path=", 12) == 0)
				path = item + 12;
		}
	}
	if (path == NULL)
		return "it has neither a SET search_path clause nor a SQL-standard body";
	if (!SplitIdentifierString(pstrdup(path), ',', &schemas) || schemas == NIL ||
		strcmp(llast(schemas), "pg_temp") != 0)
		return psprintf("its search_path \"%s\" does not end with pg_temp, so pg_temp is searched first for tables", path);

	foreach(lc, schemas)
	{
		const char *schema = lfirst(lc);
		Oid			nsp;
		char	   *who;

		if (strcmp(schema, "$user") == 0)
			return psprintf("its search_path \"%s\" contains \"$user\", a schema each caller may own", path);
		if (strncmp(schema, "pg_temp", 7) == 0)
		{
			if (lnext(schemas, lc) != NULL)
				return psprintf("its search_path \"%s\" lists a temporary schema before the end", path);
			continue;
		}
		if (strcmp(schema, "pg_catalog") == 0)
			continue;
		nsp = get_namespace_oid(schema, true);
		if (!OidIsValid(nsp))
			return psprintf("schema \"%s\" of its search_path does not exist, and whoever creates it decides what the function finds", schema);
		who = ctc_untrusted_creator(nsp, ext_owner, proc->proowner);
		if (who != NULL)
			return psprintf("role \"%s\" may create objects in schema \"%s\" of its search_path", who, schema);
	}
	return NULL;
}

/*
 * ctc_untrusted_creator
 *		The name of a role other than a trusted one (ctc_trusted_role) that
 *		owns schema nsp or may create objects in it ("PUBLIC" for everyone),
 *		or NULL.
 */
static char *
ctc_untrusted_creator(Oid nsp, Oid ext_owner, Oid fn_owner)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Form_pg_namespace form;
	Datum		aclDatum;
	bool		isnull;
	char	   *who = NULL;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for schema %u", nsp);
	form = (Form_pg_namespace) GETSTRUCT(tup);
	if (!ctc_trusted_role(form->nspowner, ext_owner, fn_owner))
		who = GetUserNameFromId(form->nspowner, false);
	aclDatum = SysCacheGetAttr(NAMESPACEOID, tup, Anum_pg_namespace_nspacl, &isnull);
	if (who == NULL && !isnull)
	{
		Acl		   *acl = DatumGetAclP(aclDatum);
		AclItem    *items = ACL_DAT(acl);

		for (int i = 0; i < ACL_NUM(acl) && who == NULL; i++)
		{
			if ((ACLITEM_GET_PRIVS(items[i]) & ACL_CREATE) == 0)
				continue;
			if (items[i].ai_grantee == ACL_ID_PUBLIC)
				who = "PUBLIC";
			else if (!ctc_trusted_role(items[i].ai_grantee, ext_owner, fn_owner))
				who = GetUserNameFromId(items[i].ai_grantee, false);
		}
	}
	ReleaseSysCache(tup);
	return who;
}

/*
 * ctc_resolve_relation
 *		The relation a setting names: schema-qualified, a table, view,
 *		materialized view or foreign table with columns id uuid and name text,
 *		locked with lockmode.  Returns it and its owner, who reads it.
 */
Oid
ctc_resolve_relation(const char *setting, const char *value, bool at_set,
					 LOCKMODE lockmode, Oid *owner)
{
	List	   *name = ctc_qualified_name(setting, value, at_set);
	Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList(name), lockmode, true);
	const char *columns[2] = {"id", "name"};
	char		relkind;
	HeapTuple	tup;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(CTC_SETTING_ERRCODE(at_set, ERRCODE_UNDEFINED_TABLE)),
				 errmsg("relation %s of setting \"%s\" does not exist",
						NameListToString(name), setting),
				 at_set ? 0 : errhint("Create it again, or reset the setting with ct_cleanup_set('%s', NULL).",
									  setting)));

	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(CTC_SETTING_ERRCODE(at_set, ERRCODE_WRONG_OBJECT_TYPE)),
				 errmsg("relation %s of setting \"%s\" is not a table or view",
						NameListToString(name), setting)));

	for (int i = 0; i < 2; i++)
	{
		AttrNumber	attnum = get_attnum(relid, columns[i]);
		Oid			type = attnum > 0 ? getBaseType(get_atttype(relid, attnum)) : InvalidOid;

		if (attnum <= 0)
			ereport(ERROR,
					(errcode(CTC_SETTING_ERRCODE(at_set, ERRCODE_UNDEFINED_COLUMN)),
					 errmsg("relation %s of setting \"%s\" has no column \"%s\"",
							NameListToString(name), setting, columns[i]),
					 errdetail("It must have the columns id uuid and name text.")));
		if (i == 0 ? type != UUIDOID : (type != TEXTOID && type != VARCHAROID))
			ereport(ERROR,
					(errcode(CTC_SETTING_ERRCODE(at_set, ERRCODE_DATATYPE_MISMATCH)),
					 errmsg("column \"%s\" of relation %s of setting \"%s\" is of type %s",
							columns[i], NameListToString(name), setting,
							format_type_be(get_atttype(relid, attnum))),
					 errdetail("It must have the columns id uuid and name text.")));
	}

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	*owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return relid;
}

/*
 * ctc_call_setting
 *		Call the function a setting names (no arguments) with the caller's
 *		rights, as a security-restricted operation whose settings end with
 *		the call, and return its result; *isnull as for a NULL result.
 *		*denied tells that the caller may not execute it (then nothing is
 *		called).
 */
static Datum
ctc_call_setting(CtcCaller *c, const char *setting, const char *value,
				 Oid rettype, Oid *fnoid, bool *isnull, bool *denied)
{
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 0);
	Datum		result;
	CtcRunAs	as;

	/* resolved as the owner: name lookup must not need USAGE on its schema */
	ctc_run_as(&as, c->ext_owner, 0);
	*fnoid = ctc_resolve_function(setting, value, rettype, false, c->ext_owner);
	ctc_run_as_end(&as);

	*denied = ctc_proc_aclcheck(*fnoid, c->caller, ACL_EXECUTE) != ACLCHECK_OK;
	*isnull = true;
	if (*denied)
		return (Datum) 0;

	ctc_run_as(&as, c->caller, 0);
	fmgr_info(*fnoid, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL, NULL);
	result = FunctionCallInvoke(fcinfo);
	*isnull = fcinfo->isnull;
	ctc_run_as_end(&as);
	return result;
}

/*
 * ctc_admin_check
 *		The result of the admin_check function for the caller: false when it
 *		is not set, returns NULL, or the caller may not execute it.
 */
static bool
ctc_admin_check(CtcCaller *c, const CtcSettings *settings)
{
	Oid			fnoid;
	bool		isnull;
	bool		denied;
	Datum		result;

	if (settings->admin_check == NULL)
		return false;
	result = ctc_call_setting(c, "admin_check", settings->admin_check, BOOLOID,
							  &fnoid, &isnull, &denied);
	return !isnull && DatumGetBool(result);
}

/*
 * ctc_caller_is_admin
 *		Is the caller a superuser, does it have the privileges of the role
 *		named by the admin_role setting, or does the admin_check function
 *		return true for it?
 *
 * has_privs_of_role, not is_member_of_role: a NOINHERIT member is an admin
 * only after SET ROLE.  A missing role means only superusers are admins.
 */
bool
ctc_caller_is_admin(CtcCaller *c, const CtcSettings *settings)
{
	Oid			role;

	if (superuser_arg(c->caller))
		return true;

	role = get_role_oid(settings->admin_role, true);
	if (OidIsValid(role) && has_privs_of_role(c->caller, role))
		return true;

	return ctc_admin_check(c, settings);
}

/*
 * ctc_require_admin
 *		Refuse (42501) a caller that is not an admin, or any call inside a
 *		security-restricted operation, after one server-log line naming the
 *		role and, when argtype is valid, the first two arguments (the client
 *		and trainer ids, or arrays of them), formatted only then.
 */
void
ctc_require_admin(CtcCaller *c, const CtcSettings *settings,
				  FunctionCallInfo fcinfo, Oid argtype)
{
	bool		restricted = InSecurityRestrictedOperation();
	const char *role_name;
	char	   *ids = "";

	if (!restricted && ctc_caller_is_admin(c, settings))
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

	if (settings->receipts != NULL && strcmp(settings->receipts, "on") == 0)
		ctc_emit_denied(c, fcinfo, argtype, restricted);
	if (restricted)
	{
		ereport(LOG,
				(errmsg("%s refused inside a security-restricted operation for role \"%s\"%s",
						c->fn_name, role_name, ids)));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot run %s inside a security-restricted operation",
						c->fn_name),
				 errdetail("Operations such as ANALYZE, REINDEX or VACUUM, and the triggers a cleanup fires, run code with restricted rights.")));
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
 * ctc_emit_denied
 *		The record of a refused call (setting "receipts"): a
 *		non-transactional logical decoding message with prefix
 *		"ct_cleanup.denied", which survives the rollback that follows.  The
 *		ids of a one-pair call are client_id and trainer_id; a batch's are
 *		the arrays clients and trainers (at most CTC_DENIED_MAX_IDS each,
 *		with the number of pairs), its client_id and trainer_id null.
 */
#define CTC_DENIED_MAX_IDS	1000

static void
ctc_emit_denied(CtcCaller *c, FunctionCallInfo fcinfo, Oid argtype, bool restricted)
{
	StringInfoData buf;

	ctc_json_begin(&buf);
	ctc_json_text(&buf, "role", GetUserNameFromId(c->caller, false));
	ctc_json_text(&buf, "session_role", GetUserNameFromId(c->session_user, false));
	ctc_json_text(&buf, "function", c->fn_name);
	if (argtype == UUIDOID)
	{
		ctc_json_text(&buf, "client_id", PG_ARGISNULL(0) ? NULL : ctc_uuid_text(PG_GETARG_DATUM(0)));
		ctc_json_text(&buf, "trainer_id", PG_ARGISNULL(1) ? NULL : ctc_uuid_text(PG_GETARG_DATUM(1)));
	}
	else
	{
		ctc_json_text(&buf, "client_id", NULL);
		ctc_json_text(&buf, "trainer_id", NULL);
	}
	if (argtype == UUIDARRAYOID)
	{
		int			pairs = 0;

		for (int arg = 0; arg < 2; arg++)
		{
			Datum	   *ids;
			bool	   *nulls;
			int			n = 0;

			if (!PG_ARGISNULL(arg))
				deconstruct_array(PG_GETARG_ARRAYTYPE_P(arg), UUIDOID, UUID_LEN, false,
								  TYPALIGN_CHAR, &ids, &nulls, &n);
			appendStringInfo(&buf, ",\"%s\":[", arg == 0 ? "clients" : "trainers");
			for (int i = 0; i < n && i < CTC_DENIED_MAX_IDS; i++)
			{
				if (i > 0)
					appendStringInfoChar(&buf, ',');
				if (nulls[i])
					appendStringInfoString(&buf, "null");
				else
					escape_json(&buf, ctc_uuid_text(ids[i]));
			}
			appendStringInfoChar(&buf, ']');
			pairs = Max(pairs, n);
		}
		ctc_json_int(&buf, "pairs", pairs);
	}
	ctc_json_text(&buf, "sqlstate", "42501");
	ctc_json_bool(&buf, "restricted", restricted);
	ctc_json_text(&buf, "database", get_database_name(MyDatabaseId));
	ctc_json_time(&buf, "at", GetCurrentTimestamp());
	ctc_json_end(&buf);
	ctc_emit_message("ct_cleanup.denied", &buf, false);
	pfree(buf.data);
}

/*
 * ctc_actor_id
 *		The acting application user, from the actor_id function called as
 *		the caller, as text; NULL when not set or when it returns NULL.  A
 *		caller that may not execute the function is refused (42501).
 */
char *
ctc_actor_id(CtcCaller *c, const CtcSettings *settings)
{
	Oid			fnoid;
	bool		isnull;
	bool		denied;
	Datum		result;
	Oid			outfunc;
	bool		isvarlena;

	if (settings->actor_id == NULL)
		return NULL;
	result = ctc_call_setting(c, "actor_id", settings->actor_id, InvalidOid,
							  &fnoid, &isnull, &denied);
	if (denied)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, get_func_name(fnoid));
	if (isnull)
		return NULL;
	getTypeOutputInfo(get_func_rettype(fnoid), &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, result);
}

/*
 * ctc_people_relation
 *		For kind "client" or "trainer" (anything else: 22023), the name of
 *		its setting, and when set the relation it names, resolved as the
 *		extension owner and locked with AccessShareLock: its quoted name in
 *		*qualname and its owner in *owner.  NULL *qualname when not set;
 *		with required, that is refused (22023).
 */
const char *
ctc_people_relation(CtcCaller *c, const CtcSettings *settings,
					const char *kind, bool required, char **qualname, Oid *owner)
{
	const char *setting;
	const char *value;
	CtcRunAs	as;
	Oid			relid;

	if (strcmp(kind, "client") == 0)
	{
		setting = "clients";
		value = settings->clients;
	}
	else if (strcmp(kind, "trainer") == 0)
	{
		setting = "trainers";
		value = settings->trainers;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid kind \"%s\"", kind),
				 errhint("The kind is \"client\" or \"trainer\".")));

	*qualname = NULL;
	if (value == NULL)
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting \"%s\" is not set", setting),
					 errhint("Name the table or view of the %ss with ct_cleanup_set('%s', 'schema.relation').",
							 kind, setting)));
		return setting;
	}

	ctc_run_as(&as, c->ext_owner, 0);
	relid = ctc_resolve_relation(setting, value, false, AccessShareLock, owner);
	*qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										   get_rel_name(relid));
	ctc_run_as_end(&as);
	return setting;
}

/*
 * ctc_check_people
 *		Refuse (P0002) ids that the clients or trainers relation (kind) does
 *		not list, when that setting is set.
 */
void
ctc_check_people(CtcCaller *c, const CtcSettings *settings, const char *kind,
				 Datum *ids, int n)
{
	const char *setting;
	char	   *qualname;
	char	   *missing = ctc_people_lookup(c, settings, kind, ids, n,
											CTC_SQL_PEOPLE_MISSING, &setting,
											&qualname);

	if (missing != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("%s %s not found in %s", kind, missing, qualname),
				 errhint("The setting \"%s\" names the %ss; check the id and the order of the arguments (client, then trainer).",
						 setting, kind)));
}

/*
 * ctc_find_people
 *		The first of ids (as text) that the clients or trainers relation
 *		(kind) lists, read as its owner; NULL when none is, or when the
 *		setting is not set.
 */
char *
ctc_find_people(CtcCaller *c, const CtcSettings *settings, const char *kind,
				Datum *ids, int n)
{
	const char *setting;
	char	   *qualname;

	return ctc_people_lookup(c, settings, kind, ids, n, CTC_SQL_PEOPLE_FOUND,
							 &setting, &qualname);
}

/*
 * ctc_people_lookup
 *		Run sql_format (the people relation as %s, the ids as $1 uuid[],
 *		at most one uuid returned) on the clients or trainers relation, as
 *		its owner; the id found as text, or NULL (also when the setting is
 *		not set).  *setting and *qualname name the relation.
 */
static char *
ctc_people_lookup(CtcCaller *c, const CtcSettings *settings, const char *kind,
				  Datum *ids, int n, const char *sql_format, const char **setting,
				  char **qualname)
{
	Oid			argtypes[1] = {UUIDARRAYOID};
	Datum		args[1];
	Oid			owner;
	SPIPlanPtr	plan;
	CtcRunAs	as;
	char	   *found = NULL;

	*setting = ctc_people_relation(c, settings, kind, false, qualname, &owner);
	if (*qualname == NULL || n == 0)
		return NULL;
	args[0] = PointerGetDatum(construct_array(ids, n, UUIDOID, UUID_LEN, false,
											  TYPALIGN_CHAR));
	ctc_run_as(&as, owner, SECURITY_NOFORCE_RLS);
	SPI_connect();
	plan = ctc_fixed_plan(psprintf(sql_format, *qualname), 1, argtypes);
	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "looking up %ss in %s failed", kind, *qualname);
	if (SPI_processed > 0)
		found = ctc_spi_strdup(SPI_getvalue(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1));
	SPI_finish();
	ctc_run_as_end(&as);
	return found;
}

/*
 * ctc_canonical_value
 *		Validate a new value of a setting and return the form to store: for
 *		functions and relations the schema-qualified, quoted name.
 */
static char *
ctc_canonical_value(const CtcSettingDef *def, const char *value, Oid ext_owner)
{
	Oid			oid;
	Oid			owner;

	switch (def->kind)
	{
		case CTC_SETTING_ROLE:
			if (value[0] == '\0' || strlen(value) >= NAMEDATALEN)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for setting \"%s\": \"%s\"", def->name, value),
						 errdetail("A role name has 1 to %d bytes.", NAMEDATALEN - 1)));
			return pstrdup(value);
		case CTC_SETTING_FUNCTION:
			oid = ctc_resolve_function(def->name, value, def->rettype, true,
									   ext_owner);
			return format_procedure_qualified(oid);
		case CTC_SETTING_RELATION:
			oid = ctc_resolve_relation(def->name, value, true, AccessShareLock,
									   &owner);
			return quote_qualified_identifier(get_namespace_name(get_rel_namespace(oid)),
											  get_rel_name(oid));
		case CTC_SETTING_SWITCH:
			{
				bool		on;

				if (!parse_bool(value, &on))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid value for setting \"%s\": \"%s\"", def->name, value),
							 errhint("Use on or off.")));
				if (on)
					ctc_require_logical(true);
				return pstrdup(on ? "on" : "off");
			}
	}
	return NULL;				/* keep compiler quiet */
}

/*
 * ct_cleanup_set(setting text, value text) RETURNS void
 *
 * Change one setting; a NULL value resets it to its default.  Unknown
 * settings and invalid values are refused (22023) naming them; functions
 * and relations are stored schema-qualified.  Extension owner or superuser
 * only.
 */
Datum
ct_cleanup_set(PG_FUNCTION_ARGS)
{
	CtcCaller	c;
	char	   *setting;
	const CtcSettingDef *def;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	ctc_registry_begin(fcinfo, &c, 1);
	setting = text_to_cstring(PG_GETARG_TEXT_PP(0));
	def = ctc_setting_def(setting);
	if (def == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized setting \"%s\"", setting),
				 errhint("The settings are listed in view ct_cleanup_settings.")));
	if (def->kind == CTC_SETTING_SWITCH &&
		!OidIsValid(get_relname_relid("ct_cleanup_replayed", c.ext_schema)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting \"%s\" needs version 1.2 of extension \"ct_cleanup\"", setting),
				 errhint("ALTER EXTENSION ct_cleanup UPDATE TO '1.2';")));

	values[0] = PG_GETARG_DATUM(0);
	if (PG_ARGISNULL(1))
		ctc_registry_exec(&c, CTC_SQL_RESET, 1, argtypes, values, NULL);
	else
	{
		values[1] = CStringGetTextDatum(ctc_canonical_value(def,
															text_to_cstring(PG_GETARG_TEXT_PP(1)),
															c.ext_owner));
		ctc_registry_exec(&c, CTC_SQL_SET, 2, argtypes, values, NULL);
	}
	ctc_registry_end(&c);
	PG_RETURN_VOID();
}
