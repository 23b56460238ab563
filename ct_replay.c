/*-------------------------------------------------------------------------
 *
 * ct_replay.c
 *		ct_cleanup_replay(): clean up again, after a restore, the pairs whose
 *		erasure receipts the restored audit log does not hold.
 *
 * A database restored from a backup taken before some cleanups has their
 * pairs' rows again, and no audit rows for them.  The receipts a consumer
 * kept (ct_message.c) say which: each is known by its audit id, time and pair
 * together, because the restored audit log hands out the lost audit ids
 * again.  A receipt is skipped when the audit log has its row (nothing was
 * lost) or ct_cleanup_replayed has it (replayed already); the others' pairs
 * are cleaned up as ct_cleanup_many would, with one audit row per pair whose
 * reason names the receipts' audit ids, and each receipt is recorded in
 * ct_cleanup_replayed.  So a second replay of the same receipts does
 * nothing.
 *
 * Every receipt is checked before anything is done; an invalid one is
 * refused (22023) naming its array element.
 *
 * Locking: ShareRowExclusiveLock on ct_cleanup_replayed, which conflicts with
 * itself, so that two replays do not both find a receipt unreplayed; then
 * the locks of a cleanup (ct_engine.c).
 *
 * IDENTIFICATION
 *		ct_replay.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "ct_cleanup_compat.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/snapmgr.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(ct_cleanup_replay);

/* One receipt of the argument. */
typedef struct CtcReceipt
{
	int64		audit_id;
	TimestampTz at;
	Datum		client;
	Datum		trainer;
	char	   *reason;			/* the original reason, or NULL */
	bool		skip;			/* in the audit log, replayed, or repeated */
	int			pair;			/* index into the pairs replayed */
} CtcReceipt;

/* A receipt's key: audit id, time, client, trainer. */
#define CTC_RECEIPT_KEY	(16 + 2 * UUID_LEN)

/* An entry of the hash tables: a key of at most CTC_RECEIPT_KEY bytes, an index. */
typedef struct CtcReceiptEntry
{
	char		key[CTC_RECEIPT_KEY];
	int			index;
} CtcReceiptEntry;

/*
 * Receipts that the audit log or ct_cleanup_replayed holds: positions (from
 * 1) in the arrays $1 int8[] audit ids, $2 timestamptz[], $3, $4 uuid[].
 */
#define CTC_SQL_KNOWN \
	"SELECT r.i FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)," \
	" pg_catalog.unnest($3), pg_catalog.unnest($4)) WITH ORDINALITY AS r(id, at, c, t, i)" \
	" WHERE EXISTS (SELECT 1 FROM %1$s.ct_cleanup_audit AS a" \
	"  WHERE a.id OPERATOR(pg_catalog.=) r.id AND a.performed_at OPERATOR(pg_catalog.=) r.at" \
	"  AND a.client_id OPERATOR(pg_catalog.=) r.c AND a.trainer_id OPERATOR(pg_catalog.=) r.t)" \
	" OR EXISTS (SELECT 1 FROM %1$s.ct_cleanup_replayed AS x" \
	"  WHERE x.receipt_audit_id OPERATOR(pg_catalog.=) r.id" \
	"  AND x.receipt_performed_at OPERATOR(pg_catalog.=) r.at" \
	"  AND x.client_id OPERATOR(pg_catalog.=) r.c AND x.trainer_id OPERATOR(pg_catalog.=) r.t)"

#define CTC_SQL_REPLAYED \
	"INSERT INTO %1$s.ct_cleanup_replayed" \
	" (receipt_audit_id, receipt_performed_at, client_id, trainer_id, audit_id)" \
	" SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)," \
	" pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5))"

static CtcReceipt *ctc_read_receipts(Jsonb *receipts, int *n);
static void ctc_read_receipt(JsonbValue *elem, CtcReceipt *r);
static JsonbValue *ctc_receipt_key(JsonbContainer *obj, const char *key,
								   enum jbvType type, bool required);
static void ctc_mark_known(CtcCaller *c, CtcReceipt *receipts, int n);
static void ctc_receipt_arrays(CtcReceipt *receipts, int n, bool all, Datum *args);
static void ctc_record_replayed(CtcCaller *c, CtcReceipt *receipts, int n,
								const int64 *audit_ids);
static Datum *ctc_replay_reasons(CtcReceipt *receipts, int n, int npairs);
static HTAB *ctc_receipt_hash(const char *name, Size keysize, int n);


/*
 * ct_cleanup_replay(receipts jsonb) RETURNS SETOF ct_cleanup_result
 *
 * Clean up again the pairs of the receipts (a JSON array of receipt
 * objects, as consumers of the "ct_cleanup" messages received them) that
 * this database neither audited nor replayed, one audit row and one result
 * row per pair, in the order of their first receipt.  Admins only.  NULL:
 * 22004; not an array, or an invalid receipt: 22023 naming the element,
 * nothing done.  Ids missing from the configured clients/trainers: P0002.
 */
