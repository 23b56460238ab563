/*-------------------------------------------------------------------------
 *
 * ct_statement.c
 *		Build the SQL that a cleanup (or preview) runs.
 *
 * One engine for one pair and for many: every statement joins the path's
 * table with a pairs relation p(c, t, i), where i is the pair's position.
 * For many pairs p is the arrays $1 uuid[] (clients), $2 uuid[] (trainers)
 * and $3 int8[] (positions) unnested together: the pairs with their aliases
 * (ctc_expand_pairs), where one pair may have several (c, t) rows.  For one
 * pair without aliases it is the row of the two uuid parameters $1, $2, the
 * same statement otherwise (measured: with arrays, a single pair's
 * statements cost 0.2-0.3 ms more, re-planned or not).  Each path (see
 * CtcRule) has four statements (ctc_build_delete, ctc_build_count):
 *
 *	DELETE FROM app.message_read_status AS t
 *	USING app.messages AS a1,
 *	      (SELECT DISTINCT ON (...) ... FROM ROWS FROM (unnest($1), unnest($2),
 *	       unnest($3)) AS u(c, t, i) ORDER BY ...) AS p
 *	WHERE a1.id OPERATOR(pg_catalog.=) t.message_id
 *	  AND (a1.sender_id OPERATOR(pg_catalog.=) p.c AND a1.recipient_id OPERATOR(pg_catalog.=) p.t
 *	       OR a1.sender_id OPERATOR(pg_catalog.=) p.t AND a1.recipient_id OPERATOR(pg_catalog.=) p.c)
 *
 * A child is joined with its ancestors (a1 its parent, a2 the parent's
 * parent, ...) up to the rule that matches the pair, whose rows must all
 * still be there: children are deleted before their parents.  Every row
 * joins at most one pair: a foreign key references one parent row, pairs are
 * distinct, and for an "either" root the pairs are taken once per unordered
 * pair, at the first position (p is then the DISTINCT ON form above), so that
 * a batch counts each row for the same pair as single calls in the given
 * order would.  For one pair the DELETE's own row count is the count; for
 * many, "WITH d AS (DELETE ... RETURNING p.i) SELECT i, count(*) ... GROUP BY
 * i" counts per pair without returning rows.  The counting statements are
 * the same joins with SELECT.
 *
 * Row identities (1.2).  For a fingerprint (ct_fingerprint.c) each statement
 * returns, instead of counts, one row per row it counted or deleted: its
 * pair's position (many-pair forms), its path (statements of several paths),
 * and t.tableoid, t.ctid, t.xmin, which tell the row version; the caller
 * counts them.  A DELETE's RETURNING sees the version it deleted, which in
 * READ COMMITTED may be a newer one than its snapshot showed (it waited for
 * a concurrent update).  Installs of 1.0 and 1.1 keep the counting forms:
 *
 *	DELETE FROM app.messages AS t USING (...) AS p WHERE ...
 *	RETURNING p.i, t.tableoid, t.ctid, t.xmin
 *
 * A table with several paths is deleted from once per path, in path order;
 * a row that several paths match goes with the first DELETE that reaches it.
 * Its counting statement (one for the table, ctc_build_table_count) counts
 * each row once, like that: for the first pair that any path reaches it for,
 * and then the first path, which is what the pairs of a batch, deleted one at
 * a time in the given order, would delete.
 *
 * When registered tables reference each other in a cycle, no order of
 * per-table DELETEs passes every foreign-key check, and the cleanup runs one
 * statement of data-modifying CTEs instead (ctc_build_statement): all CTEs
 * share one snapshot and foreign keys are checked at its end; a child CTE
 * finds its rows through its parent CTE's RETURNING, which carries the pair.
 *
 * Every name is quoted (quote_identifier / quote_qualified_identifier), every
 * operator and function schema-qualified, and the pairs are passed only as
 * parameters: no caller-supplied text reaches the SQL.
 *
 * IDENTIFICATION
 *		ct_statement.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#define CTC_UUID_EQ		"OPERATOR(pg_catalog.=)"

/* The pairs with their aliases, and their positions. */
#define CTC_PAIRS \
	"ROWS FROM (pg_catalog.unnest($1::pg_catalog.uuid[])," \
	" pg_catalog.unnest($2::pg_catalog.uuid[]), pg_catalog.unnest($3::pg_catalog.int8[]))"

/* One pair, given as two uuid parameters. */
#define CTC_ONE_PAIR \
	"(SELECT $1::pg_catalog.uuid AS c, $2::pg_catalog.uuid AS t, 1::pg_catalog.int8 AS i)"

