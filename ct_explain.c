/*-------------------------------------------------------------------------
 *
 * ct_explain.c
 *		ct_cleanup_explain(): what a cleanup of one pair would do now, rule
 *		by rule, and what would make it fail.
 *
 * It counts like ct_cleanup_preview() (the same statements, the caller's
 * snapshot, nothing deleted, no pair lock), one row per registry rule in
 * processing order, the counts of a rule's paths summed; then one row per
 * foreign key into a registered table that no rule follows and whose rows
 * reference rows the cleanup would delete (ctc_find_blockers) under NO
 * ACTION or RESTRICT: the cleanup would fail on them.  (Keys with SET NULL,
 * SET DEFAULT or CASCADE do not block; ct_cleanup_check() reports them.)
 *
 * Locking: AccessShareLock on the registered tables and the alias sources,
 * as for a preview.
 *
 * IDENTIFICATION
 *		ct_explain.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(ct_cleanup_explain);

#define CTC_EXPLAIN_NATTS	6

static void ctc_explain_rules(ReturnSetInfo *rsinfo, const CtcRegistry *reg,
							  const int64 *counts);
static void ctc_explain_blockers(ReturnSetInfo *rsinfo, const CtcRegistry *reg,
								 const int64 *rows);
static const char *ctc_action_name(char action);


/*
 * ct_cleanup_explain(client uuid, trainer uuid)
 *     RETURNS TABLE(position int, category text, target regclass, rule text,
 *                   rows bigint, problem text)
 *
 * Admins only; the ids are checked as for ct_cleanup_preview().
 */
Datum
ct_cleanup_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CtcCaller	c;
	const CtcRegistry *reg;
	CtcPairs	pairs;
	Datum		ids[2];
	int64	   *counts;
	int64	   *blocker_rows;

	(void) ctc_begin_pair(fcinfo, &c, ids);

	InitMaterializedSRF(fcinfo, 0);
	pairs.n = 1;
	pairs.clients = &ids[0];
	pairs.trainers = &ids[1];
	reg = ctc_explain_pairs(&c, &pairs, &counts, &blocker_rows);
	ctc_explain_rules(rsinfo, reg, counts);
	ctc_explain_blockers(rsinfo, reg, blocker_rows);
	return (Datum) 0;
}

/*
 * ctc_explain_rules
 *		One row per registry rule: its position, category, table, the rule
 *		in words, and the rows its paths would delete.
 */
static void
ctc_explain_rules(ReturnSetInfo *rsinfo, const CtcRegistry *reg, const int64 *counts)
{
	for (int i = 0; i < reg->nrules; i++)
	{
		Datum		values[CTC_EXPLAIN_NATTS];
		bool		nulls[CTC_EXPLAIN_NATTS] = {false, false, false, false, false, true};
		int64		n = 0;
		bool		first = true;

		/* the rule's first path speaks for all of them */
		for (int j = 0; j < i && first; j++)
			first = reg->rules[j].rule_id != reg->rules[i].rule_id;
		if (!first)
			continue;
		for (int j = i; j < reg->nrules; j++)
			if (reg->rules[j].rule_id == reg->rules[i].rule_id)
				n += counts[j];

		values[0] = Int32GetDatum(reg->rules[i].position);
		values[1] = CStringGetTextDatum(reg->rules[i].category);
		values[2] = ObjectIdGetDatum(reg->rules[i].relid);
		values[3] = CStringGetTextDatum(ctc_describe_rule(reg->rules, i));
		values[4] = Int64GetDatum(n);
		values[5] = (Datum) 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * ctc_explain_blockers
 *		One row per NO ACTION or RESTRICT foreign key that no rule follows
 *		and whose rows reference the pair's rows (or whose rows could not be
 *		counted), after the rules: the cleanup would fail on them.
 */
static void
ctc_explain_blockers(ReturnSetInfo *rsinfo, const CtcRegistry *reg, const int64 *rows)
{
	int			position = reg->nregistered;

	for (int b = 0; b < reg->nblockers; b++)
	{
		const CtcBlocker *blocker = &reg->blockers[b];
		const char *parent = reg->rules[blocker->parent].qualname;
		Datum		values[CTC_EXPLAIN_NATTS];
		bool		nulls[CTC_EXPLAIN_NATTS] = {false, true, false, false, false, false};
		char	   *problem;

		if (rows[b] == 0 || (blocker->action != FKCONSTR_ACTION_NOACTION &&
							 blocker->action != FKCONSTR_ACTION_RESTRICT))
			continue;
		problem = psprintf("the cleanup would fail (SQLSTATE 23503): these rows reference rows it deletes from %s, and no rule follows the key. To delete them with the pair's rows: SELECT ct_cleanup_register_child(%s, %s, %s, %s); to keep them: make the key ON DELETE SET NULL",
						   parent, quote_literal_cstr(blocker->category),
						   quote_literal_cstr(blocker->qualname),
						   quote_literal_cstr(parent),
						   quote_literal_cstr(blocker->conname));
		if (rows[b] < 0)
			problem = psprintf("not counted: %s is owned by role \"%s\", not by the owner of the registered tables, and ct_cleanup runs no one's code with another role's rights; if any of its rows reference the pair's rows, %s",
							   blocker->qualname, GetUserNameFromId(blocker->owner, false),
							   problem);

		values[0] = Int32GetDatum(++position);
		values[1] = (Datum) 0;
		values[2] = ObjectIdGetDatum(blocker->relid);
		values[3] = CStringGetTextDatum(psprintf("foreign key %s to %s (ON DELETE %s)",
												 quote_identifier(blocker->conname),
												 parent, ctc_action_name(blocker->action)));
		values[4] = Int64GetDatum(rows[b]);
		nulls[4] = rows[b] < 0;
		values[5] = CStringGetTextDatum(problem);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * ctc_action_name
 *		The SQL name of a foreign key's ON DELETE action.
 */
static const char *
ctc_action_name(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE:
			return "CASCADE";
		case FKCONSTR_ACTION_SETNULL:
			return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT:
			return "SET DEFAULT";
		default:
			return "NO ACTION";
	}
}
