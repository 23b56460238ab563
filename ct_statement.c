/*-------------------------------------------------------------------------
 *
 * ct_statement.c
 *		Build the SQL that a cleanup (or preview) runs.
 *
 * One engine for one pair and for many: every statement joins the rule's
 * table with a pairs relation p(c, t, i), where i is the pair's position.
 * For many pairs p is the two arrays $1 uuid[] (clients) and $2 uuid[]
 * (trainers) unnested WITH ORDINALITY; for one pair it is the row of the
 * two uuid parameters $1, $2, the same statement otherwise (measured: with
 * arrays, a single pair's statements cost 0.2-0.3 ms more, re-planned or
 * not).  Each rule has four statements (ctc_build_delete, ctc_build_count):
 *
 *	DELETE FROM app.message_read_status AS t
 *	USING app.messages AS a1,
 *	      (SELECT DISTINCT ON (...) ... FROM ROWS FROM (unnest($1), unnest($2))
 *	       WITH ORDINALITY AS u(c, t, i) ORDER BY ...) AS p
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

/* The pairs, in order, with their positions. */
#define CTC_PAIRS \
	"ROWS FROM (pg_catalog.unnest($1::pg_catalog.uuid[])," \
	" pg_catalog.unnest($2::pg_catalog.uuid[])) WITH ORDINALITY"

/* One pair, given as two uuid parameters. */
#define CTC_ONE_PAIR \
	"(SELECT $1::pg_catalog.uuid AS c, $2::pg_catalog.uuid AS t, 1::pg_catalog.int8 AS i)"

/* The same, once per unordered pair, at its first position ("either" rules). */
#define CTC_UNORDERED_PAIRS \
	"(SELECT DISTINCT ON (LEAST(u.c, u.t), GREATEST(u.c, u.t)) u.c, u.t, u.i" \
	" FROM " CTC_PAIRS " AS u(c, t, i)" \
	" ORDER BY LEAST(u.c, u.t), GREATEST(u.c, u.t), u.i)"

static void ctc_append_pairs(StringInfo buf, const CtcRule *root, bool many);
static void ctc_append_joins(StringInfo buf, const CtcRule *rules, int self,
							 bool with_from, bool many);
static void ctc_append_pair_match(StringInfo buf, const CtcRule *rule,
								  const char *alias);
static void ctc_append_fk_join(StringInfo buf, const CtcRule *rule,
							   const char *parent, const char *child);
static void ctc_append_keys(StringInfo buf, const CtcRule *rules, int nrules,
							int self);


/*
 * ctc_append_pairs
 *		The pairs relation "p" for rules whose root rule is "root": with
 *		many, the arrays $1, $2 unnested; else the one pair $1, $2 (uuid) as a
 *		row of its own, which the planner pulls up into the conditions, so
 *		that the statement for one pair plans as "WHERE t.a = $1 ...".
 */
static void
ctc_append_pairs(StringInfo buf, const CtcRule *root, bool many)
{
	if (!many)
		appendStringInfoString(buf, CTC_ONE_PAIR " AS p");
	else if (root->kind == CTC_RULE_EITHER)
		appendStringInfoString(buf, CTC_UNORDERED_PAIRS " AS p");
	else
		appendStringInfoString(buf, CTC_PAIRS " AS p(c, t, i)");
}

/*
 * ctc_append_joins
 *		For rule "self", the relations after its own table ("a1, ..., p",
 *		preceded by " USING " or ", " as with_from says) and the WHERE
 *		clause that joins them: each child to its parent through the rule's
 *		foreign key, the root to the pairs.
 */