/* The same, once per unordered pair, at its first position ("either" rules). */
#define CTC_UNORDERED_PAIRS \
	"(SELECT DISTINCT ON (LEAST(u.c, u.t), GREATEST(u.c, u.t)) u.c, u.t, u.i" \
	" FROM " CTC_PAIRS " AS u(c, t, i)" \
	" ORDER BY LEAST(u.c, u.t), GREATEST(u.c, u.t), u.i)"

/* The row identity of the path's row t. */
#define CTC_ROW_ID	"t.tableoid, t.ctid, t.xmin"

/* Aliases of a path's statement: its row, the ancestors' prefix, the pairs. */
typedef struct CtcNames
{
	const char *row;			/* "t" */
	const char *ancestor;		/* "a": a1, a2, ... */
	const char *pairs;			/* "p" */
} CtcNames;

static const CtcNames ctc_outer = {"t", "a", "p"};

static void ctc_append_pairs(StringInfo buf, const CtcRule *root, bool many,
							 const char *alias);
static void ctc_append_joins(StringInfo buf, const CtcRule *rules, int self,
							 const char *lead, const CtcNames *names, bool many);
static void ctc_append_pair_match(StringInfo buf, const CtcRule *rule,
								  const char *alias, const char *pairs);
static void ctc_append_fk_join(StringInfo buf, const CtcRule *rule,
							   const char *parent, const char *child);
static void ctc_append_keys(StringInfo buf, const CtcRule *rules, int nrules,
							int self);
static char *ctc_build_table_count(const CtcRule *rules, int nrules, int first,
								   bool per_pair, bool ids);


/*
 * ctc_append_pairs
 *		The pairs relation, named alias, for paths whose root rule is "root":
 *		with many, the arrays $1, $2, $3 unnested; else the one pair $1, $2
 *		(uuid) as a row of its own, which the planner pulls up into the
 *		conditions, so that the statement for one pair plans as
 *		"WHERE t.a = $1 ...".
 */
static void
ctc_append_pairs(StringInfo buf, const CtcRule *root, bool many, const char *alias)
{
	if (!many)
		appendStringInfo(buf, CTC_ONE_PAIR " AS %s", alias);
	else if (root->kind == CTC_RULE_EITHER)
		appendStringInfo(buf, CTC_UNORDERED_PAIRS " AS %s", alias);
	else
		appendStringInfo(buf, CTC_PAIRS " AS %s(c, t, i)", alias);
}

/*
 * ctc_append_joins
 *		For path "self", the relations after its own table (ancestors, then
 *		the pairs, preceded by lead: " USING ", ", " or " FROM ") and the
 *		WHERE clause that joins them: each child to its parent through the
 *		rule's foreign key, the root to the pairs.  names gives the aliases:
 *		the path's row, the prefix of the ancestors (a1 its parent, a2 the
 *		parent's parent, ...) and the pairs.
 */
static void
ctc_append_joins(StringInfo buf, const CtcRule *rules, int self, const char *lead,
				 const CtcNames *names, bool many)
{
	int			depth = 0;
	int			r;
	char		alias[NAMEDATALEN];

	strlcpy(alias, names->row, sizeof(alias));
	appendStringInfoString(buf, lead);
	for (r = self; rules[r].kind == CTC_RULE_CHILD; r = rules[r].parent)
		appendStringInfo(buf, "%s AS %s%d, ", rules[rules[r].parent].qualname,
						 names->ancestor, ++depth);
	ctc_append_pairs(buf, &rules[rules[self].root], many, names->pairs);

	appendStringInfoString(buf, " WHERE ");
	depth = 0;
	for (r = self; rules[r].kind == CTC_RULE_CHILD; r = rules[r].parent)
	{
		char		parent[NAMEDATALEN];

		snprintf(parent, sizeof(parent), "%s%d", names->ancestor, ++depth);
		ctc_append_fk_join(buf, &rules[r], parent, alias);
		appendStringInfoString(buf, " AND ");
		strlcpy(alias, parent, sizeof(alias));
	}
	ctc_append_pair_match(buf, &rules[r], alias, names->pairs);
}

/*
 * ctc_build_delete
 *		The DELETE of path "self"'s rows for the pairs.  With
 *		per_pair, it returns one row (i, n) per pair that lost rows;
 *		without, nothing (the caller reads the row count: one pair).  With
 *		ids, the deleted rows' identities instead: (i, tableoid, ctid, xmin)
 *		with per_pair, else (tableoid, ctid, xmin).
 */
