/*-------------------------------------------------------------------------
 *
 * ct_remote.c
 *		SQL entry point for calls that arrive through PL/Proxy:
 *		ct_cleanup_remote(proxy_role name, setting_names text[],
 *						  setting_values text[], value anyelement).
 *
 * The extension ct_cleanup_plproxy, in a proxy database, sends every pair's
 * call to the partition that holds the pair as
 *
 *		SELECT * FROM s.ct_cleanup(s.ct_cleanup_remote($1, $2, $3, $4), ...)
 *
 * PL/Proxy connects to the partition as the proxy's current user and runs
 * that statement in autocommit.  The request's settings (PostgREST's
 * request.jwt.claims, which admin_check and actor_id functions such as
 * app.is_admin() and auth.uid() read) do not travel with the connection:
 * the proxy passes them, and this function sets them on the partition,
 * local to the statement's transaction, before the call it is an argument
 * of runs (arguments are evaluated before their function).  It also checks
 * that the partition sees the same role as the proxy, so that the admin
 * check and the audit row name the role a single-node call would.  It
 * returns "value" unchanged.
 *
 * It grants nothing on the partition: any role may set request.* settings
 * in its own session, and the role is compared, never switched.  (In the
 * proxy, where web users reach only the functions PostgREST exposes, the
 * internal functions check that the role and settings they send are the
 * caller's own.)  Only settings whose names start with "request." are
 * accepted.  The settings are local to the transaction, so on PL/Proxy's
 * autocommit connections they end with the statement.  Like every entry
 * point it has SET search_path (which does not undo them: a SET clause
 * restores only the settings it names) and refuses to run when altered to
 * SECURITY DEFINER.
 *
 * Also ct_cleanup_restricted(), for ct_cleanup_plproxy in the proxy
 * database: whether the caller is inside a security-restricted operation,
 * which SQL cannot tell.
 *
 * IDENTIFICATION
 *		ct_remote.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_FUNCTION_INFO_V1(ct_cleanup_remote);
PG_FUNCTION_INFO_V1(ct_cleanup_restricted);

static void ctc_set_request_settings(ArrayType *names, ArrayType *values);

/*
 * ct_cleanup_remote(proxy_role name, setting_names text[],
 *					 setting_values text[], value anyelement) RETURNS anyelement
 *		Check the role, set the request settings, return value (see the
 *		file header).  proxy_role NULL: 22004; another role than the
 *		current one, or a call inside a security-restricted operation:
 *		42501; arrays of unequal length, a NULL or non-"request." name:
 *		22023.  A NULL value of a setting leaves it alone.
 */
Datum
ct_cleanup_remote(PG_FUNCTION_ARGS)
{
	CtcCaller	c;
	const char *proxy_role;
	const char *here;

	ctc_enter(fcinfo, &c);
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s cannot be called inside a security-restricted operation", c.fn_name)));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("proxy_role must not be null")));
	proxy_role = NameStr(*PG_GETARG_NAME(0));
	here = GetUserNameFromId(c.caller, false);
	if (strcmp(proxy_role, here) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("call from the ct_cleanup proxy as role \"%s\" runs here as role \"%s\"",
						proxy_role, here),
				 errdetail("The admin check and the audit row must name the role that called the proxy."),
				 errhint("In the proxy database, remove the \"user\" option from the user mapping that role \"%s\" uses for server ct_cleanup, so that PL/Proxy connects as that role, and let it log in to this partition.",
						 proxy_role)));
	if (!PG_ARGISNULL(1) || !PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting_names and setting_values must both be null or both be arrays")));
		ctc_set_request_settings(PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_ARRAYTYPE_P(2));
	}
	if (PG_ARGISNULL(3))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(3));
}

/*
 * ctc_set_request_settings
 *		SET LOCAL names[i] = values[i] for every i whose value is not NULL;
 *		every name must start with "request.".
 */
static void
ctc_set_request_settings(ArrayType *names, ArrayType *values)
{
	Datum	   *name_datums;
	Datum	   *value_datums;
	bool	   *name_nulls;
	bool	   *value_nulls;
	int			nnames;
	int			nvalues;

	if (ARR_NDIM(names) > 1 || ARR_NDIM(values) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting_names and setting_values must be one-dimensional arrays")));
	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT,
					  &name_datums, &name_nulls, &nnames);
	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT,
					  &value_datums, &value_nulls, &nvalues);
	if (nnames != nvalues)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting_names has %d elements but setting_values has %d", nnames, nvalues)));
	for (int i = 0; i < nnames; i++)
	{
		char	   *name;

		if (name_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting_names[%d] must not be null", i + 1)));
		name = TextDatumGetCString(name_datums[i]);
		if (strncmp(name, "request.", 8) != 0 || name[8] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting \"%s\" cannot be passed to a partition", name),
					 errdetail("Only settings whose names start with \"request.\" are passed.")));
		if (value_nulls[i])
			continue;
		(void) set_config_option(name, TextDatumGetCString(value_datums[i]),
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
								 true, 0, false);
	}
}

/*
 * ct_cleanup_restricted() RETURNS boolean
 *		True inside a security-restricted operation (a superuser's ANALYZE,
 *		REINDEX, VACUUM or REFRESH MATERIALIZED VIEW evaluating another
 *		role's expression).  Declared by ct_cleanup_plproxy, whose proxy
 *		functions refuse to run there as ct_cleanup does.
 */
Datum
ct_cleanup_restricted(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(InSecurityRestrictedOperation());
}
