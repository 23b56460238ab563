/*-------------------------------------------------------------------------
 *
 * ct_fingerprint.c
 *		The fingerprint of a cleanup or preview (1.2): a digest of exactly
 *		which rows it counted or deleted, and the check that binds a cleanup
 *		to the preview an admin confirmed.
 *
 * Every statement of a 1.2 registry returns the identity of each row it
 * counts or deletes (ct_statement.c): the table (the partition, for a
 * partitioned table), the row's ctid and its xmin.  A ctid names a place in
 * the table, and the xmin which row version holds it: an UPDATE writes a new
 * version at a new place, a deleted row's place is reused only by a row of
 * another transaction.  So two calls that saw the same versions of the same
 * rows have equal identities, and any insert, delete or update between them
 * changes them.  (VACUUM FULL and CLUSTER move every row: a preview taken
 * before them no longer matches, which errs on the safe side.)
 *
 * The fingerprint of one pair is the text
 *
 *		1:<32 hex digits>[:<table oid>=<rows>/<8 hex digits>]...
 *
 * The 32 digits are the first 16 bytes of a SHA-256 of the pair's ids, a
 * SHA-256 of the OIDs of every registered table in processing order, and
 * for every table with rows its OID, its row count and the SHA-256 of its
 * rows' identities sorted; so they change with the rows, the counts (rows a
 * cascade or trigger removed that no statement returned count too) and the
 * registry.  Then, for each table with rows, its count and the first 4 bytes
 * of its rows' digest: what lets a refused cleanup say which tables changed
 * and what their preview counted.  Callers treat the text as opaque.
 *
 * A cleanup given a fingerprint deletes, computes its own from the rows it
 * deleted, and when the two differ raises CTC_ERRCODE_PREVIEW_MISMATCH: the
 * deletes and everything else of the call roll back with the error.  The
 * DELETEs see what a preview could not (in READ COMMITTED, the newer version
 * of a row whose lock they waited for), so the comparison is with what was
 * really deleted.
 *
 * Rows that go without a DELETE of the cleanup returning them (a cascade, an
 * application's trigger) are seen in the transaction's statistics of every
 * partition of every registered table (ct_engine.c) and counted, so they
 * change the fingerprint.  Those of them that the pair's rules match, which
 * the preview counted, must not: the engine then makes its attempt again,
 * counting each pair's rows before deleting, and ctc_recover_rows() puts
 * back the counted rows that this transaction deleted by other means.
 *
 * Memory: 24 bytes per row counted or deleted, while the call runs (the
 * statements' rows are streamed to the engine, not kept).
 * Locking: none.
 *
 * IDENTIFICATION
 *		ct_fingerprint.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "common/cryptohash.h"
#include "executor/tuptable.h"
#include "common/sha2.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/* The version of the format, its first characters. */
#define CTC_FINGERPRINT_PREFIX	"1:"

/* Hex digits of the whole digest, and of a table's. */
#define CTC_DIGEST_HEX		32
#define CTC_TABLE_HEX		8

/* Most tables a refusal's detail names. */
#define CTC_MAX_DETAIL_LINES	50

/* One table's entry of a fingerprint. */
typedef struct CtcPrint
{
	Oid			relid;
	int64		rows;
	char		digest[CTC_TABLE_HEX + 1];
} CtcPrint;

static int	ctc_row_id_cmp(const void *a, const void *b);
static bool ctc_row_deleted_here(const CtcRowId *row);
static void ctc_hash_update(pg_cryptohash_ctx *ctx, const void *data, size_t len);
static void ctc_hex(StringInfo buf, const uint8 *bytes, int n);
static bool ctc_parse_fingerprint(const char *text, CtcPrint **prints, int *nprints);
static void ctc_describe_change(StringInfo buf, const CtcRegistry *reg,
								const char *given, const char *now, int *lines);
static char *ctc_table_name(const CtcRegistry *reg, Oid relid);