char *
ctc_build_delete(const CtcRule *rules, int self, bool per_pair, bool ids)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (per_pair && !ids)
		appendStringInfoString(&buf, "WITH d AS (");
	appendStringInfo(&buf, "DELETE FROM %s AS t", rules[self].qualname);
	ctc_append_joins(&buf, rules, self, " USING ", &ctc_outer, per_pair);
	if (ids)
		appendStringInfo(&buf, " RETURNING %s" CTC_ROW_ID, per_pair ? "p.i, " : "");
	else if (per_pair)
		appendStringInfoString(&buf, " RETURNING p.i)"
							   " SELECT d.i, pg_catalog.count(*) FROM d GROUP BY d.i");
	return buf.data;
}

/*
 * ctc_build_count
 *		The count of path "self"'s rows for the pairs: one row of one
 *		bigint, or with per_pair one row (i, n) per pair that has rows.  A
 *		row another path of the table counts first is left out.  With ids,
 *		the rows' identities instead, as ctc_build_delete returns them.
 */
char *
ctc_build_count(const CtcRule *rules, int nrules, int self, bool per_pair, bool ids)
{
	StringInfoData buf;

	if (rules[rules[self].first].npaths > 1)
		return self == rules[self].first ?
			ctc_build_table_count(rules, nrules, self, per_pair, ids) : NULL;
	initStringInfo(&buf);
	appendStringInfo(&buf, "SELECT %s%s FROM %s AS t",
					 per_pair ? "p.i, " : "",
					 ids ? CTC_ROW_ID : "pg_catalog.count(*)", rules[self].qualname);
	ctc_append_joins(&buf, rules, self, ", ", &ctc_outer, per_pair);
	if (per_pair && !ids)
		appendStringInfoString(&buf, " GROUP BY p.i");
	return buf.data;
}

/*
 * ctc_build_table_count
 *		The counting statement of a table with several paths, whose first
 *		path is "first": each row the paths reach once, for the first pair
 *		and then the first path that reach it (see the file header), as rows
 *		(i, k, n): pair position, path index, rows; with ids, one row
 *		(i, k, tableoid, ctid, xmin) per row.  (Row identities are compared
 *		only to count, never to delete.)
 */
static char *
ctc_build_table_count(const CtcRule *rules, int nrules, int first, bool per_pair,
					  bool ids)
{
	StringInfoData buf;
	bool		union_all = false;

	initStringInfo(&buf);
	appendStringInfo(&buf, "SELECT s.i, s.k, %s FROM"
					 " (SELECT DISTINCT ON (u.r, u.c) u.i, u.k, u.r, u.c, u.x FROM (",
					 ids ? "s.r, s.c, s.x" : "pg_catalog.count(*)");
	for (int j = first; j < nrules; j++)
	{
		if (rules[j].first != first)
			continue;
		appendStringInfo(&buf, "%sSELECT t.tableoid AS r, t.ctid AS c, t.xmin AS x, p.i, %d AS k FROM %s AS t",
						 union_all ? " UNION ALL " : "", j, rules[j].qualname);
		ctc_append_joins(&buf, rules, j, ", ", &ctc_outer, per_pair);
		union_all = true;
	}
	appendStringInfoString(&buf, ") AS u ORDER BY u.r, u.c, u.i, u.k) AS s");
	if (!ids)
		appendStringInfoString(&buf, " GROUP BY s.i, s.k");
	return buf.data;
}

/*
 * ctc_build_statement
 *		The one statement of data-modifying CTEs that removes every rule's
 *		rows for the pairs $1, $2, $3 at once, for registries whose tables
 *		reference each other in a cycle (or a table of several paths
 *		itself: ctc_delete_order).  A row two paths of one table match is
 *		deleted, and counted, by one of their CTEs.  One CTE per rule in processing
 *		order; a root rule's CTE joins the pairs, a child's its parent's
 *		CTE, and each returns its pair's position (ctc_pair).  Result: one
 *		row per pair, ordered as given, whose first column is the position
 *		and the others the counts, in rule order; with ids, one row
 *		(i, k, tableoid, ctid, xmin) per deleted row (k: the path).
 */
