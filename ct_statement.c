/*-------------------------------------------------------------------------
 *
 * ct_statement.c
 *		Build the SQL that a cleanup (or preview) runs.
 *
 * The statement form: one data-modifying CTE per registered table, in
 * processing order, and a final SELECT of one count per CTE:
 *
 *	WITH r1 AS (DELETE FROM app.conversations AS t
 *	            WHERE t.client_id OPERATOR(pg_catalog.=) $1
 *	              AND t.trainer_id OPERATOR(pg_catalog.=) $2
 *	            RETURNING t.id),
 *	     r2 AS (DELETE FROM app.messages AS t
 *	            WHERE EXISTS (SELECT 1 FROM r1 AS p
 *	                          WHERE p.id OPERATOR(pg_catalog.=) t.conversation_id)
 *	            RETURNING 1)
 *	SELECT (SELECT pg_catalog.count(*) FROM r1), (SELECT pg_catalog.count(*) FROM r2)
 *
 * All sub-statements share one snapshot, and foreign keys are checked at the
 * end of the statement, so the order of the CTEs does not matter for
 * correctness and the counts come straight from the CTEs.  A child CTE finds
 * its rows through the RETURNING keys of its parent's CTE, so a chain of any
 * depth is one statement.  The preview is the same statement with SELECT in
 * place of DELETE ... RETURNING.
 *
 * A single-pair cleanup runs, when it can, one DELETE per table instead
 * (ctc_build_delete), children before parents: measured faster than the
 * one statement (bench/), especially for pairs with many rows.
 *
 * ct_cleanup_many runs the batch form: the pairs come in as two arrays,
 * unnested into a CTE p, each table is joined with p (or a child with its
 * parent's CTE), and every CTE carries the position of its pair, so that all
 * pairs are removed by one statement and counted per pair.
 *
 * Every name is quoted (quote_identifier / quote_qualified_identifier), every
 * operator and function schema-qualified, and the pair is passed only as the
 * parameters $1 (client) and $2 (trainer): no caller-supplied text reaches
 * the SQL.
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

static void ctc_append_source(StringInfo buf, const CtcRule *rule, bool batch,
							  const char *using, const char *where);
static void ctc_append_condition(StringInfo buf, const CtcRule *rule, bool batch);
static void ctc_append_pair_match(StringInfo buf, const CtcRule *rule,
								  const char *alias, const char *client,
								  const char *trainer);
static void ctc_append_fk_join(StringInfo buf, const CtcRule *rule,
							   const char *parent, const char *child);
static void ctc_append_keys(StringInfo buf, const CtcRule *rules, int nrules,
							int self, bool batch);


/*
 * ctc_build_statement
 *		The cleanup statement for the resolved rules, or with preview the
 *		statement that only counts.  nrules must be at least 1.
 *
 * Single pair ($1 client, $2 trainer): one row of nrules bigint counts, in
 * rule order.  With batch ($1 clients, $2 trainers, arrays of equal length
 * without duplicate pairs): one row per pair, ordered as given, whose first
 * column is the pair's position and the others its counts.  In the batch
 * form every CTE carries the position of the pair its rows belong to
 * (column ctc_pair), children taking it from their parent's RETURNING.
 */
char *
ctc_build_statement(CtcRule *rules, int nrules, bool preview, bool batch)
{
	StringInfoData buf;

	Assert(nrules > 0);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "WITH ");
	if (batch)
		appendStringInfoString(&buf,
							   "p AS (SELECT u.i, u.c, u.t FROM ROWS FROM"
							   " (pg_catalog.unnest($1::pg_catalog.uuid[]),"
							   " pg_catalog.unnest($2::pg_catalog.uuid[]))"
							   " WITH ORDINALITY AS u(c, t, i)),\n     ");
	for (int i = 0; i < nrules; i++)
	{
		const CtcRule *rule = &rules[i];

		appendStringInfo(&buf, "%sr%d AS (", i > 0 ? ",\n     " : "", i + 1);
		if (preview)
		{
			appendStringInfoString(&buf, "SELECT ");
			ctc_append_keys(&buf, rules, nrules, i, batch);
			appendStringInfo(&buf, " FROM %s AS t", rule->qualname);
			ctc_append_source(&buf, rule, batch, " JOIN ", " ON ");
			ctc_append_condition(&buf, rule, batch);
		}
		else
		{
			appendStringInfo(&buf, "DELETE FROM %s AS t", rule->qualname);
			ctc_append_source(&buf, rule, batch, " USING ", " WHERE ");
			ctc_append_condition(&buf, rule, batch);
			appendStringInfoString(&buf, " RETURNING ");
			ctc_append_keys(&buf, rules, nrules, i, batch);
		}
		appendStringInfoChar(&buf, ')');
	}

	if (!batch)
	{
		appendStringInfoString(&buf, "\nSELECT ");
		for (int i = 0; i < nrules; i++)
			appendStringInfo(&buf, "%s(SELECT pg_catalog.count(*) FROM r%d)",
							 i > 0 ? ", " : "", i + 1);
		return buf.data;
	}

	/* batch: count per pair with one grouped scan of each CTE */
	appendStringInfoString(&buf, "\nSELECT p.i");
	for (int i = 0; i < nrules; i++)
		appendStringInfo(&buf, ", COALESCE(c%d.n, 0)", i + 1);
	appendStringInfoString(&buf, " FROM p");
	for (int i = 0; i < nrules; i++)
		appendStringInfo(&buf,
						 " LEFT JOIN (SELECT ctc_pair, pg_catalog.count(*) AS n FROM r%d"
						 " GROUP BY ctc_pair) AS c%d ON c%d.ctc_pair OPERATOR(pg_catalog.=) p.i",
						 i + 1, i + 1, i + 1);
	appendStringInfoString(&buf, " ORDER BY p.i");
	return buf.data;
}