static void
ctc_append_joins(StringInfo buf, const CtcRule *rules, int self, bool with_from,
				 bool many)
{
	int			depth = 0;
	int			r;
	char		alias[16] = "t";

	appendStringInfoString(buf, with_from ? ", " : " USING ");
	for (r = self; rules[r].kind == CTC_RULE_CHILD; r = rules[r].parent)
		appendStringInfo(buf, "%s AS a%d, ", rules[rules[r].parent].qualname, ++depth);
	ctc_append_pairs(buf, &rules[rules[self].root], many);

	appendStringInfoString(buf, " WHERE ");
	depth = 0;
	for (r = self; rules[r].kind == CTC_RULE_CHILD; r = rules[r].parent)
	{
		char		parent[16];

		snprintf(parent, sizeof(parent), "a%d", ++depth);
		ctc_append_fk_join(buf, &rules[r], parent, alias);
		appendStringInfoString(buf, " AND ");
		strlcpy(alias, parent, sizeof(alias));
	}
	ctc_append_pair_match(buf, &rules[r], alias);
}

/*
 * ctc_build_delete
 *		The DELETE of rule "self"'s rows for the pairs $1, $2.  With
 *		per_pair, it returns one row (i, n) per pair that lost rows;
 *		without, nothing (the caller reads the row count: one pair).
 */
char *
ctc_build_delete(const CtcRule *rules, int self, bool per_pair)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (per_pair)
		appendStringInfoString(&buf, "WITH d AS (");
	appendStringInfo(&buf, "DELETE FROM %s AS t", rules[self].qualname);
	ctc_append_joins(&buf, rules, self, false, per_pair);
	if (per_pair)
		appendStringInfoString(&buf, " RETURNING p.i)"
							   " SELECT d.i, pg_catalog.count(*) FROM d GROUP BY d.i");
	return buf.data;
}

/*
 * ctc_build_count
 *		The count of rule "self"'s rows for the pairs $1, $2: one row of one
 *		bigint, or with per_pair one row (i, n) per pair that has rows.
 */
char *
ctc_build_count(const CtcRule *rules, int self, bool per_pair)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "SELECT %spg_catalog.count(*) FROM %s AS t",
					 per_pair ? "p.i, " : "", rules[self].qualname);
	ctc_append_joins(&buf, rules, self, true, per_pair);
	if (per_pair)
		appendStringInfoString(&buf, " GROUP BY p.i");
	return buf.data;
}

/*
 * ctc_build_statement
 *		The one statement of data-modifying CTEs that removes every rule's
 *		rows for the pairs $1, $2 at once, for registries whose tables
 *		reference each other in a cycle.  One CTE per rule in processing
 *		order; a root rule's CTE joins the pairs, a child's its parent's
 *		CTE, and each returns its pair's position (ctc_pair).  Result: one
 *		row per pair, ordered as given, whose first column is the position
 *		and the others the counts, in rule order.
 */
char *
ctc_build_statement(const CtcRule *rules, int nrules)
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
			ctc_append_pairs(&buf, rule, true);
			appendStringInfoString(&buf, " WHERE ");
			ctc_append_pair_match(&buf, rule, "t");
		}
		appendStringInfoString(&buf, " RETURNING ");
		ctc_append_keys(&buf, rules, nrules, i);
		appendStringInfoChar(&buf, ')');
	}

	appendStringInfoString(&buf, "\nSELECT p.i");
	for (int i = 0; i < nrules; i++)
		appendStringInfo(&buf, ", COALESCE(c%d.n, 0)", i + 1);
	appendStringInfoString(&buf, " FROM " CTC_PAIRS " AS p(c, t, i)");
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
 *		the pair (p.c, p.t).
 */
static void
ctc_append_pair_match(StringInfo buf, const CtcRule *rule, const char *alias)
{
	const char *a = quote_identifier(rule->column_a);
	const char *b = quote_identifier(rule->column_b);

	if (rule->kind == CTC_RULE_PAIR)
		appendStringInfo(buf, "%s.%s " CTC_UUID_EQ " p.c AND %s.%s " CTC_UUID_EQ " p.t",
						 alias, a, alias, b);
	else
		appendStringInfo(buf,
						 "(%s.%s " CTC_UUID_EQ " p.c AND %s.%s " CTC_UUID_EQ " p.t"
						 " OR %s.%s " CTC_UUID_EQ " p.t AND %s.%s " CTC_UUID_EQ " p.c)",
						 alias, a, alias, b, alias, a, alias, b);
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
