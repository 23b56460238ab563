/*-------------------------------------------------------------------------
 *
 * ct_operations.c
 *		Operations: the health check, the registration suggestions and the
 *		drift guard that keeps the registry in step with DROP.
 *
 * ct_cleanup_check() and ct_cleanup_suggest() are thin wrappers: they check
 * the caller like every entry point (admins only), then run a report written
 * in SQL (ct_cleanup_check_report(), ct_cleanup_suggest_report(), owner
 * only) as the extension owner, who can read the registry.
 *
 * ct_cleanup_drift_guard() is the sql_drop event trigger.  Event triggers run
 * as whoever drops, so it switches to the extension owner to change the
 * registry; it only ever acts on the OIDs PostgreSQL reports as dropped.
 *
 * IDENTIFICATION
 *		ct_operations.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "ct_cleanup_compat.h"
#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "storage/lmgr.h"
#include "utils/catcache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(ct_cleanup_check);
PG_FUNCTION_INFO_V1(ct_cleanup_suggest);
PG_FUNCTION_INFO_V1(ct_cleanup_drift_guard);

/* Registered children of dropped tables that are not dropped themselves. */
#define CTC_SQL_ORPHANED_CHILDREN \
	"WITH dropped AS (SELECT d.objid, d.object_identity" \
	" FROM pg_catalog.pg_event_trigger_dropped_objects() AS d" \
	" WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass" \
	" AND d.objsubid OPERATOR(pg_catalog.=) 0)" \
	" SELECT r.target::pg_catalog.text, p.object_identity" \
	" FROM %1$s.ct_cleanup_rule AS r" \
	" JOIN dropped AS p ON p.objid OPERATOR(pg_catalog.=) r.parent::pg_catalog.oid" \
	" WHERE NOT EXISTS (SELECT 1 FROM dropped AS d" \
	" WHERE d.objid OPERATOR(pg_catalog.=) r.target::pg_catalog.oid) ORDER BY r.id"
/* Forget the rules of dropped tables. */
#define CTC_SQL_FORGET_DROPPED \
	"DELETE FROM %1$s.ct_cleanup_rule AS r WHERE EXISTS" \
	" (SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() AS d" \
	" WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass" \
	" AND d.objsubid OPERATOR(pg_catalog.=) 0" \
	" AND d.objid OPERATOR(pg_catalog.=) r.target::pg_catalog.oid)"

/* Alias sources (1.2) among the dropped objects. */
#define CTC_SQL_DROPPED_ALIASES \
	"SELECT d.object_identity, a.kind FROM %1$s.ct_cleanup_alias AS a" \
	" JOIN pg_catalog.pg_event_trigger_dropped_objects() AS d" \
	" ON d.objid OPERATOR(pg_catalog.=) a.source::pg_catalog.oid" \
	" AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass" \
	" AND d.objsubid OPERATOR(pg_catalog.=) 0 ORDER BY a.id"

static Datum ctc_run_report(FunctionCallInfo fcinfo, const char *report);
static void ctc_require_unique_report(CtcCaller *c, const char *report);


/*
 * ct_cleanup_check() RETURNS TABLE(severity text, object text, problem text,
 *                                  hint text)
 *
 * The problems of the registry, the settings and the extension's own
 * privileges, errors first, each with the command that fixes it.  Nothing
 * on a healthy installation.  Admins only.
 */
Datum
ct_cleanup_check(PG_FUNCTION_ARGS)
{
	return ctc_run_report(fcinfo, "ct_cleanup_check_report");
}

/*
 * ct_cleanup_suggest() RETURNS TABLE(category text, target regclass,
 *                                    parent regclass, fk name)
 *
 * Child registrations inferred from foreign keys into registered tables
 * (and into tables suggested before them), parents first.  Nothing is
 * registered.  Admins only.
 */
Datum
ct_cleanup_suggest(PG_FUNCTION_ARGS)
{
	return ctc_run_report(fcinfo, "ct_cleanup_suggest_report");
}

/*
 * ctc_run_report
 *		Check the caller, then return every row of the owner-only report
 *		function "report" of the extension's schema, run as its owner.
 */