/*
 * ctc_append_source
 *		For a child rule, or for any rule in the batch form, the relation the
 *		table is joined with (its parent's CTE, or the pairs p), introduced
 *		by "using" (DELETE) or "join" (SELECT); then "where" or "on".  For a
 *		single-pair root rule, just " WHERE ".
 */
static void
ctc_append_source(StringInfo buf, const CtcRule *rule, bool batch,
				  const char *using, const char *where)
{
	if (rule->kind == CTC_RULE_CHILD && batch)
		appendStringInfo(buf, "%sr%d AS p%s", using, rule->parent + 1, where);
	else if (batch)
		appendStringInfo(buf, "%sp%s", using, where);
	else
		appendStringInfoString(buf, " WHERE ");
}

/*
 * ctc_append_condition
 *		The condition selecting the pair's rows of one table: against $1 and
 *		$2 for a single pair, against the pairs p in the batch form; a child
 *		joins its parent's CTE (EXISTS for a single pair, the join itself in
 *		the batch form, where the parent's row carries the pair).
 */
static void
ctc_append_condition(StringInfo buf, const CtcRule *rule, bool batch)
{
	if (rule->kind != CTC_RULE_CHILD)
	{
		ctc_append_pair_match(buf, rule, "t", batch ? "p.c" : "$1",
							  batch ? "p.t" : "$2");
		return;
	}
	if (!batch)
		appendStringInfo(buf, "EXISTS (SELECT 1 FROM r%d AS p WHERE ", rule->parent + 1);
	ctc_append_fk_join(buf, rule, "p", "t");
	if (!batch)
		appendStringInfoChar(buf, ')');
}

/*
 * ctc_append_pair_match
 *		For a pair or either rule, the condition that row "alias" belongs to
 *		the pair (client, trainer).
 */
static void
ctc_append_pair_match(StringInfo buf, const CtcRule *rule, const char *alias,
					  const char *client, const char *trainer)
{
	const char *a = quote_identifier(rule->column_a);
	const char *b = quote_identifier(rule->column_b);

	if (rule->kind == CTC_RULE_PAIR)
		appendStringInfo(buf, "%s.%s " CTC_UUID_EQ " %s AND %s.%s " CTC_UUID_EQ " %s",
						 alias, a, client, alias, b, trainer);
	else
		appendStringInfo(buf,
						 "(%s.%s " CTC_UUID_EQ " %s AND %s.%s " CTC_UUID_EQ " %s"
						 " OR %s.%s " CTC_UUID_EQ " %s AND %s.%s " CTC_UUID_EQ " %s)",
						 alias, a, client, alias, b, trainer,
						 alias, a, trainer, alias, b, client);
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
 * ctc_build_delete
 *		The DELETE of one rule's rows for a single pair ($1, $2), on its own:
 *		a child is joined with its ancestors (a1 its parent, a2 the parent's
 *		parent, ...) up to the rule that matches the pair, which must all
 *		still hold their rows, so children are deleted before parents.
 */
char *
ctc_build_delete(CtcRule *rules, int self)
{
	StringInfoData buf;
	int			depth = 0;
	int			r;
	char		alias[16] = "t";

	initStringInfo(&buf);
	appendStringInfo(&buf, "DELETE FROM %s AS t", rules[self].qualname);
	for (r = self; rules[r].kind == CTC_RULE_CHILD; r = rules[r].parent)
	{
		depth++;
		appendStringInfo(&buf, "%s%s AS a%d", depth == 1 ? " USING " : ", ",
						 rules[rules[r].parent].qualname, depth);
	}
	appendStringInfoString(&buf, " WHERE ");
	depth = 0;
	for (r = self; rules[r].kind == CTC_RULE_CHILD; r = rules[r].parent)
	{
		char		parent[16];

		snprintf(parent, sizeof(parent), "a%d", ++depth);
		ctc_append_fk_join(&buf, &rules[r], parent, alias);
		appendStringInfoString(&buf, " AND ");
		strlcpy(alias, parent, sizeof(alias));
	}
	ctc_append_pair_match(&buf, &rules[r], alias, "$1", "$2");
	return buf.data;
}

/*
 * ctc_append_keys
 *		The output list of rule "self"'s CTE: in the batch form first the
 *		pair's position (ctc_pair), then the columns its children join on
 *		(each once); a constant when there is nothing else to output.
 */
static void
ctc_append_keys(StringInfo buf, const CtcRule *rules, int nrules, int self,
				bool batch)
{
	int			start = buf->len;

	if (batch)
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
				appendStringInfo(buf, "%st.%s", buf->len > start ? ", " : "", col);
		}
	}
	if (buf->len == start)
		appendStringInfoString(buf, "1");
}
