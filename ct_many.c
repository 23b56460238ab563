/*-------------------------------------------------------------------------
 *
 * ct_many.c
 *		Many pairs in one call: ct_cleanup_many() and ct_cleanup_preview_many().
 *
 * Pair i is (clients[i], trainers[i]).  Every pair is checked as in
 * ct_cleanup (one bad pair refuses the whole call), duplicate pairs are
 * collapsed (first occurrence kept), and all pairs go through the same
 * engine as one pair (ct_engine.c), with arrays: one DELETE per table for
 * all pairs, counted per pair, so that the counts of each pair equal what
 * single calls in the given order would return on the same data (a row of
 * an "either" rule that both (a, b) and (b, a) would delete counts for the
 * first of them).  One audit row per pair, written by one INSERT.
 *
 * Locking: as ct_cleanup (ct_engine.c); a batch of more than 64 distinct
 * pairs takes one exclusive lock instead of a lock per pair.
 *
 * IDENTIFICATION
 *		ct_many.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "catalog/pg_type.h"
#include "ct_cleanup_compat.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(ct_cleanup_many);
PG_FUNCTION_INFO_V1(ct_cleanup_preview_many);

static Datum ctc_run_many(FunctionCallInfo fcinfo, bool preview);
static void ctc_unique_pairs(ArrayType *clients, ArrayType *trainers,
							 ArrayType *fingerprints, CtcPairs *pairs,
							 char ***given);


/*
 * ct_cleanup_many(clients uuid[], trainers uuid[], reason text DEFAULT NULL)
 *		RETURNS SETOF ct_cleanup_result
 *
 * Remove the interactions of every pair (clients[i], trainers[i]) in one
 * statement, write one audit row per pair and return one result row per
 * pair, in the order given (duplicates collapsed).  Admins only.  NULL
 * arrays or elements: 22004; arrays of unequal length or not
 * one-dimensional, or a pair of one id: 22023; ids missing from the
 * configured clients/trainers: P0002.  ct_cleanup.max_rows applies to the
 * whole call.
 */
Datum
ct_cleanup_many(PG_FUNCTION_ARGS)
{
	return ctc_run_many(fcinfo, false);
}

/*
 * ct_cleanup_many(clients uuid[], trainers uuid[], reason text,
 *				   fingerprints text[]) RETURNS SETOF ct_cleanup_result (1.2)
 *
 * The same, bound to the previews: pair i's rows are deleted only if they
 * are exactly those its preview with fingerprints[i] counted; one mismatch
 * refuses the whole call (UC001, nothing deleted, no audit row).  A NULL
 * array or element raises 22004, arrays of unequal length 22023.
 *
 * ct_cleanup_preview_many(clients uuid[], trainers uuid[])
 *		RETURNS SETOF ct_cleanup_result
 *
 * The counts ct_cleanup_many would return now, deleting nothing and writing
 * no audit row.  Same checks; admins only.
 */
Datum
ct_cleanup_preview_many(PG_FUNCTION_ARGS)
{
	return ctc_run_many(fcinfo, true);
}

/*
 * ctc_run_many
 *		The body of the three functions.
 */
static Datum
ctc_run_many(FunctionCallInfo fcinfo, bool preview)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CtcCaller	c;
	const CtcSettings *settings;
	CtcPairs	pairs;
	CtcOutcome *outcomes;
	int64	   *audit_ids;
	char	  **given = NULL;
	Datum	   *reasons;
	bool	   *reason_nulls;
	bool		confirm = !preview && PG_NARGS() == 4;

	ctc_enter(fcinfo, &c);
	settings = ctc_get_settings(&c);
	ctc_require_admin(&c, settings, fcinfo, UUIDARRAYOID);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || (confirm && PG_ARGISNULL(3)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null",
						PG_ARGISNULL(0) ? "clients" : PG_ARGISNULL(1) ? "trainers" : "fingerprints")));
	ctc_unique_pairs(PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1),
					 confirm ? PG_GETARG_ARRAYTYPE_P(3) : NULL, &pairs, &given);
	InitMaterializedSRF(fcinfo, 0);
	ctc_check_result_type(rsinfo->setDesc);
	if (pairs.n == 0)
		return (Datum) 0;

	ctc_check_people(&c, settings, "client", pairs.clients, pairs.n);
	ctc_check_people(&c, settings, "trainer", pairs.trainers, pairs.n);
	reasons = palloc(sizeof(Datum) * pairs.n);
	reason_nulls = palloc(sizeof(bool) * pairs.n);
	for (int i = 0; i < pairs.n; i++)
	{
		reasons[i] = preview ? (Datum) 0 : PG_GETARG_DATUM(2);
		reason_nulls[i] = preview || PG_ARGISNULL(2);
	}
	(void) ctc_clean_pairs(&c, settings, &pairs, preview, reasons, reason_nulls,
						   given, &outcomes, &audit_ids);
	ctc_put_results(rsinfo, &pairs, outcomes, audit_ids, preview);
	return (Datum) 0;
}