char *
ctc_build_statement(const CtcRule *rules, int nrules, bool ids)
{
	StringInfoData buf;

	Assert(nrules > 0);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "WITH ");
	for (int i = 0; i < nrules; i++)
	{
		const CtcRule *rule = &rules[i];

		appendStringInfo(&buf, "%sr%d AS (DELETE FROM %s AS t USING ",
						 i > 0 ? ",\n     " : "", i + 1, rule->qualname);
		if (rule->kind == CTC_RULE_CHILD)
		{
			appendStringInfo(&buf, "r%d AS p WHERE ", rule->parent + 1);
			ctc_append_fk_join(&buf, rule, "p", "t");
		}
		else
		{
			ctc_append_pairs(&buf, rule, true, "p");
			appendStringInfoString(&buf, " WHERE ");
			ctc_append_pair_match(&buf, rule, "t", "p");
		}
		appendStringInfoString(&buf, " RETURNING ");
		ctc_append_keys(&buf, rules, nrules, i);
		if (ids)
			appendStringInfoString(&buf, ", t.tableoid AS ctc_r, t.ctid AS ctc_c, t.xmin AS ctc_x");
		appendStringInfoChar(&buf, ')');
	}

	if (ids)
	{
		for (int i = 0; i < nrules; i++)
			appendStringInfo(&buf, "%sSELECT r%d.ctc_pair, %d, r%d.ctc_r, r%d.ctc_c, r%d.ctc_x FROM r%d",
							 i > 0 ? " UNION ALL " : "\n", i + 1, i, i + 1, i + 1, i + 1, i + 1);
		return buf.data;
	}

	appendStringInfoString(&buf, "\nSELECT p.i");
	for (int i = 0; i < nrules; i++)
		appendStringInfo(&buf, ", COALESCE(c%d.n, 0)", i + 1);
	appendStringInfoString(&buf, " FROM (SELECT DISTINCT u.i FROM " CTC_PAIRS
						   " AS u(c, t, i)) AS p");
	for (int i = 0; i < nrules; i++)
		appendStringInfo(&buf,
						 " LEFT JOIN (SELECT ctc_pair, pg_catalog.count(*) AS n FROM r%d"
						 " GROUP BY ctc_pair) AS c%d ON c%d.ctc_pair OPERATOR(pg_catalog.=) p.i",
						 i + 1, i + 1, i + 1);
	appendStringInfoString(&buf, " ORDER BY p.i");
	return buf.data;
}

/*
 * ctc_append_pair_match
 *		For a pair or either rule, the condition that row "alias" belongs to
 *		the pair (pairs.c, pairs.t).
 */
static void
ctc_append_pair_match(StringInfo buf, const CtcRule *rule, const char *alias,
					  const char *pairs)
{
	const char *a = quote_identifier(rule->column_a);
	const char *b = quote_identifier(rule->column_b);

	if (rule->kind == CTC_RULE_PAIR)
		appendStringInfo(buf, "%s.%s " CTC_UUID_EQ " %s.c AND %s.%s " CTC_UUID_EQ " %s.t",
						 alias, a, pairs, alias, b, pairs);
	else
		appendStringInfo(buf,
						 "(%s.%s " CTC_UUID_EQ " %s.c AND %s.%s " CTC_UUID_EQ " %s.t"
						 " OR %s.%s " CTC_UUID_EQ " %s.t AND %s.%s " CTC_UUID_EQ " %s.c)",
						 alias, a, pairs, alias, b, pairs,
						 alias, a, pairs, alias, b, pairs);
}

/*
 * ctc_append_fk_join
 *		For a child rule, the join of its row "child" to its parent's row
 *		"parent" through the rule's foreign key.
 */
static void
ctc_append_fk_join(StringInfo buf, const CtcRule *rule, const char *parent,
				   const char *child)
{
	for (int k = 0; k < rule->nkeys; k++)
		appendStringInfo(buf, "%s%s.%s %s %s.%s", k > 0 ? " AND " : "",
						 parent, rule->ref_columns[k], rule->eq_operators[k],
						 child, rule->fk_columns[k]);
}

/*
 * ctc_append_keys
 *		The RETURNING list of rule "self"'s CTE: the pair's position
 *		(ctc_pair), then the columns its children join on (each once).
 */
