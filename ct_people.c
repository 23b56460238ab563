/*-------------------------------------------------------------------------
 *
 * ct_people.c
 *		The people behind the ids: ct_cleanup_people() for the dashboard's
 *		pickers, and the check that a cleanup's ids are a known client and a
 *		known trainer.
 *
 * The settings clients and trainers each name a table or view with columns
 * id uuid and name text.  Both are read as the relation's owner (with
 * SECURITY_NOFORCE_RLS, like the deletes), so an admin needs no privilege on
 * the application's tables.  When a setting is not set, ids are not checked
 * and ct_cleanup_people() for that kind is refused.
 *
 * IDENTIFICATION
 *		ct_people.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "catalog/pg_type.h"
#include "ct_cleanup_compat.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(ct_cleanup_people);

#define CTC_SQL_PEOPLE_MISSING \
	"SELECT u.id FROM pg_catalog.unnest($1) WITH ORDINALITY AS u(id, i)" \
	" WHERE NOT EXISTS (SELECT 1 FROM %s AS p WHERE p.id OPERATOR(pg_catalog.=) u.id)" \
	" ORDER BY u.i LIMIT 1"
#define CTC_SQL_PEOPLE_ALL \
	"SELECT p.id, p.name::pg_catalog.text FROM %s AS p" \
	" ORDER BY p.name, p.id LIMIT $1"
#define CTC_SQL_PEOPLE_SEARCH \
	"SELECT p.id, p.name::pg_catalog.text FROM %s AS p" \
	" WHERE p.name OPERATOR(pg_catalog.~~*) $2" \
	" ORDER BY p.name, p.id LIMIT $1"

static const char *ctc_people_setting(CtcCaller *c, const char *kind,
									  const char **value);
static char *ctc_like_pattern(const char *search);


/*
 * ctc_people_setting
 *		The name of the setting for a kind ("client" or "trainer"; anything
 *		else is refused with 22023) and, in *value, its value or NULL.
 */
static const char *
ctc_people_setting(CtcCaller *c, const char *kind, const char **value)
{
	if (strcmp(kind, "client") == 0)
	{
		*value = ctc_get_settings(c)->clients;
		return "clients";
	}
	if (strcmp(kind, "trainer") == 0)
	{
		*value = ctc_get_settings(c)->trainers;
		return "trainers";
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid kind \"%s\"", kind),
			 errhint("The kind is \"client\" or \"trainer\".")));
	return NULL;				/* keep compiler quiet */
}

/*
 * ctc_check_people
 *		Refuse (P0002) the first of ids[0..n-1] that is not in the relation
 *		configured for its kind; do nothing when none is configured.  One
 *		query for all of them.
 */
void
ctc_check_people(CtcCaller *c, const char *kind, Datum *ids, int n)
{
	const char *value;
	const char *setting = ctc_people_setting(c, kind, &value);
	Oid			argtypes[1] = {UUIDARRAYOID};
	Datum		args[1];
	Oid			relid;
	Oid			owner;
	char	   *qualname;
	SPIPlanPtr	plan;
	char	   *missing = NULL;

	if (value == NULL)
		return;

	ctc_become(c, c->ext_owner, 0);
	relid = ctc_resolve_relation(setting, value, false, &owner);
	qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  get_rel_name(relid));
	ctc_restore(c);

	args[0] = PointerGetDatum(construct_array(ids, n, UUIDOID, UUID_LEN, false,
											  TYPALIGN_CHAR));
	ctc_become(c, owner, SECURITY_NOFORCE_RLS);
	SPI_connect();
	plan = ctc_cached_plan(psprintf(CTC_SQL_PEOPLE_MISSING, qualname), 1, argtypes);
	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "looking up %ss in %s failed", kind, qualname);
	if (SPI_processed > 0)
		missing = ctc_spi_strdup(SPI_getvalue(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1));
	SPI_finish();
	ctc_restore(c);

	if (missing != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("%s %s not found in %s", kind, missing, qualname),
				 errhint("The setting \"%s\" names the %ss; check the id and the order of the arguments (client, then trainer).",
						 setting, kind)));
}

/*
 * ctc_like_pattern
 *		An ILIKE pattern matching search anywhere, with its own wildcards and
 *		escapes taken literally.
 */
static char *
ctc_like_pattern(const char *search)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '%');
	for (const char *p = search; *p; p++)
	{
		if (*p == '%' || *p == '_' || *p == '\\')
			appendStringInfoChar(&buf, '\\');
		appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '%');
	return buf.data;
}

/*
 * ct_cleanup_people(kind text, search text DEFAULT NULL, max_rows int DEFAULT 50)
 *		RETURNS TABLE(id uuid, name text)
 *
 * The clients or trainers (kind "client" or "trainer") whose name contains
 * search, case-insensitively (all when search is NULL), ordered by name, at
 * most max_rows.  Admins only; refused inside security-restricted
 * operations.  kind and max_rows must not be NULL (22004); an unknown kind,
 * max_rows < 1 or an unset setting for the kind is 22023.  Read as the
 * owner of the configured relation.
 */
Datum
ct_cleanup_people(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CtcCaller	c;
	const char *kind;
	const char *value;
	const char *setting;
	int32		max_rows;
	Oid			relid;
	Oid			owner;
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	Datum		args[2];
	SPIPlanPtr	plan;
	char	   *qualname;

	ctc_enter(fcinfo, &c);
	ctc_require_admin(&c, fcinfo, InvalidOid);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", PG_ARGISNULL(0) ? "kind" : "max_rows")));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	max_rows = PG_GETARG_INT32(2);
	setting = ctc_people_setting(&c, kind, &value);
	if (max_rows < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_rows must be at least 1, not %d", max_rows)));
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting \"%s\" is not set", setting),
				 errhint("Name the table or view of the %ss with ct_cleanup_set('%s', 'schema.relation').",
						 kind, setting)));

	ctc_become(&c, c.ext_owner, 0);
	relid = ctc_resolve_relation(setting, value, false, &owner);
	qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  get_rel_name(relid));
	ctc_restore(&c);

	InitMaterializedSRF(fcinfo, 0);
	args[0] = Int32GetDatum(max_rows);
	if (!PG_ARGISNULL(1))
		args[1] = CStringGetTextDatum(ctc_like_pattern(text_to_cstring(PG_GETARG_TEXT_PP(1))));

	ctc_become(&c, owner, SECURITY_NOFORCE_RLS);
	SPI_connect();
	plan = ctc_cached_plan(psprintf(PG_ARGISNULL(1) ? CTC_SQL_PEOPLE_ALL : CTC_SQL_PEOPLE_SEARCH,
									qualname),
						   PG_ARGISNULL(1) ? 1 : 2, argtypes);
	if (SPI_execute_plan(plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the %ss from %s failed", kind, qualname);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[2];
		bool		nulls[2];

		CHECK_FOR_INTERRUPTS();
		values[0] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &nulls[0]);
		values[1] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &nulls[1]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	ctc_restore(&c);
	return (Datum) 0;
}