static Datum
ctc_run_report(FunctionCallInfo fcinfo, const char *report)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CtcCaller	c;

	CtcRunAs	as;

	ctc_enter(fcinfo, &c);
	ctc_require_admin(&c, ctc_get_settings(&c), fcinfo, InvalidOid);
	InitMaterializedSRF(fcinfo, 0);

	ctc_require_unique_report(&c, report);
	ctc_run_as(&as, c.ext_owner, 0);
	SPI_connect();
	if (SPI_execute(psprintf("SELECT * FROM %s.%s()", c.schema_quoted,
							 quote_identifier(report)), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "running %s failed", report);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[4];
		bool		nulls[4];

		for (int col = 0; col < rsinfo->setDesc->natts; col++)
			values[col] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
										col + 1, &nulls[col]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	ctc_run_as_end(&as);
	return (Datum) 0;
}

/*
 * ctc_require_unique_report
 *		Refuse (42725), naming them, functions that someone who may create in
 *		the extension's schema added beside the report "report" under its
 *		name: the report is called by name, and an overload whose arguments
 *		all have defaults would make that call ambiguous, or take it over.
 */
static void
ctc_require_unique_report(CtcCaller *c, const char *report)
{
	CatCList   *list = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(report));
	StringInfoData names;
	int			n = 0;

	initStringInfo(&names);
	for (int i = 0; i < list->n_members; i++)
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(&list->members[i]->tuple);

		if (proc->pronamespace != c->ext_schema)
			continue;
		n++;
		appendStringInfo(&names, "%s%s", names.len > 0 ? ", " : "",
						 format_procedure_qualified(proc->oid));
	}
	ReleaseSysCacheList(list);
	if (n <= 1)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_AMBIGUOUS_FUNCTION),
			 errmsg("function %s.%s() of extension \"ct_cleanup\" has been overloaded",
					c->schema_quoted, report),
			 errdetail("Functions of that name: %s.", names.data),
			 errhint("Drop the function that is not part of the extension, and keep CREATE on the extension's schema to trusted roles.")));
}

/*
 * ct_cleanup_drift_guard() RETURNS event_trigger
 *
 * On sql_drop: refuse (2BP01) to drop a registered table whose registered
 * children are not dropped with it, naming them; otherwise remove the rules
 * of every dropped table.  Refuses (2BP01) to drop an alias source: the ids
 * it maps stay in the registered tables.  Does nothing while the extension itself is being
 * dropped.
 */
Datum
ct_cleanup_drift_guard(PG_FUNCTION_ARGS)
{
	CtcCaller	c;
	CtcRunAs	as;
	Oid			ext = get_extension_oid("ct_cleanup", true);
	Oid			rule_relid;
	uint64		n;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ct_cleanup_drift_guard() may only be called as an event trigger")));

	/* DROP EXTENSION ct_cleanup, or a drop of our own schema */
	if (!OidIsValid(ext))
		PG_RETURN_VOID();
	ctc_enter(fcinfo, &c);
	rule_relid = get_relname_relid("ct_cleanup_rule", c.ext_schema);
	if (!OidIsValid(rule_relid))
		PG_RETURN_VOID();

	/* serialized with registry changes, as they are with each other */
	LockRelationOid(rule_relid, ShareUpdateExclusiveLock);
	ctc_run_as(&as, c.ext_owner, 0);
	SPI_connect();
	n = ctc_registry_exec(&c, CTC_SQL_ORPHANED_CHILDREN, 0, NULL, NULL, NULL);
	if (n > 0)
	{
		char	   *child = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *parent = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop table %s because registered table %s is its child in ct_cleanup",
						parent, child),
				 errdetail("ct_cleanup deletes rows of %s through their foreign key to %s.",
						   child, parent),
				 errhint("Unregister the child first (SELECT ct_cleanup_unregister(%s)), or drop both together.",
						 quote_literal_cstr(child))));
	}
	if (OidIsValid(get_relname_relid("ct_cleanup_alias", c.ext_schema)) &&
		ctc_registry_exec(&c, CTC_SQL_DROPPED_ALIASES, 0, NULL, NULL, NULL) > 0)
	{
		char	   *source = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *kind = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		/* its ids stay in the registered tables: cleanups would miss them */
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop %s because it is a ct_cleanup alias source", source),
				 errdetail("The registered tables may hold the second ids it lists; without it a cleanup would leave those rows behind."),
				 errhint("Unregister it first (SELECT ct_cleanup_unregister_alias(%s, %s)), then drop it; to replace a view, use CREATE OR REPLACE VIEW.",
						 quote_literal_cstr(kind), quote_literal_cstr(source))));
	}
	ctc_registry_exec(&c, CTC_SQL_FORGET_DROPPED, 0, NULL, NULL, NULL);
	SPI_finish();
	ctc_run_as_end(&as);
	PG_RETURN_VOID();
}
