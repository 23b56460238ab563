/*-------------------------------------------------------------------------
 *
 * ct_statement.c
 *		Build the one SQL statement that a cleanup (or preview) runs.
 *
 * A cleanup is a single statement: one data-modifying CTE per registered
 * table, in processing order, and a final SELECT of one count per CTE:
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

static void ctc_append_condition(StringInfo buf, const CtcRule *rule,
								 const CtcRule *rules);
static void ctc_append_keys(StringInfo buf, const CtcRule *rules, int nrules,
							int self);


/*
 * ctc_build_statement
 *		The cleanup statement for the resolved rules, or with preview the
 *		statement that only counts.  Its result is one row of nrules bigint
 *		columns, in rule order.  nrules must be at least 1.
 */
char *
ctc_build_statement(CtcRule *rules, int nrules, bool preview)
{
	StringInfoData buf;

	Assert(nrules > 0);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "WITH ");
	for (int i = 0; i < nrules; i++)
	{
		const CtcRule *rule = &rules[i];

		appendStringInfo(&buf, "%sr%d AS (", i > 0 ? ",\n     " : "", i + 1);
		if (preview)
		{
			appendStringInfoString(&buf, "SELECT ");
			ctc_append_keys(&buf, rules, nrules, i);
			appendStringInfo(&buf, " FROM %s AS t WHERE ", rule->qualname);
			ctc_append_condition(&buf, rule, rules);
		}
		else
		{
			appendStringInfo(&buf, "DELETE FROM %s AS t WHERE ", rule->qualname);
			ctc_append_condition(&buf, rule, rules);
			appendStringInfoString(&buf, " RETURNING ");
			ctc_append_keys(&buf, rules, nrules, i);
		}
		appendStringInfoChar(&buf, ')');
	}

	appendStringInfoString(&buf, "\nSELECT ");
	for (int i = 0; i < nrules; i++)
		appendStringInfo(&buf, "%s(SELECT pg_catalog.count(*) FROM r%d)",
						 i > 0 ? ", " : "", i + 1);
	return buf.data;
}

/*
 * ctc_append_condition
 *		The WHERE condition selecting the pair's rows of one table.
 */
static void
ctc_append_condition(StringInfo buf, const CtcRule *rule, const CtcRule *rules)
{
	const char *a;
	const char *b;

	switch (rule->kind)
	{
		case CTC_RULE_PAIR:
			a = quote_identifier(rule->column_a);
			b = quote_identifier(rule->column_b);
			appendStringInfo(buf, "t.%s " CTC_UUID_EQ " $1 AND t.%s " CTC_UUID_EQ " $2",
							 a, b);
			break;
		case CTC_RULE_EITHER:
			a = quote_identifier(rule->column_a);
			b = quote_identifier(rule->column_b);
			appendStringInfo(buf,
							 "(t.%s " CTC_UUID_EQ " $1 AND t.%s " CTC_UUID_EQ " $2"
							 " OR t.%s " CTC_UUID_EQ " $2 AND t.%s " CTC_UUID_EQ " $1)",
							 a, b, a, b);
			break;
		case CTC_RULE_CHILD:
			appendStringInfo(buf, "EXISTS (SELECT 1 FROM r%d AS p WHERE ",
							 rule->parent + 1);
			for (int k = 0; k < rule->nkeys; k++)
				appendStringInfo(buf, "%sp.%s %s t.%s", k > 0 ? " AND " : "",
								 rule->ref_columns[k], rule->eq_operators[k],
								 rule->fk_columns[k]);
			appendStringInfoChar(buf, ')');
			break;
	}
}

/*
 * ctc_append_keys
 *		The columns of rule "self" that its children join on (each once), or
 *		a constant when it has no children: its CTE's output list.
 */
static void
ctc_append_keys(StringInfo buf, const CtcRule *rules, int nrules, int self)
{
	int			start = buf->len;

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
