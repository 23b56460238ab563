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

#endif							/* CT_CLEANUP_COMPAT_H */