Datum
ct_cleanup_replay(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CtcCaller	c;
	const CtcSettings *settings;
	CtcReceipt *receipts;
	int			n;
	int			skipped = 0;
	CtcPairs	pairs;
	Datum	   *reasons;
	bool	   *reason_nulls;
	CtcOutcome *outcomes;
	int64	   *audit_ids;

	ctc_enter(fcinfo, &c);
	settings = ctc_get_settings(&c);
	ctc_require_admin(&c, settings, fcinfo, InvalidOid);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("receipts must not be null"),
				 errhint("Pass a JSON array of the receipts a consumer of the \"ct_cleanup\" messages kept.")));
	receipts = ctc_read_receipts(PG_GETARG_JSONB_P(0), &n);
	InitMaterializedSRF(fcinfo, 0);
	ctc_check_result_type(rsinfo->setDesc);
	if (n == 0)
		return (Datum) 0;

	LockRelationOid(get_relname_relid("ct_cleanup_replayed", c.ext_schema),
					ShareRowExclusiveLock);
	ctc_mark_known(&c, receipts, n);

	/* the pairs to clean up, each once, in the order of their first receipt */
	pairs.n = 0;
	pairs.clients = palloc(sizeof(Datum) * n);
	pairs.trainers = palloc(sizeof(Datum) * n);
	{
		HTAB	   *seen = ctc_receipt_hash("ct_cleanup replayed pairs", 2 * UUID_LEN, n);

		for (int i = 0; i < n; i++)
		{
			char		key[2 * UUID_LEN];
			bool		found;
			CtcReceiptEntry *entry;

			CHECK_FOR_INTERRUPTS();
			if (receipts[i].skip)
			{
				skipped++;
				continue;
			}
			memcpy(key, DatumGetUUIDP(receipts[i].client)->data, UUID_LEN);
			memcpy(key + UUID_LEN, DatumGetUUIDP(receipts[i].trainer)->data, UUID_LEN);
			entry = hash_search(seen, key, HASH_ENTER, &found);
			if (!found)
			{
				entry->index = pairs.n;
				pairs.clients[pairs.n] = receipts[i].client;
				pairs.trainers[pairs.n] = receipts[i].trainer;
				pairs.n++;
			}
			receipts[i].pair = entry->index;
		}
		hash_destroy(seen);
	}
	ereport(NOTICE,
			(errmsg("replaying %d of %d receipts (%d pairs); %d skipped",
					n - skipped, n, pairs.n, skipped),
			 skipped > 0 ?
			 errdetail("A receipt is skipped when this database's audit log holds its cleanup (same audit id, time and pair), when it was replayed before, or when the array repeats it.") : 0));
	if (pairs.n == 0)
		return (Datum) 0;

	ctc_check_people(&c, settings, "client", pairs.clients, pairs.n);
	ctc_check_people(&c, settings, "trainer", pairs.trainers, pairs.n);
	reasons = ctc_replay_reasons(receipts, n, pairs.n);
	reason_nulls = palloc0(sizeof(bool) * pairs.n);
	(void) ctc_clean_pairs(&c, settings, &pairs, false, reasons, reason_nulls,
						   NULL, &outcomes, &audit_ids);
	ctc_record_replayed(&c, receipts, n, audit_ids);
	ctc_put_results(rsinfo, &pairs, outcomes, audit_ids, false);
	return (Datum) 0;
}

/*
 * ctc_read_receipts
 *		The receipts of the argument, every one checked: in a subtransaction,
 *		so that an input function's error (a malformed uuid or time) is
 *		raised again as 22023 naming the element.
 */
static CtcReceipt *
ctc_read_receipts(Jsonb *receipts, int *n)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	CtcReceipt *result;
	volatile int current = -1;

	if (!JB_ROOT_IS_ARRAY(receipts) || JB_ROOT_IS_SCALAR(receipts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("receipts must be a JSON array"),
				 errhint("Pass a JSON array of receipt objects, for example jsonb_agg() of the receipts a consumer kept.")));
	*n = JB_ROOT_COUNT(receipts);
	result = palloc0(sizeof(CtcReceipt) * Max(*n, 1));

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		for (int i = 0; i < *n; i++)
		{
			current = i;
			ctc_read_receipt(getIthJsonbValueFromContainer(&receipts->root, i), &result[i]);
		}
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid receipt receipts[%d] (element %d of %d): %s",
						current, current + 1, *n, edata->message),
				 errdetail("Nothing was replayed."),
				 edata->hint ? errhint("%s", edata->hint) :
				 errhint("A receipt is the JSON object of one \"ct_cleanup\" message as a consumer received it; audit_id, performed_at, client_id and trainer_id are needed.")));
	}
	PG_END_TRY();
	return result;
}