/*
 * ctc_row_ids_init
 *		An empty list of row identities, allocated in the current memory
 *		context (which must outlive the SPI connections that fill it).
 */
void
ctc_row_ids_init(CtcRowIds *ids)
{
	ids->cxt = CurrentMemoryContext;
	ids->n = 0;
	ids->max = 0;
	ids->rows = NULL;
}

/*
 * ctc_row_ids_add
 *		Append the identity of one row of pair pos (from 1), table (index of
 *		its first path).
 */
void
ctc_row_ids_add(CtcRowIds *ids, int32 pos, int32 table, Oid tableoid,
				ItemPointer ctid, TransactionId xmin)
{
	CtcRowId   *row;

	if (ids->n == ids->max)
	{
		ids->max = ids->max == 0 ? 256 : 2 * ids->max;
		ids->rows = ids->rows == NULL ?
			MemoryContextAllocHuge(ids->cxt, sizeof(CtcRowId) * ids->max) :
			repalloc_huge(ids->rows, sizeof(CtcRowId) * ids->max);
	}
	row = &ids->rows[ids->n++];
	memset(row, 0, sizeof(CtcRowId));
	row->pos = pos;
	row->table = table;
	row->tableoid = tableoid;
	row->block = ItemPointerGetBlockNumberNoCheck(ctid);
	row->offset = ItemPointerGetOffsetNumberNoCheck(ctid);
	row->xmin = xmin;
}

/*
 * ctc_recover_rows
 *		Rows of pre (counted before a pair's deletes) that the deletes did
 *		not return (ids from first_row on) but that this transaction deleted
 *		all the same (a cascade, or a trigger, got there first): added to
 *		ids, so that the pair's rows are what its preview saw.  A row is
 *		taken only when the very version counted was deleted by this
 *		transaction (ctc_row_deleted_here); anything else stays missing and
 *		the fingerprint differs.
 */
void
ctc_recover_rows(CtcRowIds *ids, int64 first_row, CtcRowIds *pre)
{
	int64		end = ids->n;

	if (end - first_row > 1)
		qsort(ids->rows + first_row, end - first_row, sizeof(CtcRowId), ctc_row_id_cmp);
	for (int64 i = 0; i < pre->n; i++)
	{
		const CtcRowId *row = &pre->rows[i];
		ItemPointerData tid;

		CHECK_FOR_INTERRUPTS();
		if (end > first_row &&
			bsearch(row, ids->rows + first_row, end - first_row, sizeof(CtcRowId),
					ctc_row_id_cmp) != NULL)
			continue;			/* its own DELETE returned it */
		if (!ctc_row_deleted_here(row))
			continue;
		ItemPointerSet(&tid, row->block, row->offset);
		ctc_row_ids_add(ids, row->pos, row->table, row->tableoid, &tid, row->xmin);
	}
	if (pre->rows != NULL)
		pfree(pre->rows);
}

/*
 * ctc_row_deleted_here
 *		Did this transaction (or a subtransaction of it still open) delete
 *		the version of the row that was counted, found by its place and xmin
 *		whatever the snapshot?  Deleted, not updated: an UPDATE (also one
 *		that moved the row to another partition) leaves the version behind
 *		with a newer one, which its t_ctid names.  Only heap tables can
 *		tell; for others, no.  The table is locked already: the deletes
 *		locked it.
 */
