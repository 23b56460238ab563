/*-------------------------------------------------------------------------
 *
 * ct_cleanup_compat.h
 *		Differences between the PostgreSQL major versions ct_cleanup builds on.
 *
 * The rest of the code is written against PostgreSQL 15; every difference
 * to another major version is bridged here, one block per version, so that
 * no #if appears inside a function body.
 *
 * IDENTIFICATION
 *		ct_cleanup_compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_CLEANUP_COMPAT_H
#define CT_CLEANUP_COMPAT_H

#include "catalog/pg_constraint.h"

/*
 * PostgreSQL 15 added ON DELETE SET NULL/SET DEFAULT column lists, and with
 * them two output arguments to DeconstructFkConstraintRow().
 */
#if PG_VERSION_NUM >= 150000
#define ctc_deconstruct_fk(tup, numfks, conkey, confkey, pfeqop) \
	DeconstructFkConstraintRow((tup), (numfks), (conkey), (confkey), \
							   (pfeqop), NULL, NULL, NULL, NULL)
#else
#define ctc_deconstruct_fk(tup, numfks, conkey, confkey, pfeqop) \
	DeconstructFkConstraintRow((tup), (numfks), (conkey), (confkey), \
							   (pfeqop), NULL, NULL)
#endif

/*
 * PostgreSQL 16 replaced the per-object ACL check functions with
 * object_aclcheck().
 */
#if PG_VERSION_NUM >= 160000
#define ctc_proc_aclcheck(fnoid, roleid, mode) \
	object_aclcheck(ProcedureRelationId, (fnoid), (roleid), (mode))
#define pg_namespace_aclcheck(nspid, roleid, mode) \
	object_aclcheck(NamespaceRelationId, (nspid), (roleid), (mode))
#else
#define ctc_proc_aclcheck(fnoid, roleid, mode) \
	pg_proc_aclcheck((fnoid), (roleid), (mode))
#endif

/*
 * PostgreSQL 15 renamed EmitWarningsOnPlaceholders() to
 * MarkGUCPrefixReserved().
 */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * PostgreSQL 15 added InitMaterializedSRF(); before, each set-returning
 * function set up its tuplestore itself, as below.
 */
#if PG_VERSION_NUM < 150000
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"

static inline void
InitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	TupleDesc	tupdesc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(oldcxt);
}
#endif

#endif							/* CT_CLEANUP_COMPAT_H */
