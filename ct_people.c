/*-------------------------------------------------------------------------
 *
 * ct_people.c
 *		ct_cleanup_people(): the people behind the ids, for the dashboard's
 *		pickers.
 *
 * The settings clients and trainers each name a table or view with columns
 * id uuid and name text (resolved and locked by ct_settings.c, which also
 * checks a cleanup's ids against them).  It is read as the relation's owner
 * (a security-restricted operation, with SECURITY_NOFORCE_RLS like the
 * deletes), so an admin needs no privilege on the application's tables.
 * When the setting of a kind is not set, ct_cleanup_people() for that kind
 * is refused.
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

#define CTC_SQL_PEOPLE_ALL \
	"SELECT p.id, p.name::pg_catalog.text FROM %s AS p" \
	" ORDER BY p.name, p.id LIMIT $1"
#define CTC_SQL_PEOPLE_SEARCH \
	"SELECT p.id, p.name::pg_catalog.text FROM %s AS p" \
	" WHERE p.name OPERATOR(pg_catalog.~~*) $2" \
	" ORDER BY p.name, p.id LIMIT $1"

static char *ctc_like_pattern(const char *search);


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
	const CtcSettings *settings;
	int32		max_rows;
	Oid			owner;
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	Datum		args[2];
	SPIPlanPtr	plan;
	char	   *qualname;
	CtcRunAs	as;
	bool		search = !PG_ARGISNULL(1);

	ctc_enter(fcinfo, &c);
	settings = ctc_get_settings(&c);
	ctc_require_admin(&c, settings, fcinfo, InvalidOid);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", PG_ARGISNULL(0) ? "kind" : "max_rows")));
	max_rows = PG_GETARG_INT32(2);
	if (max_rows < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_rows must be at least 1, not %d", max_rows)));
	(void) ctc_people_relation(&c, settings, text_to_cstring(PG_GETARG_TEXT_PP(0)),
							   true, &qualname, &owner);

	InitMaterializedSRF(fcinfo, 0);
	args[0] = Int32GetDatum(max_rows);
	if (search)
		args[1] = CStringGetTextDatum(ctc_like_pattern(text_to_cstring(PG_GETARG_TEXT_PP(1))));

	ctc_run_as(&as, owner, SECURITY_NOFORCE_RLS);
	SPI_connect();
	plan = ctc_fixed_plan(psprintf(search ? CTC_SQL_PEOPLE_SEARCH : CTC_SQL_PEOPLE_ALL,
								   qualname),
						  search ? 2 : 1, argtypes);
	if (SPI_execute_plan(plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the people from %s failed", qualname);
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
	ctc_run_as_end(&as);
	return (Datum) 0;
}