static bool
ctc_row_deleted_here(const CtcRowId *row)
{
	Relation	rel = table_open(row->tableoid, AccessShareLock);
	TupleTableSlot *slot;
	ItemPointerData tid;
	bool		deleted = false;

	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID)
	{
		table_close(rel, AccessShareLock);
		return false;
	}
	slot = table_slot_create(rel, NULL);
	ItemPointerSet(&tid, row->block, row->offset);
	if (table_tuple_fetch_row_version(rel, &tid, SnapshotAny, slot))
	{
		bool		should_free;
		HeapTuple	tup = ExecFetchSlotHeapTuple(slot, false, &should_free);
		HeapTupleHeader h = tup->t_data;

		deleted = HeapTupleHeaderGetRawXmin(h) == row->xmin &&
			!(h->t_infomask & HEAP_XMAX_INVALID) &&
			!HEAP_XMAX_IS_LOCKED_ONLY(h->t_infomask) &&
			!(h->t_infomask2 & HEAP_HOT_UPDATED) &&
			!HeapTupleHeaderIndicatesMovedPartitions(h) &&
			ItemPointerEquals(&h->t_ctid, &tid) &&
			TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetUpdateXid(h));
		if (should_free)
			heap_freetuple(tup);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	return deleted;
}

/*
 * ctc_fingerprints
 *		outcomes[i].fingerprint: the fingerprint (file header) of pair i
 *		from the counts per path (counts[pair * nrules + path], cascaded
 *		rows included) and the rows' identities; NULL when the installed
 *		version has none.  Sorts ids.  The registered tables (their OIDs in
 *		processing order) go into every digest once, as one SHA-256, and
 *		then only the tables with rows: the work per pair is that of its
 *		rows, not of the registry.
 */
void
ctc_fingerprints(const CtcRegistry *reg, const CtcPairs *pairs,
				 const int64 *counts, CtcRowIds *ids, CtcOutcome *outcomes)
{
	pg_cryptohash_ctx *whole;
	pg_cryptohash_ctx *table;
	uint8		registry[PG_SHA256_DIGEST_LENGTH];
	int64	   *rows;
	int64		next = 0;

	if (!reg->has_fingerprint)
	{
		for (int p = 0; p < pairs->n; p++)
			outcomes[p].fingerprint = NULL;
		return;
	}
	if (ids->n > 1)
		qsort(ids->rows, ids->n, sizeof(CtcRowId), ctc_row_id_cmp);
	whole = pg_cryptohash_create(PG_SHA256);
	table = pg_cryptohash_create(PG_SHA256);
	if (whole == NULL || table == NULL)
		elog(ERROR, "out of memory creating a SHA-256 context");

	/* the registry: every table, in processing order */
	if (pg_cryptohash_init(table) < 0)
		elog(ERROR, "could not initialize a SHA-256 context");
	for (int t = 0; t < reg->nrules; t++)
	{
		uint32		relid_be = pg_hton32(reg->rules[t].relid);

		if (reg->rules[t].first == t)
			ctc_hash_update(table, &relid_be, 4);
	}
	if (pg_cryptohash_final(table, registry, sizeof(registry)) < 0)
		elog(ERROR, "could not finish a SHA-256 digest");

	rows = palloc(sizeof(int64) * Max(reg->nrules, 1));
	for (int p = 0; p < pairs->n; p++)
	{
		StringInfoData text;
		uint8		digest[PG_SHA256_DIGEST_LENGTH];

		CHECK_FOR_INTERRUPTS();
		memset(rows, 0, sizeof(int64) * Max(reg->nrules, 1));
		for (int j = 0; j < reg->nrules; j++)
			rows[reg->rules[j].first] += counts[(size_t) p * reg->nrules + j];
		if (pg_cryptohash_init(whole) < 0)
			elog(ERROR, "could not initialize a SHA-256 context");
		ctc_hash_update(whole, "ct_cleanup fingerprint 1", 24);
		ctc_hash_update(whole, DatumGetUUIDP(pairs->clients[p])->data, UUID_LEN);
		ctc_hash_update(whole, DatumGetUUIDP(pairs->trainers[p])->data, UUID_LEN);
		ctc_hash_update(whole, registry, sizeof(registry));
		initStringInfo(&text);
		appendStringInfoString(&text, CTC_FINGERPRINT_PREFIX);
		appendStringInfoSpaces(&text, CTC_DIGEST_HEX);	/* the digest, below */
		for (int t = 0; t < reg->nrules; t++)
		{
			uint8		rows_digest[PG_SHA256_DIGEST_LENGTH];
			uint32		relid_be = pg_hton32(reg->rules[t].relid);
			uint64		rows_be = pg_hton64((uint64) rows[t]);

			if (reg->rules[t].first != t || rows[t] == 0)
				continue;
			if (pg_cryptohash_init(table) < 0)
				elog(ERROR, "could not initialize a SHA-256 context");
			for (; next < ids->n && ids->rows[next].pos == p + 1 &&
				 ids->rows[next].table == t; next++)
			{
				const CtcRowId *row = &ids->rows[next];
				uint8		bytes[14];
				uint32		v;
				uint16		o;

				v = pg_hton32(row->tableoid);
				memcpy(bytes, &v, 4);
				v = pg_hton32(row->block);
				memcpy(bytes + 4, &v, 4);
				o = pg_hton16(row->offset);
				memcpy(bytes + 8, &o, 2);
				v = pg_hton32(row->xmin);
				memcpy(bytes + 10, &v, 4);
				ctc_hash_update(table, bytes, sizeof(bytes));
			}
			if (pg_cryptohash_final(table, rows_digest, sizeof(rows_digest)) < 0)
				elog(ERROR, "could not finish a SHA-256 digest");
			ctc_hash_update(whole, &relid_be, 4);
			ctc_hash_update(whole, &rows_be, 8);
			ctc_hash_update(whole, rows_digest, sizeof(rows_digest));
			appendStringInfo(&text, ":%u=" INT64_FORMAT "/", reg->rules[t].relid, rows[t]);
			ctc_hex(&text, rows_digest, CTC_TABLE_HEX / 2);
		}
		if (pg_cryptohash_final(whole, digest, sizeof(digest)) < 0)
			elog(ERROR, "could not finish a SHA-256 digest");
		{
			StringInfoData hex;

			initStringInfo(&hex);
			ctc_hex(&hex, digest, CTC_DIGEST_HEX / 2);
			memcpy(text.data + strlen(CTC_FINGERPRINT_PREFIX), hex.data, CTC_DIGEST_HEX);
			pfree(hex.data);
		}
		outcomes[p].fingerprint = text.data;
	}
	if (next != ids->n)
		elog(ERROR, "ct_cleanup kept " INT64_FORMAT " row identities of no pair's table",
			 ids->n - next);
	pfree(rows);
	pg_cryptohash_free(whole);
	pg_cryptohash_free(table);
}

