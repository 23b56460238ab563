/*-------------------------------------------------------------------------
 *
 * ct_message.c
 *		Logical decoding messages: the erasure receipts of committed
 *		cleanups and the record of refused calls (setting "receipts"), and
 *		the small JSON writer that formats them.
 *
 * A receipt is a transactional message (prefix "ct_cleanup"): logical
 * decoding hands it to consumers when, and only if, the transaction that
 * wrote it commits, and a subtransaction rolled back takes its messages
 * along.  A refused call's message (prefix "ct_cleanup.denied") is not
 * transactional: it is decoded whether or not the transaction commits, and
 * is flushed to disk at once, since the transaction that wrote it is about
 * to fail and would not flush it.  Neither holds row contents: ids, counts,
 * names of roles and tables, and the reason given.
 *
 * Both need wal_level = logical: WAL written at a lower level can never be
 * decoded, so turning receipts on, and a cleanup with receipts on, are
 * refused (55000) while it is lower.  On a standby nothing can be written;
 * refused calls there leave only their server-log line.
 *
 * Locking: none.
 *
 * IDENTIFICATION
 *		ct_message.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "replication/message.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/timestamp.h"

/*
 * ctc_require_logical
 *		Refuse (55000) receipts while wal_level is below logical: at_set for
 *		ct_cleanup_set('receipts', 'on'), else for a cleanup with receipts on.
 */
void
ctc_require_logical(bool at_set)
{
	if (XLogLogicalInfoActive())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 at_set ?
			 errmsg("setting \"receipts\" needs wal_level = logical") :
			 errmsg("cannot write the erasure receipt of this cleanup: wal_level is below logical"),
			 at_set ? 0 : errdetail("Setting \"receipts\" is on. Nothing was deleted."),
			 errhint("Set wal_level = logical in postgresql.conf and restart the server%s.",
					 at_set ? "" : ", or turn receipts off: SELECT ct_cleanup_set('receipts', 'off')")));
}

/*
 * ctc_emit_message
 *		Write the JSON object in buf as a logical decoding message with
 *		prefix, transactional or (flushed at once) not.  Nothing on a
 *		standby.
 */
void
ctc_emit_message(const char *prefix, StringInfo buf, bool transactional)
{
	XLogRecPtr	lsn;

	if (RecoveryInProgress())
		return;
#if PG_VERSION_NUM >= 170000
	lsn = LogLogicalMessage(prefix, buf->data, buf->len, transactional, !transactional);
#else
	lsn = LogLogicalMessage(prefix, buf->data, buf->len, transactional);
	if (!transactional)
		XLogFlush(lsn);
#endif
	(void) lsn;
}

/*
 * ctc_json_begin, ctc_json_end
 *		Start and close a JSON object in buf.
 */
void
ctc_json_begin(StringInfo buf)
{
	initStringInfo(buf);
	appendStringInfoChar(buf, '{');
}

void
ctc_json_end(StringInfo buf)
{
	appendStringInfoChar(buf, '}');
}

/*
 * ctc_json_key
 *		Append the key of the next member (a comma before all but the first).
 */
static void
ctc_json_key(StringInfo buf, const char *key)
{
	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
}

/*
 * ctc_json_text, ctc_json_int, ctc_json_bool, ctc_json_raw, ctc_json_uuid,
 * ctc_json_time
 *		Append a member: a string (NULL: null), an integer, a boolean, JSON
 *		text as it is, a uuid Datum, a timestamptz (ISO 8601, as to_json()
 *		writes it).
 */
void
ctc_json_text(StringInfo buf, const char *key, const char *value)
{
	ctc_json_key(buf, key);
	if (value == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, value);
}

void
ctc_json_int(StringInfo buf, const char *key, int64 value)
{
	ctc_json_key(buf, key);
	appendStringInfo(buf, INT64_FORMAT, value);
}

void
ctc_json_bool(StringInfo buf, const char *key, bool value)
{
	ctc_json_key(buf, key);
	appendStringInfoString(buf, value ? "true" : "false");
}

void
ctc_json_raw(StringInfo buf, const char *key, const char *json)
{
	ctc_json_key(buf, key);
	appendStringInfoString(buf, json);
}

void
ctc_json_uuid(StringInfo buf, const char *key, Datum value)
{
	ctc_json_text(buf, key, ctc_uuid_text(value));
}

void
ctc_json_time(StringInfo buf, const char *key, TimestampTz value)
{
	char		out[MAXDATELEN + 1];

	ctc_json_key(buf, key);
	appendStringInfo(buf, "\"%s\"",
					 JsonEncodeDateTime(out, TimestampTzGetDatum(value), TIMESTAMPTZOID, NULL));
}