static void
ctc_append_keys(StringInfo buf, const CtcRule *rules, int nrules, int self)
{
	appendStringInfoString(buf, rules[self].kind == CTC_RULE_CHILD ?
						   "p.ctc_pair" : "p.i AS ctc_pair");
	for (int i = self + 1; i < nrules; i++)
	{
		if (rules[i].parent != self)
			continue;
		for (int k = 0; k < rules[i].nkeys; k++)
		{
			const char *col = rules[i].ref_columns[k];
			bool		seen = false;

			/* an earlier child may already have asked for this column */
			for (int j = self + 1; j <= i && !seen; j++)
			{
				if (rules[j].parent != self)
					continue;
				for (int m = 0; m < (j < i ? rules[j].nkeys : k) && !seen; m++)
					seen = strcmp(rules[j].ref_columns[m], col) == 0;
			}
			if (!seen)
				appendStringInfo(buf, ", t.%s", col);
		}
	}
}

/*
 * ctc_build_alias_query
 *		The (person, alias) rows of an alias source for the ids $1 uuid[],
 *		a person's own id left out.
 */
char *
ctc_build_alias_query(const CtcAlias *alias)
{
	const char *person = quote_identifier(alias->person_column);
	const char *second = quote_identifier(alias->alias_column);

	return psprintf("SELECT s.%s::pg_catalog.uuid, s.%s::pg_catalog.uuid FROM %s AS s"
					" WHERE s.%s::pg_catalog.uuid " CTC_UUID_EQ " ANY ($1::pg_catalog.uuid[])"
					" AND s.%s IS NOT NULL"
					" AND s.%s::pg_catalog.uuid OPERATOR(pg_catalog.<>) s.%s::pg_catalog.uuid",
					person, second, alias->qualname, person, second, second, person);
}

/*
 * ctc_build_person_query
 *		For the second ids $1 uuid[]: the rows (id, person) of an alias
 *		source that map one of them to a person, and (id, NULL) for each
 *		that it holds as a person's own id (its person column).  A second id
 *		must be no one's own id and belong to one person only.
 */
char *
ctc_build_person_query(const CtcAlias *alias)
{
	const char *person = quote_identifier(alias->person_column);
	const char *second = quote_identifier(alias->alias_column);

	return psprintf("SELECT s.%s::pg_catalog.uuid, s.%s::pg_catalog.uuid FROM %s AS s"
					" WHERE s.%s::pg_catalog.uuid " CTC_UUID_EQ " ANY ($1::pg_catalog.uuid[])"
					" AND s.%s IS NOT NULL"
					" UNION SELECT s.%s::pg_catalog.uuid, NULL FROM %s AS s"
					" WHERE s.%s::pg_catalog.uuid " CTC_UUID_EQ " ANY ($1::pg_catalog.uuid[])",
					second, person, alias->qualname, second, person,
					person, alias->qualname, person);
}

/*
 * ctc_build_blocker_count
 *		The number of rows of the blocker's referencing table that reference,
 *		through its foreign key (the key's columns given quoted, with the
 *		operators comparing referenced to referencing), rows the pairs would
 *		lose in the referenced table (any of its paths), and that no path of
 *		the referencing table deletes with them; for one pair ($1, $2 uuid)
 *		or, with many, the arrays.
 */
char *
ctc_build_blocker_count(const CtcRule *rules, int nrules, const CtcBlocker *blocker,
						int nkeys, char **fk_columns, char **ref_columns,
						char **eq_operators, bool many)
{
	StringInfoData buf;
	int			parent = blocker->parent;
	int			own = blocker->registered ?
		ctc_rule_of_relation(rules, nrules, blocker->relid) : -1;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfo(&buf, "SELECT pg_catalog.count(*) FROM %s AS b WHERE (",
					 blocker->qualname);
	for (int j = parent; j < nrules; j++)
	{
		if (rules[j].first != parent)
			continue;
		appendStringInfo(&buf, "%sEXISTS (SELECT 1 FROM %s AS t", first ? "" : " OR ",
						 rules[j].qualname);
		ctc_append_joins(&buf, rules, j, ", ", &ctc_outer, many);
		for (int k = 0; k < nkeys; k++)
			appendStringInfo(&buf, " AND t.%s %s b.%s", ref_columns[k],
							 eq_operators[k], fk_columns[k]);
		appendStringInfoChar(&buf, ')');
		first = false;
	}
	appendStringInfoChar(&buf, ')');
	if (own >= 0)
	{
		own = rules[own].first;
		for (int j = own; j < nrules; j++)
		{
			CtcNames	inner = {"b", "x", "q"};

			if (rules[j].first != own)
				continue;
			appendStringInfoString(&buf, " AND NOT EXISTS (SELECT 1");
			ctc_append_joins(&buf, rules, j, " FROM ", &inner, many);
			appendStringInfoChar(&buf, ')');
		}
	}
	return buf.data;
}