/*
 * ctc_check_fingerprint_text
 *		Refuse (22023) a fingerprint that is not one ct_cleanup made, before
 *		anything is deleted; pair > 0 names the pair of a batch.
 */
void
ctc_check_fingerprint_text(const char *fingerprint, int pair)
{
	CtcPrint   *prints;
	int			n;

	if (ctc_parse_fingerprint(fingerprint, &prints, &n))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 pair > 0 ?
			 errmsg("invalid fingerprint of pair %d: \"%.80s\"", pair, fingerprint) :
			 errmsg("invalid fingerprint \"%.80s\"", fingerprint),
			 errhint("Pass the fingerprint column of ct_cleanup_preview() (or ct_cleanup_preview_many()) for the same pair, unchanged.")));
}

/*
 * ctc_check_fingerprints
 *		Refuse (CTC_ERRCODE_PREVIEW_MISMATCH) a cleanup whose rows are not
 *		those of its previews: given[i] is pair i's fingerprint from its
 *		preview, outcomes[i].fingerprint what the cleanup deleted.  The
 *		detail names each table whose rows differ, with the counts the
 *		preview and the cleanup saw.  Raised after the deletes, the error
 *		rolls them back; the audit rows are not written yet.
 */
void
ctc_check_fingerprints(const CtcRegistry *reg, const CtcPairs *pairs,
					   char **given, const CtcOutcome *outcomes)
{
	StringInfoData detail;
	int			changed = 0;
	int			first = -1;
	int			lines = 0;

	initStringInfo(&detail);
	for (int p = 0; p < pairs->n; p++)
	{
		if (outcomes[p].fingerprint == NULL)
			elog(ERROR, "ct_cleanup computed no fingerprint for pair %d", p + 1);
		if (strcmp(given[p], outcomes[p].fingerprint) == 0)
			continue;
		if (changed++ == 0)
			first = p;
		if (pairs->n > 1 && lines < CTC_MAX_DETAIL_LINES)
			appendStringInfo(&detail, "%sPair %d (client %s, trainer %s):", detail.len > 0 ? " " : "",
							 p + 1, ctc_uuid_text(pairs->clients[p]),
							 ctc_uuid_text(pairs->trainers[p]));
		ctc_describe_change(&detail, reg, given[p], outcomes[p].fingerprint, &lines);
	}
	if (changed == 0)
		return;
	if (lines > CTC_MAX_DETAIL_LINES)
		appendStringInfo(&detail, " And %d more.", lines - CTC_MAX_DETAIL_LINES);
	appendStringInfoString(&detail, " Nothing was deleted and no audit row was written.");
	ereport(ERROR,
			(errcode(CTC_ERRCODE_PREVIEW_MISMATCH),
			 pairs->n == 1 ?
			 errmsg("the rows of client %s and trainer %s changed since the preview",
					ctc_uuid_text(pairs->clients[first]), ctc_uuid_text(pairs->trainers[first])) :
			 errmsg("the rows of %d of the %d pairs changed since their previews",
					changed, pairs->n),
			 errdetail_internal("%s", detail.data + (detail.data[0] == ' ' ? 1 : 0)),
			 errhint("Preview again and confirm what it shows now; a cleanup without a fingerprint deletes whatever the pair has.")));
}

