/*-------------------------------------------------------------------------
 *
 * ct_many.c
 *		Many pairs in one call: ct_cleanup_many() and ct_cleanup_preview_many().
 *
 * Pair i is (clients[i], trainers[i]).  Every pair is checked as in
 * ct_cleanup (one bad pair refuses the whole call), duplicate pairs are
 * collapsed, and all pairs are removed by ONE statement (the batch form of
 * ct_statement.c) whose CTEs carry each row's pair, so that the counts per
 * pair equal what single-pair calls would return on the same data.  One
 * audit row per pair, written by one INSERT.
 *
 * Locking: the pairs' advisory locks are taken in the order of their keys,
 * so that two overlapping batches (or a batch and single cleanups) wait for
 * each other instead of deadlocking.  Otherwise as ct_cleanup (see the file
 * header of ct_cleanup.c).
 *
 * One caveat of the batch form: a row that belongs to two pairs of the same
 * call — an "either" rule's row when both (a, b) and (b, a) are given — is
 * deleted once and counted for one of them.
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
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(ct_cleanup_many);
PG_FUNCTION_INFO_V1(ct_cleanup_preview_many);

/* One pair of a batch, with its advisory lock key. */
typedef struct CtcPair
{
	Datum		client;
	Datum		trainer;
	int32		key1;
	int32		key2;
} CtcPair;

static Datum ctc_run_many(FunctionCallInfo fcinfo, bool preview);
static int	ctc_unique_pairs(ArrayType *clients, ArrayType *trainers,
							 CtcPair **pairs);
static void ctc_lock_pairs(CtcPair *pairs, int npairs);
static int	ctc_pair_key_cmp(const void *a, const void *b);


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
	CtcPair    *pairs;
	int			npairs;
	Datum	   *clients;
	Datum	   *trainers;
	Datum		args[2];
	const CtcRegistry *reg;
	int64	   *counts;
	CtcOutcome *outcomes;
	int64	   *audit_ids;
	int64		total = 0;
	int			guc_level;

	ctc_enter(fcinfo, &c);
	ctc_require_admin(&c, fcinfo, UUIDARRAYOID);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", PG_ARGISNULL(0) ? "clients" : "trainers")));
	npairs = ctc_unique_pairs(PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1), &pairs);

	InitMaterializedSRF(fcinfo, 0);
	if (npairs == 0)
		return (Datum) 0;

	clients = palloc(sizeof(Datum) * npairs);
	trainers = palloc(sizeof(Datum) * npairs);
	for (int i = 0; i < npairs; i++)
	{
		clients[i] = pairs[i].client;
		trainers[i] = pairs[i].trainer;
	}
	ctc_check_people(&c, "client", clients, npairs);
	ctc_check_people(&c, "trainer", trainers, npairs);

	if (!preview)
		ctc_lock_pairs(pairs, npairs);

	guc_level = preview ? -1 : ctc_apply_lock_timeout();
	reg = ctc_get_registry(&c, preview ? AccessShareLock : RowExclusiveLock);
	counts = palloc0(sizeof(int64) * Max(reg->nrules, 1) * npairs);
	if (reg->nrules > 0)
	{
		args[0] = PointerGetDatum(construct_array(clients, npairs, UUIDOID, UUID_LEN,
												  false, TYPALIGN_CHAR));
		args[1] = PointerGetDatum(construct_array(trainers, npairs, UUIDOID, UUID_LEN,
												  false, TYPALIGN_CHAR));
		ctc_execute(&c, reg, preview ? reg->preview_many_sql : reg->cleanup_many_sql,
					UUIDARRAYOID, args, preview, npairs, counts);
	}
	if (guc_level >= 0)
		AtEOXact_GUC(true, guc_level);

	outcomes = palloc(sizeof(CtcOutcome) * npairs);
	for (int i = 0; i < npairs; i++)
	{
		ctc_summarize(reg->rules, reg->nrules, counts + (size_t) i * reg->nrules,
					  &outcomes[i]);
		total += outcomes[i].total;
	}

	audit_ids = palloc0(sizeof(int64) * npairs);
	if (!preview)
	{
		ctc_check_max_rows(&c, NULL, npairs, total);
		ctc_write_audit_many(&c, npairs, clients, trainers, PG_GETARG_DATUM(2),
							 PG_ARGISNULL(2), ctc_actor_id(&c), outcomes, audit_ids);
	}

	for (int i = 0; i < npairs; i++)
	{
		Datum		values[CTC_RESULT_NATTS];
		bool		nulls[CTC_RESULT_NATTS];

		ctc_result_values(&outcomes[i], clients[i], trainers[i], audit_ids[i],
						  preview, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * ctc_unique_pairs
 *		Check the two arrays and return their pairs, duplicates collapsed
 *		(first occurrence kept, order otherwise as given).
 */
static int
ctc_unique_pairs(ArrayType *clients, ArrayType *trainers, CtcPair **pairs)
{
	Datum	   *cvals;
	Datum	   *tvals;
	bool	   *cnulls;
	bool	   *tnulls;
	int			nc;
	int			nt;
	int			n = 0;
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

	*pairs = palloc(sizeof(CtcPair) * Max(nc, 1));
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
		(*pairs)[n].client = cvals[i];
		(*pairs)[n].trainer = tvals[i];
		ctc_pair_lock_key(DatumGetUUIDP(cvals[i]), DatumGetUUIDP(tvals[i]),
						  &(*pairs)[n].key1, &(*pairs)[n].key2);
		n++;
	}
	hash_destroy(seen);
	return n;
}

/*
 * ctc_lock_pairs
 *		Take the advisory locks of all pairs in the order of their keys.
 */
static void
ctc_lock_pairs(CtcPair *pairs, int npairs)
{
	CtcPair    *sorted;

	if (npairs <= 0)
		return;
	sorted = palloc(sizeof(CtcPair) * npairs);
	memcpy(sorted, pairs, sizeof(CtcPair) * npairs);
	qsort(sorted, npairs, sizeof(CtcPair), ctc_pair_key_cmp);
	for (int i = 0; i < npairs; i++)
	{
		CHECK_FOR_INTERRUPTS();
		DirectFunctionCall2(pg_advisory_xact_lock_int4,
							Int32GetDatum(sorted[i].key1), Int32GetDatum(sorted[i].key2));
	}
	pfree(sorted);
}

/*
 * ctc_pair_key_cmp
 *		qsort comparator of pairs by advisory lock key.
 */
static int
ctc_pair_key_cmp(const void *a, const void *b)
{
	const CtcPair *pa = (const CtcPair *) a;
	const CtcPair *pb = (const CtcPair *) b;

	if (pa->key1 != pb->key1)
		return pa->key1 < pb->key1 ? -1 : 1;
	if (pa->key2 != pb->key2)
		return pa->key2 < pb->key2 ? -1 : 1;
	return 0;
}
