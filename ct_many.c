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
							 CtcPairs *pairs);


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
 *		The body of both functions.
 */
static Datum
ctc_run_many(FunctionCallInfo fcinfo, bool preview)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CtcCaller	c;
	const CtcSettings *settings;
	const CtcRegistry *reg;
	CtcPairs	pairs;
	int64	   *counts;
	CtcOutcome *outcomes;
	int64	   *audit_ids;
	int64		total = 0;
	char	   *actor;

	ctc_enter(fcinfo, &c);
	settings = ctc_get_settings(&c);
	ctc_require_admin(&c, settings, fcinfo, UUIDARRAYOID);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", PG_ARGISNULL(0) ? "clients" : "trainers")));
	ctc_unique_pairs(PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1), &pairs);

	InitMaterializedSRF(fcinfo, 0);
	if (pairs.n == 0)
		return (Datum) 0;

	ctc_check_people(&c, settings, "client", pairs.clients, pairs.n);
	ctc_check_people(&c, settings, "trainer", pairs.trainers, pairs.n);
	/* the actor first: a vanished actor_id function fails before any delete */
	actor = preview ? NULL : ctc_actor_id(&c, settings);
	reg = ctc_run_pairs(&c, &pairs, preview, &counts);

	outcomes = palloc(sizeof(CtcOutcome) * pairs.n);
	for (int i = 0; i < pairs.n; i++)
	{
		ctc_summarize(reg->rules, reg->nrules, counts + (size_t) i * reg->nrules,
					  &outcomes[i]);
		total += outcomes[i].total;
	}

	audit_ids = palloc0(sizeof(int64) * pairs.n);
	if (!preview)
	{
		ctc_check_max_rows(&c, &pairs, total);
		ctc_write_audit(&c, &pairs, PG_GETARG_DATUM(2), PG_ARGISNULL(2),
						actor, outcomes, audit_ids);
	}

	for (int i = 0; i < pairs.n; i++)
	{
		Datum		values[CTC_RESULT_NATTS];
		bool		nulls[CTC_RESULT_NATTS];

		CHECK_FOR_INTERRUPTS();
		ctc_result_values(&outcomes[i], pairs.clients[i], pairs.trainers[i],
						  audit_ids[i], preview, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * ctc_unique_pairs
 *		Check the two arrays and return their pairs, duplicates collapsed
 *		(first occurrence kept, order otherwise as given).
 */
static void
ctc_unique_pairs(ArrayType *clients, ArrayType *trainers, CtcPairs *pairs)
{
	Datum	   *cvals;
	Datum	   *tvals;
	bool	   *cnulls;
	bool	   *tnulls;
	int			nc;
	int			nt;
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

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = 2 * UUID_LEN;
	ctl.entrysize = 2 * UUID_LEN;
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

		if (cnulls[i] || tnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s id of pair %d must not be null",
							cnulls[i] ? "client" : "trainer", i + 1)));
		ctc_check_distinct(cvals[i], tvals[i]);

		memcpy(key, DatumGetUUIDP(cvals[i])->data, UUID_LEN);
		memcpy(key + UUID_LEN, DatumGetUUIDP(tvals[i])->data, UUID_LEN);
		hash_search(seen, key, HASH_ENTER, &found);
		if (found)
			continue;
		pairs->clients[pairs->n] = cvals[i];
		pairs->trainers[pairs->n] = tvals[i];
		pairs->n++;
	}
	hash_destroy(seen);
}