/*
 * ctc_unique_pairs
 *		Check the two arrays and return their pairs, duplicates collapsed
 *		(first occurrence kept, order otherwise as given).  With
 *		fingerprints (not NULL), check that array too and return in *given
 *		each distinct pair's fingerprint: of the same length, no NULLs (22004),
 *		each one that ct_cleanup made, and a repeated pair repeating its
 *		fingerprint (22023).
 */
static void
ctc_unique_pairs(ArrayType *clients, ArrayType *trainers, ArrayType *fingerprints,
				 CtcPairs *pairs, char ***given)
{
	Datum	   *cvals;
	Datum	   *tvals;
	bool	   *cnulls;
	bool	   *tnulls;
	Datum	   *fvals = NULL;
	bool	   *fnulls = NULL;
	int			nc;
	int			nt;
	int			nf = 0;
	int		   *first;
	HASHCTL		ctl;
	HTAB	   *seen;

	if (ARR_NDIM(clients) > 1 || ARR_NDIM(trainers) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("clients and trainers must be one-dimensional arrays")));
	deconstruct_array(clients, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR,
					  &cvals, &cnulls, &nc);
	deconstruct_array(trainers, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR,
					  &tvals, &tnulls, &nt);
	if (nc != nt)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("clients and trainers have different lengths (%d and %d)", nc, nt),
				 errhint("Pair i is (clients[i], trainers[i]).")));
	if (fingerprints != NULL)
	{
		if (ARR_NDIM(fingerprints) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("fingerprints must be a one-dimensional array")));
		deconstruct_array(fingerprints, TEXTOID, -1, false, TYPALIGN_INT,
						  &fvals, &fnulls, &nf);
		if (nf != nc)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("clients and fingerprints have different lengths (%d and %d)", nc, nf),
					 errhint("fingerprints[i] is the fingerprint of the preview of pair i.")));
		*given = palloc(sizeof(char *) * Max(nc, 1));
	}
	first = palloc(sizeof(int) * Max(nc, 1));

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = 2 * UUID_LEN;
	ctl.entrysize = 2 * UUID_LEN + sizeof(int);
	ctl.hcxt = CurrentMemoryContext;
	seen = hash_create("ct_cleanup pairs", Max(nc, 1), &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	pairs->n = 0;
	pairs->clients = palloc(sizeof(Datum) * Max(nc, 1));
	pairs->trainers = palloc(sizeof(Datum) * Max(nc, 1));
	for (int i = 0; i < nc; i++)
	{
		char		key[2 * UUID_LEN];
		bool		found;
		char	   *entry;
		char	   *fingerprint = NULL;

		if (cnulls[i] || tnulls[i] || (fnulls != NULL && fnulls[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s of pair %d must not be null",
							cnulls[i] ? "client id" : tnulls[i] ? "trainer id" : "fingerprint",
							i + 1)));
		ctc_check_distinct(cvals[i], tvals[i]);
		if (fvals != NULL)
		{
			fingerprint = TextDatumGetCString(fvals[i]);
			ctc_check_fingerprint_text(fingerprint, i + 1);
		}
		memcpy(key, DatumGetUUIDP(cvals[i])->data, UUID_LEN);
		memcpy(key + UUID_LEN, DatumGetUUIDP(tvals[i])->data, UUID_LEN);
		entry = hash_search(seen, key, HASH_ENTER, &found);
		if (found)
		{
			int			was = *(int *) (entry + 2 * UUID_LEN);

			if (fingerprint != NULL && strcmp(fingerprint, (*given)[was]) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pair %d repeats pair %d with another fingerprint", i + 1,
								first[was] + 1),
						 errhint("A pair has one preview: pass its fingerprint at every position of the pair, or the pair once.")));
			continue;
		}
		*(int *) (entry + 2 * UUID_LEN) = pairs->n;
		first[pairs->n] = i;
		if (fingerprint != NULL)
			(*given)[pairs->n] = fingerprint;
		pairs->clients[pairs->n] = cvals[i];
		pairs->trainers[pairs->n] = tvals[i];
		pairs->n++;
	}
	hash_destroy(seen);
}