/*
 * ctc_read_receipt
 *		Check one element and read it into *r.
 */
static void
ctc_read_receipt(JsonbValue *elem, CtcReceipt *r)
{
	JsonbContainer *obj;
	JsonbValue *v;
	Datum		id;

	if (elem == NULL || elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not a JSON object")));
	obj = elem->val.binary.data;
	if (ctc_receipt_key(obj, "content", jbvString, false) != NULL &&
		ctc_receipt_key(obj, "audit_id", jbvNumeric, false) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a logical decoding message, not a receipt"),
				 errhint("Pass each message's content: for wal2json lines, jsonb_agg((line ->> 'content')::jsonb).")));

	v = ctc_receipt_key(obj, "audit_id", jbvNumeric, true);
	id = DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric));
	if (DatumGetInt64(id) <= 0 ||
		!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(v->val.numeric),
										  DirectFunctionCall1(int8_numeric, id))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"audit_id\" must be a positive integer")));
	r->audit_id = DatumGetInt64(id);

	v = ctc_receipt_key(obj, "performed_at", jbvString, true);
	r->at = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
													CStringGetDatum(pnstrdup(v->val.string.val,
																			 v->val.string.len)),
													ObjectIdGetDatum(InvalidOid),
													Int32GetDatum(-1)));
	if (TIMESTAMP_NOT_FINITE(r->at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"performed_at\" must be a finite time")));

	v = ctc_receipt_key(obj, "client_id", jbvString, true);
	r->client = DirectFunctionCall1(uuid_in, CStringGetDatum(pnstrdup(v->val.string.val,
																	  v->val.string.len)));
	v = ctc_receipt_key(obj, "trainer_id", jbvString, true);
	r->trainer = DirectFunctionCall1(uuid_in, CStringGetDatum(pnstrdup(v->val.string.val,
																	   v->val.string.len)));
	ctc_check_distinct(r->client, r->trainer);

	v = ctc_receipt_key(obj, "reason", jbvString, false);
	r->reason = v ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;
}

/*
 * ctc_receipt_key
 *		The value of key in a receipt, of type type (a JSON null counts as
 *		missing); NULL when missing and not required, else 22023.
 */
static JsonbValue *
ctc_receipt_key(JsonbContainer *obj, const char *key, enum jbvType type, bool required)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);

	if (v == NULL || v->type == jbvNull)
	{
		if (!required)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no \"%s\"", key)));
	}
	if (v->type != type)
	{
		if (!required)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a JSON %s", key, type == jbvNumeric ? "number" : "string")));
	}
	return v;
}

/*
 * ctc_mark_known
 *		Mark to skip the receipts that the audit log or ct_cleanup_replayed
 *		holds (read as the extension owner), and repeats within the array.
 */
static void
ctc_mark_known(CtcCaller *c, CtcReceipt *receipts, int n)
{
	Oid			argtypes[4] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID, UUIDARRAYOID, UUIDARRAYOID};
	Datum		args[4];
	CtcRunAs	as;

	HTAB	   *seen = ctc_receipt_hash("ct_cleanup receipts", CTC_RECEIPT_KEY, n);

	for (int i = 0; i < n; i++)
	{
		char		key[CTC_RECEIPT_KEY];
		bool		found;

		CHECK_FOR_INTERRUPTS();
		memcpy(key, &receipts[i].audit_id, sizeof(int64));
		memcpy(key + sizeof(int64), &receipts[i].at, sizeof(TimestampTz));
		memcpy(key + 16, DatumGetUUIDP(receipts[i].client)->data, UUID_LEN);
		memcpy(key + 16 + UUID_LEN, DatumGetUUIDP(receipts[i].trainer)->data, UUID_LEN);
		(void) hash_search(seen, key, HASH_ENTER, &found);
		receipts[i].skip = found;
	}
	hash_destroy(seen);

	/*
	 * Read with the latest snapshot, taken after the lock: a replay that
	 * committed while this one waited for the lock is seen, also in
	 * REPEATABLE READ.
	 */
	ctc_receipt_arrays(receipts, n, true, args);
	ctc_run_as(&as, c->ext_owner, 0);
	SPI_connect();
	if (SPI_execute_snapshot(ctc_fixed_plan(psprintf(CTC_SQL_KNOWN, c->schema_quoted), 4, argtypes),
							 args, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false,
							 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the ct_cleanup audit log failed");
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		int64		i = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[row],
													SPI_tuptable->tupdesc, 1, &isnull));

		if (i >= 1 && i <= n)
			receipts[i - 1].skip = true;
		CHECK_FOR_INTERRUPTS();
	}
	SPI_finish();
	ctc_run_as_end(&as);
}