/*
 * ctc_describe_change
 *		Append to buf a sentence for each table whose entry differs between
 *		two fingerprints of one pair (at most CTC_MAX_DETAIL_LINES in all,
 *		counted in *lines), or one saying that the registry changed.
 */
static void
ctc_describe_change(StringInfo buf, const CtcRegistry *reg, const char *given,
					const char *now, int *lines)
{
	CtcPrint   *a;
	CtcPrint   *b;
	int			na;
	int			nb;
	int			found = 0;

	if (!ctc_parse_fingerprint(given, &a, &na) || !ctc_parse_fingerprint(now, &b, &nb))
		elog(ERROR, "ct_cleanup could not read a fingerprint it checked");
	for (int pass = 0; pass < 2; pass++)
	{
		CtcPrint   *mine = pass == 0 ? a : b;
		CtcPrint   *other = pass == 0 ? b : a;
		int			nmine = pass == 0 ? na : nb;
		int			nother = pass == 0 ? nb : na;

		for (int i = 0; i < nmine; i++)
		{
			CtcPrint   *match = NULL;
			int64		before;
			int64		after;

			for (int j = 0; j < nother && match == NULL; j++)
				if (other[j].relid == mine[i].relid)
					match = &other[j];
			if (match != NULL && pass == 1)
				continue;		/* compared in the first pass */
			if (match != NULL && match->rows == mine[i].rows &&
				strcmp(match->digest, mine[i].digest) == 0)
				continue;
			found++;
			if ((*lines)++ >= CTC_MAX_DETAIL_LINES)
				continue;
			before = pass == 0 ? mine[i].rows : (match ? match->rows : 0);
			after = pass == 0 ? (match ? match->rows : 0) : mine[i].rows;
			if (before == after)
				appendStringInfo(buf, " Table %s: " INT64_FORMAT " %s previewed and now, but not the same %s.",
								 ctc_table_name(reg, mine[i].relid), before,
								 before == 1 ? "row" : "rows", before == 1 ? "one" : "ones");
			else
				appendStringInfo(buf, " Table %s: " INT64_FORMAT " %s previewed, " INT64_FORMAT " now.",
								 ctc_table_name(reg, mine[i].relid), before,
								 before == 1 ? "row" : "rows", after);
		}
	}
	if (found == 0 && (*lines)++ < CTC_MAX_DETAIL_LINES)
		appendStringInfoString(buf, " The registry changed since the preview, or the fingerprint is another pair's.");
}