/*
 * ctc_receipt_arrays
 *		The audit ids, times, clients and trainers of the receipts (all, or
 *		only those not skipped) as four arrays in args.
 */
static void
ctc_receipt_arrays(CtcReceipt *receipts, int n, bool all, Datum *args)
{
	Datum	   *cols[4];
	int			k = 0;

	for (int col = 0; col < 4; col++)
		cols[col] = palloc(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (!all && receipts[i].skip)
			continue;
		cols[0][k] = Int64GetDatum(receipts[i].audit_id);
		cols[1][k] = TimestampTzGetDatum(receipts[i].at);
		cols[2][k] = receipts[i].client;
		cols[3][k] = receipts[i].trainer;
		k++;
	}
	args[0] = PointerGetDatum(construct_array(cols[0], k, INT8OID, 8, FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	args[1] = PointerGetDatum(construct_array(cols[1], k, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	args[2] = PointerGetDatum(construct_array(cols[2], k, UUIDOID, UUID_LEN, false,
											  TYPALIGN_CHAR));
	args[3] = PointerGetDatum(construct_array(cols[3], k, UUIDOID, UUID_LEN, false,
											  TYPALIGN_CHAR));
}

/*
 * ctc_record_replayed
 *		One ct_cleanup_replayed row per receipt replayed, with the audit id of
 *		its pair's replay, written as the extension owner.
 */
static void
ctc_record_replayed(CtcCaller *c, CtcReceipt *receipts, int n, const int64 *audit_ids)
{
	Oid			argtypes[5] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID, UUIDARRAYOID,
	UUIDARRAYOID, INT8ARRAYOID};
	Datum		args[5];
	Datum	   *ids = palloc(sizeof(Datum) * n);
	int			k = 0;
	CtcRunAs	as;

	ctc_receipt_arrays(receipts, n, false, args);
	for (int i = 0; i < n; i++)
		if (!receipts[i].skip)
			ids[k++] = Int64GetDatum(audit_ids[receipts[i].pair]);
	args[4] = PointerGetDatum(construct_array(ids, k, INT8OID, 8, FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	ctc_run_as(&as, c->ext_owner, 0);
	SPI_connect();
	if (SPI_execute_plan(ctc_fixed_plan(psprintf(CTC_SQL_REPLAYED, c->schema_quoted), 5, argtypes),
						 args, NULL, false, 0) != SPI_OK_INSERT || SPI_processed != (uint64) k)
		elog(ERROR, "recording the replayed ct_cleanup receipts failed");
	SPI_finish();
	ctc_run_as_end(&as);
}

/*
 * ctc_replay_reasons
 *		The audit reason of each pair's replay: the audit ids and times of
 *		its receipts, then their original reasons, built in one pass.
 */
static Datum *
ctc_replay_reasons(CtcReceipt *receipts, int n, int npairs)
{
	StringInfoData *ids = palloc(sizeof(StringInfoData) * npairs);
	StringInfoData *why = palloc(sizeof(StringInfoData) * npairs);
	int		   *count = palloc0(sizeof(int) * npairs);
	Datum	   *reasons = palloc(sizeof(Datum) * npairs);

	for (int p = 0; p < npairs; p++)
	{
		initStringInfo(&ids[p]);
		initStringInfo(&why[p]);
	}
	for (int i = 0; i < n; i++)
	{
		char		at[MAXDATELEN + 1];
		int			p = receipts[i].pair;

		CHECK_FOR_INTERRUPTS();
		if (receipts[i].skip)
			continue;
		appendStringInfo(&ids[p], "%s" INT64_FORMAT " of %s", count[p]++ > 0 ? ", " : "",
						 receipts[i].audit_id,
						 JsonEncodeDateTime(at, TimestampTzGetDatum(receipts[i].at),
											TIMESTAMPTZOID, NULL));
		if (receipts[i].reason != NULL)
			appendStringInfo(&why[p], "%s%s", why[p].len > 0 ? "; " : "", receipts[i].reason);
	}
	for (int p = 0; p < npairs; p++)
	{
		reasons[p] = CStringGetTextDatum(psprintf("replay of ct_cleanup audit %s %s after a restore%s%s",
												  count[p] > 1 ? "ids" : "id", ids[p].data,
												  why[p].len > 0 ? ": " : "", why[p].data));
		pfree(ids[p].data);
		pfree(why[p].data);
	}
	return reasons;
}

/*
 * ctc_receipt_hash
 *		A hash table of keysize-byte keys, each with an int, for n entries.
 */
static HTAB *
ctc_receipt_hash(const char *name, Size keysize, int n)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = sizeof(CtcReceiptEntry);
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, Max(n, 1), &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}