/*
 * ctc_table_name
 *		A registered table by OID, as the messages name it: quoted and
 *		qualified, saying when it is no longer registered or gone.
 */
static char *
ctc_table_name(const CtcRegistry *reg, Oid relid)
{
	char	   *name;

	for (int i = 0; i < reg->nrules; i++)
		if (reg->rules[i].relid == relid)
			return reg->rules[i].qualname;
	name = get_rel_name(relid);
	if (name == NULL)
		return psprintf("with OID %u (dropped)", relid);
	return psprintf("%s (no longer registered)",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   name));
}

/*
 * ctc_parse_fingerprint
 *		Split a fingerprint into its table entries; false when it is not of
 *		the form of the file header.
 */
static bool
ctc_parse_fingerprint(const char *text, CtcPrint **prints, int *nprints)
{
	const char *s = text;
	int			max = 8;

	*nprints = 0;
	*prints = palloc(sizeof(CtcPrint) * max);
	if (strncmp(s, CTC_FINGERPRINT_PREFIX, strlen(CTC_FINGERPRINT_PREFIX)) != 0)
		return false;
	s += strlen(CTC_FINGERPRINT_PREFIX);
	for (int i = 0; i < CTC_DIGEST_HEX; i++, s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	while (*s == ':')
	{
		CtcPrint   *p;
		char	   *end;
		unsigned long relid;
		long long	rows;

		if (*nprints == max)
		{
			max *= 2;
			*prints = repalloc(*prints, sizeof(CtcPrint) * max);
		}
		p = &(*prints)[*nprints];
		s++;
		if (*s < '0' || *s > '9')
			return false;
		errno = 0;
		relid = strtoul(s, &end, 10);
		if (errno != 0 || end == s || *end != '=' || relid == 0 || relid > PG_UINT32_MAX)
			return false;
		s = end + 1;
		if (*s < '0' || *s > '9')
			return false;
		errno = 0;
		rows = strtoll(s, &end, 10);
		if (errno != 0 || end == s || *end != '/' || rows <= 0)
			return false;
		s = end + 1;
		for (int i = 0; i < CTC_TABLE_HEX; i++)
		{
			if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
				return false;
			p->digest[i] = s[i];
		}
		p->digest[CTC_TABLE_HEX] = '\0';
		s += CTC_TABLE_HEX;
		p->relid = (Oid) relid;
		p->rows = rows;
		(*nprints)++;
	}
	return *s == '\0';
}

/*
 * ctc_row_id_cmp
 *		qsort comparator of row identities: by pair, table, then the row.
 */
static int
ctc_row_id_cmp(const void *a, const void *b)
{
	const CtcRowId *x = (const CtcRowId *) a;
	const CtcRowId *y = (const CtcRowId *) b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->tableoid != y->tableoid)
		return x->tableoid < y->tableoid ? -1 : 1;
	if (x->block != y->block)
		return x->block < y->block ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->xmin != y->xmin)
		return x->xmin < y->xmin ? -1 : 1;
	return 0;
}

/*
 * ctc_hash_update
 *		Feed bytes to a SHA-256 context.
 */
static void
ctc_hash_update(pg_cryptohash_ctx *ctx, const void *data, size_t len)
{
	if (pg_cryptohash_update(ctx, data, len) < 0)
		elog(ERROR, "could not update a SHA-256 digest");
}

/*
 * ctc_hex
 *		Append n bytes as lower-case hex digits.
 */
static void
ctc_hex(StringInfo buf, const uint8 *bytes, int n)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < n; i++)
	{
		appendStringInfoChar(buf, digits[bytes[i] >> 4]);
		appendStringInfoChar(buf, digits[bytes[i] & 0x0f]);
	}
}
