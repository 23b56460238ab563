/*-------------------------------------------------------------------------
 *
 * ct_registry.c
 *		The registry of interaction tables and the settings: the SQL functions
 *		that change them, and the code that loads the registry and checks it
 *		against the catalogs before every cleanup or preview.
 *
 * The registry (table ct_cleanup_rule, read through view ct_cleanup_rules)
 * stores tables as regclass and columns and foreign keys by name, so that it
 * survives pg_dump/restore and pg_upgrade and follows renames of tables.
 * Because a regclass does not stop a DROP TABLE and a name does not follow a
 * renamed column, every run re-checks each rule: table exists and is a table,
 * columns exist and are uuid, the foreign key still joins child to parent, all
 * tables have one owner.  Each failure is a clear error naming the object.
 *
 * A table may have several rules (1.2).  ctc_resolve_rules() expands them into
 * paths: a pair or either rule is one path; a child rule gets one path per
 * path of its parent table, each a chain of joins up to one pair or either
 * rule (see CtcRule).  Aliases (ct_cleanup_alias) are loaded and checked
 * here too, and ctc_find_blockers() lists the foreign keys into registered
 * tables that no rule follows.
 *
 * The registry is read and written as the extension owner; only roles with
 * the privileges of that owner (and superusers) may change it, or the
 * settings (ct_settings.c shares ctc_registry_begin/exec/end for that).
 *
 * Reads for a cleanup use the latest committed state, never the caller's
 * snapshot: a REPEATABLE READ caller must not rebuild the cache from a
 * registry that has changed since its transaction began.
 *
 * Locking: every change to the registry or the settings first takes
 * ShareUpdateExclusiveLock on ct_cleanup_rule (self-conflicting, not in
 * conflict with reads), so that concurrent register_child and unregister
 * calls are serialized and their checks (parent registered, no cycle, no
 * children left) see each other's committed result.
 *
 * IDENTIFICATION
 *		ct_registry.c
 *
 *-------------------------------------------------------------------------
 */
#include "ct_cleanup.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/partition.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "ct_cleanup_compat.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(ct_cleanup_register);
PG_FUNCTION_INFO_V1(ct_cleanup_register_either);
PG_FUNCTION_INFO_V1(ct_cleanup_register_child);
PG_FUNCTION_INFO_V1(ct_cleanup_unregister);
PG_FUNCTION_INFO_V1(ct_cleanup_register_alias);
PG_FUNCTION_INFO_V1(ct_cleanup_unregister_alias);

/* Most paths a resolved registry may have (see CtcRule). */
#define CTC_MAX_PATHS	1000

const char *const ctc_category_names[CTC_NUM_CATEGORIES] = {
	"messages",
	"conversations",
	"read_receipts",
	"discovery_calls",
	"call_feedback",
	"feedback_responses",
	"call_notes",
	"call_notifications",
	"engagement_records",
	"coach_selection_requests",
	"waitlist_entries",
	"alerts",
	"feedback_notifications",
	"other"
};

/* Statements on the registry; %1$s is the quoted extension schema. */
#define CTC_SQL_RULES \
	"SELECT category, target::pg_catalog.oid, kind, columns[1], columns[2]," \
	" parent::pg_catalog.oid, fk, id, position" \
	" FROM %1$s.ct_cleanup_rules ORDER BY position"
/* The same for versions before 1.2, whose view has no id: one rule per table. */
#define CTC_SQL_RULES_11 \
	"SELECT category, target::pg_catalog.oid, kind, columns[1], columns[2]," \
	" parent::pg_catalog.oid, fk, position, position" \
	" FROM %1$s.ct_cleanup_rules ORDER BY position"
/* Same kind and columns (or parent and key): replaced; else added. */
#define CTC_SQL_UPSERT_COLUMNS \
	"INSERT INTO %1$s.ct_cleanup_rule AS r" \
	" (target, category, kind, column_a, column_b) VALUES ($1, $2, $3, $4, $5)" \
	" ON CONFLICT (target, kind, column_a, column_b) WHERE kind OPERATOR(pg_catalog.<>) 'child'" \
	" DO UPDATE SET category = EXCLUDED.category" \
	" RETURNING r.id, r.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid"
#define CTC_SQL_UPSERT_CHILD \
	"INSERT INTO %1$s.ct_cleanup_rule AS r" \
	" (target, category, kind, parent, fk) VALUES ($1, $2, 'child', $3, $4)" \
	" ON CONFLICT (target, parent, fk) WHERE kind OPERATOR(pg_catalog.=) 'child'" \
	" DO UPDATE SET category = EXCLUDED.category" \
	" RETURNING r.id, r.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid"
/* The same for versions before 1.2: one rule per table, replaced. */
#define CTC_SQL_UPSERT_COLUMNS_11 \
	"INSERT INTO %1$s.ct_cleanup_rule AS r" \
	" (target, category, kind, column_a, column_b) VALUES ($1, $2, $3, $4, $5)" \
	" ON CONFLICT (target) DO UPDATE SET category = EXCLUDED.category," \
	" kind = EXCLUDED.kind, column_a = EXCLUDED.column_a," \
	" column_b = EXCLUDED.column_b, parent = NULL, fk = NULL" \
	" RETURNING r.id, true"
#define CTC_SQL_UPSERT_CHILD_11 \
	"INSERT INTO %1$s.ct_cleanup_rule AS r" \
	" (target, category, kind, parent, fk) VALUES ($1, $2, 'child', $3, $4)" \
	" ON CONFLICT (target) DO UPDATE SET category = EXCLUDED.category," \
	" kind = EXCLUDED.kind, column_a = NULL, column_b = NULL," \
	" parent = EXCLUDED.parent, fk = EXCLUDED.fk" \
	" RETURNING r.id, true"
/* The rules of one table, described for a NOTICE. */
#define CTC_SQL_TABLE_RULES \
	"SELECT pg_catalog.format('#%%s %%s %%s (category %%s)', id, kind," \
	" CASE WHEN kind OPERATOR(pg_catalog.=) 'child'" \
	" THEN pg_catalog.format('of %%s through %%I', parent, fk)" \
	" ELSE pg_catalog.format('(%%I, %%I)', columns[1], columns[2]) END, category)" \
	" FROM %1$s.ct_cleanup_rules WHERE target OPERATOR(pg_catalog.=) $1 ORDER BY id"
#define CTC_SQL_ALIASES \
	"SELECT kind, source::pg_catalog.oid, alias_column, person_column" \
	" FROM %1$s.ct_cleanup_alias ORDER BY kind, id"
#define CTC_SQL_UPSERT_ALIAS \
	"INSERT INTO %1$s.ct_cleanup_alias AS a (kind, source, alias_column, person_column)" \
	" VALUES ($1, $2, $3, $4) ON CONFLICT (kind, source) DO UPDATE" \
	" SET alias_column = EXCLUDED.alias_column, person_column = EXCLUDED.person_column"
#define CTC_SQL_UNREGISTER_ALIAS \
	"DELETE FROM %1$s.ct_cleanup_alias" \
	" WHERE kind OPERATOR(pg_catalog.=) $1 AND source OPERATOR(pg_catalog.=) $2"
#define CTC_SQL_IS_REGISTERED \
	"SELECT 1 FROM %1$s.ct_cleanup_rule WHERE target OPERATOR(pg_catalog.=) $1"
#define CTC_SQL_ANCESTORS \
	"WITH RECURSIVE up(t) AS (SELECT $1::pg_catalog.regclass UNION" \
	" SELECT r.parent FROM %1$s.ct_cleanup_rule AS r JOIN up" \
	" ON r.target OPERATOR(pg_catalog.=) up.t WHERE r.parent IS NOT NULL)" \
	" SELECT 1 FROM up WHERE t OPERATOR(pg_catalog.=) $2"
#define CTC_SQL_OTHER_TABLES \
	"SELECT target::pg_catalog.oid FROM %1$s.ct_cleanup_rule" \
	" WHERE target OPERATOR(pg_catalog.<>) $1 ORDER BY id"
#define CTC_SQL_CHILDREN \
	"SELECT target::pg_catalog.text FROM %1$s.ct_cleanup_rule" \
	" WHERE parent OPERATOR(pg_catalog.=) $1 ORDER BY id"
#define CTC_SQL_UNREGISTER \
	"DELETE FROM %1$s.ct_cleanup_rule WHERE target OPERATOR(pg_catalog.=) $1"

/* What ctc_registry_begin() switched, for ctc_registry_end(). */
static CtcRunAs ctc_registry_as;

static void ctc_refuse_deferred(Relation rel, Trigger *trig);
static bool ctc_action_crosses(const CtcRule *rules, int nrules, Oid relid,
							   Trigger *trig);
static void ctc_check_owner(const CtcRule *rules, int self, Oid *owner);
static Oid	ctc_rel_owner(Oid relid);
static void ctc_check_table(Oid relid, LOCKMODE lockmode, bool registered,
							const char *category, char **qualname, Oid *owner);
static void ctc_check_column(Oid relid, const char *qualname, const char *column);
static void ctc_find_leaves(CtcRule *rule);
static void ctc_resolve_fk(CtcRule *rule, const CtcRule *parent);
static char *ctc_operator_text(Oid opno);
static char *ctc_find_fk(Oid child, const char *child_name, Oid parent,
						 const char *parent_name, const char *fk_name);
static void ctc_check_same_owner(CtcCaller *c, Oid relid, const char *qualname,
								 Oid owner);
static void ctc_check_hierarchy(CtcCaller *c, Oid relid, const char *qualname);
static void ctc_check_category(const char *category);
static void ctc_require_args(FunctionCallInfo fcinfo, int nargs);
static bool ctc_is_registered(CtcCaller *c, Oid relid);
static void ctc_register_columns(FunctionCallInfo fcinfo, CtcRuleKind kind);
static void ctc_notice_rules(CtcCaller *c, Oid relid, const char *qualname);
static bool ctc_multi_rule(CtcCaller *c);
static void ctc_check_alias_source(Oid relid, LOCKMODE lockmode, char **qualname,
								   Oid *owner);
static const char *ctc_alias_kind(FunctionCallInfo fcinfo);


/*
 * ctc_category_index
 *		Index of a category in ctc_category_names; "other" for any name that
 *		is not one of the 13 result columns.
 */
int
ctc_category_index(const char *category)
{
	for (int i = 0; i < CTC_CATEGORY_OTHER; i++)
	{
		if (strcmp(category, ctc_category_names[i]) == 0)
			return i;
	}
	return CTC_CATEGORY_OTHER;
}

/*
 * ctc_load_rules
 *		Every registry rule in processing order (parents before children),
 *		read as the extension owner from the latest committed state.  Only
 *		the registry columns are filled; ctc_resolve_rules() does the rest.
 */
CtcRule *
ctc_load_rules(CtcCaller *c, int *nrules)
{
	CtcRule    *rules;
	SPIPlanPtr	plan;
	CtcRunAs	as;
	int			rc;

	Oid			view = get_relname_relid("ct_cleanup_rules", c->ext_schema);
	bool		has_id = OidIsValid(view) && get_attnum(view, "id") != InvalidAttrNumber;

	ctc_run_as(&as, c->ext_owner, 0);
	SPI_connect();
	plan = ctc_fixed_plan(psprintf(has_id ? CTC_SQL_RULES : CTC_SQL_RULES_11,
								   c->schema_quoted), 0, NULL);
	rc = SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the ct_cleanup registry failed: %s",
			 SPI_result_code_string(rc));

	*nrules = (int) SPI_processed;
	rules = SPI_palloc(sizeof(CtcRule) * Max(*nrules, 1));
	for (int i = 0; i < *nrules; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		CtcRule    *rule = &rules[i];
		char	   *kind = SPI_getvalue(tup, desc, 3);
		bool		isnull;

		memset(rule, 0, sizeof(CtcRule));
		rule->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		rule->parent_relid = DatumGetObjectId(SPI_getbinval(tup, desc, 6, &isnull));
		if (isnull)
			rule->parent_relid = InvalidOid;
		rule->kind = strcmp(kind, "pair") == 0 ? CTC_RULE_PAIR :
			strcmp(kind, "either") == 0 ? CTC_RULE_EITHER : CTC_RULE_CHILD;

		/* strings go to the caller's context, which outlives SPI_finish */
		rule->category = ctc_spi_strdup(SPI_getvalue(tup, desc, 1));
		rule->column_a = ctc_spi_strdup(SPI_getvalue(tup, desc, 4));
		rule->column_b = ctc_spi_strdup(SPI_getvalue(tup, desc, 5));
		rule->fk_name = ctc_spi_strdup(SPI_getvalue(tup, desc, 7));
		rule->rule_id = DatumGetInt64(SPI_getbinval(tup, desc, 8, &isnull));
		rule->position = (int) DatumGetInt64(SPI_getbinval(tup, desc, 9, &isnull));
	}
	SPI_finish();
	ctc_run_as_end(&as);
	return rules;
}

/*
 * ctc_resolve_rules
 *		Lock every registered table with lockmode, check each rule against
 *		the catalogs, and return the registry's paths (see CtcRule) in
 *		processing order, resolved; *npaths receives their number.  *owner
 *		receives the one owner of all the tables (InvalidOid when there are
 *		none).  rules (from ctc_load_rules) get their category index.
 *
 * Tables are locked in processing order, the same in every backend.  Locking
 * before looking a table up makes the catalog state stable until commit.
 * Rules come parents first (ct_cleanup_rules orders by depth), so every path
 * of a child rule's parent table exists when the child is resolved.
 */
CtcRule *
ctc_resolve_rules(CtcRule *rules, int nrules, LOCKMODE lockmode, Oid *owner,
				  int *npaths)
{
	CtcRule    *paths = palloc(sizeof(CtcRule) * Max(nrules, 1));
	int			n = 0;
	int			size = Max(nrules, 1);

	*owner = InvalidOid;
	for (int i = 0; i < nrules; i++)
	{
		CtcRule    *rule = &rules[i];
		int			nparents = 0;
		int			limit;

		rule->category_index = ctc_category_index(rule->category);
		rule->parent = -1;
		ctc_check_table(rule->relid, lockmode, true, rule->category,
						&rule->qualname, &rule->owner);
		ctc_find_leaves(rule);

		if (rule->kind != CTC_RULE_CHILD)
		{
			ctc_check_column(rule->relid, rule->qualname, rule->column_a);
			ctc_check_column(rule->relid, rule->qualname, rule->column_b);
		}
		ctc_check_owner(rules, i, owner);

		/* one path per path of the parent table, or the rule itself */
		limit = rule->kind == CTC_RULE_CHILD ? n : 1;
		for (int j = 0; j < limit; j++)
		{
			CtcRule    *path;

			if (rule->kind == CTC_RULE_CHILD && paths[j].relid != rule->parent_relid)
				continue;
			if (n >= CTC_MAX_PATHS)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("the registry has more than %d paths from a table to a pair",
								CTC_MAX_PATHS),
						 errdetail("Each rule of a parent table gives each child rule below it a path of its own; rule #" INT64_FORMAT " of %s is the one past the limit.",
								   rule->rule_id, rule->qualname),
						 errhint("Give the tables fewer rules, or register fewer levels of children.")));
			if (n == size)
			{
				size *= 2;
				paths = repalloc(paths, sizeof(CtcRule) * size);
			}
			path = &paths[n];
			*path = *rule;
			path->root = n;
			if (rule->kind == CTC_RULE_CHILD)
			{
				if (nparents == 0)
					ctc_resolve_fk(rule, &paths[j]);
				path->nkeys = rule->nkeys;
				path->fk_columns = rule->fk_columns;
				path->ref_columns = rule->ref_columns;
				path->eq_operators = rule->eq_operators;
				path->parent = j;
				path->root = paths[j].root;
			}
			nparents++;
			n++;
		}
		if (rule->kind == CTC_RULE_CHILD && nparents == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("parent of registered table %s is not registered",
							rule->qualname),
					 errdetail("The rule names parent table OID %u, which has no rule of its own.",
							   rule->parent_relid),
					 errhint("Register the parent again, or unregister %s.",
							 rule->qualname)));
	}

	/* each table's first path counts its paths */
	for (int i = 0; i < n; i++)
	{
		paths[i].first = i;
		paths[i].npaths = 0;
		for (int j = 0; j < i; j++)
		{
			if (paths[j].relid == paths[i].relid)
			{
				paths[i].first = j;
				break;
			}
		}
		paths[paths[i].first].npaths++;
	}
	*npaths = n;
	return paths;
}

/*
 * ctc_check_owner
 *		Refuse registered tables of different owners: rules[self] against
 *		*owner, the owner of the tables before it (set from the first).
 */
static void
ctc_check_owner(const CtcRule *rules, int self, Oid *owner)
{
	const CtcRule *rule = &rules[self];

	if (!OidIsValid(*owner))
		*owner = rule->owner;
	else if (rule->owner != *owner)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("registered tables %s and %s have different owners",
						rules[0].qualname, rule->qualname),
				 errdetail("A cleanup deletes as the owner of the registered tables, so they must all have one owner; %s is owned by role \"%s\", %s by role \"%s\".",
						   rules[0].qualname, GetUserNameFromId(*owner, false),
						   rule->qualname, GetUserNameFromId(rule->owner, false)),
				 errhint("Run ALTER TABLE %s OWNER TO %s.", rule->qualname,
						 quote_identifier(GetUserNameFromId(*owner, false)))));
}

/*
 * ctc_describe_rule
 *		The rule of path "self" in words, for ct_cleanup_explain() and
 *		messages: "pair (a, b)", "either (a, b)", "child of t through k".
 */
char *
ctc_describe_rule(const CtcRule *rules, int self)
{
	const CtcRule *r = &rules[self];

	if (r->kind == CTC_RULE_CHILD)
		return psprintf("child of %s through %s",
						quote_qualified_identifier(get_namespace_name(get_rel_namespace(r->parent_relid)),
												   get_rel_name(r->parent_relid)),
						quote_identifier(r->fk_name));
	return psprintf("%s (%s, %s)", r->kind == CTC_RULE_PAIR ? "pair" : "either",
					quote_identifier(r->column_a), quote_identifier(r->column_b));
}

/*
 * ctc_delete_order
 *		An order of the paths in which each table's rows are deleted before
 *		the rows of every registered table it references through any foreign
 *		key (not only the rules' own; keys declared on a partition or child
 *		only, and keys to a partition of a registered table, included), so
 *		that the DELETEs of each table pass the foreign-key checks at the end
 *		of each; a table's paths are deleted one after another.  NULL when
 *		registered tables reference each other in a cycle, or when a table
 *		with several paths references itself with NO ACTION or RESTRICT (one
 *		path's DELETE could leave rows another path deletes referencing
 *		rows already gone): then everything runs in one statement.
 */
int *
ctc_delete_order(const CtcRule *rules, int nrules)
{
	bool	   *refs = palloc0(sizeof(bool) * nrules * nrules); /* [i][j]: i -> j */
	bool	   *placed = palloc0(sizeof(bool) * nrules);
	int		   *order = palloc(sizeof(int) * nrules);
	int			ntables = 0;
	int			nplaced = 0;
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);

	/* tables are represented by their first paths */
	for (int i = 0; i < nrules; i++)
	{
		/* keys of the table and of each partition or child (its own, too) */
		List	   *all;
		ListCell   *lc;

		if (rules[i].first != i)
			continue;
		ntables++;
		all = find_all_inheritors(rules[i].relid, AccessShareLock, NULL);
		foreach(lc, all)
		{
			ScanKeyData key;
			SysScanDesc scan;
			HeapTuple	tup;

			ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
						F_OIDEQ, ObjectIdGetDatum(lfirst_oid(lc)));
			scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true,
									  NULL, 1, &key);
			while (HeapTupleIsValid(tup = systable_getnext(scan)))
			{
				Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
				int			j;

				if (con->contype != CONSTRAINT_FOREIGN)
					continue;
				j = ctc_rule_of_relation(rules, nrules, con->confrelid);
				if (j < 0)
					continue;
				j = rules[j].first;
				if (j != i)
					refs[i * nrules + j] = true;
				else if (rules[i].npaths > 1 &&
						 (con->confdeltype == FKCONSTR_ACTION_NOACTION ||
						  con->confdeltype == FKCONSTR_ACTION_RESTRICT))
				{
					systable_endscan(scan);
					table_close(rel, AccessShareLock);
					return NULL;
				}
			}
			systable_endscan(scan);
		}
	}
	table_close(rel, AccessShareLock);

	/* repeatedly take a table no unplaced table references, last rules first */
	for (int t = 0; t < ntables; t++)
	{
		int			next = -1;

		for (int j = nrules - 1; j >= 0 && next < 0; j--)
		{
			bool		referenced = false;

			if (placed[j] || rules[j].first != j)
				continue;
			for (int i = 0; i < nrules && !referenced; i++)
				referenced = !placed[i] && rules[i].first == i && refs[i * nrules + j];
			if (!referenced)
				next = j;
		}
		if (next < 0)
			return NULL;		/* a cycle */
		placed[next] = true;
		for (int k = next; k < nrules; k++)
		{
			if (rules[k].first == next)
				order[nplaced++] = k;
		}
	}
	Assert(nplaced == nrules);
	return order;
}

/*
 * ctc_check_deferred
 *		Refuse (55000) registered tables, and the tables their foreign-key
 *		actions change, that have an INITIALLY DEFERRED trigger for the event
 *		the cleanup causes there: a constraint trigger of the application, or
 *		the check of a deferred NO ACTION foreign key.  Returns every table
 *		looked at (registered ones included), for the cache to watch.
 *
 * The deletes run as a security-restricted operation (ct_access.c), where
 * PostgreSQL refuses to fire deferred triggers; without it such a trigger
 * would fire at COMMIT, after the rights were switched back, with the
 * caller's rights.  The cleanup therefore refuses up front, naming the
 * trigger, instead of failing half-way.  Tables are visited through the
 * ON DELETE CASCADE / SET NULL / SET DEFAULT triggers of the tables already
 * visited, partitions included.  Each table is locked with AccessShareLock
 * (the deletes lock them more strongly anyway).
 *
 * The same walk sets *cross when a foreign-key action can carry one pair's
 * deletes to rows of a registered table that its rule does not reach through
 * that key (ctc_action_crosses): then a batch must run one pair at a time.
 */
Oid *
ctc_check_deferred(const CtcRule *rules, int nrules, int *nwatched, bool *cross)
{
	List	   *queue = NIL;	/* relids to visit */
	List	   *updated = NIL;	/* of those, the ones only updated (SET NULL) */
	List	   *seen = NIL;
	ListCell   *lc;
	Oid		   *result;
	int			n = 0;

	*cross = false;
	for (int i = 0; i < nrules; i++)
		queue = lappend_oid(queue, rules[i].relid);

	while (queue != NIL)
	{
		Oid			relid = linitial_oid(queue);
		bool		update_only = list_member_oid(updated, relid);
		List	   *all;

		queue = list_delete_first(queue);
		if (list_member_oid(seen, relid))
			continue;
		seen = lappend_oid(seen, relid);

		all = find_all_inheritors(relid, AccessShareLock, NULL);
		foreach(lc, all)
		{
			Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);
			TriggerDesc *trigdesc = rel->trigdesc;

			for (int t = 0; trigdesc != NULL && t < trigdesc->numtriggers; t++)
			{
				Trigger    *trig = &trigdesc->triggers[t];
				bool		fires = update_only ? TRIGGER_FOR_UPDATE(trig->tgtype) :
					TRIGGER_FOR_DELETE(trig->tgtype);

				if (!fires || trig->tgenabled == TRIGGER_DISABLED)
					continue;
				if (trig->tginitdeferred)
					ctc_refuse_deferred(rel, trig);
				if (update_only || !trig->tgisinternal)
					continue;
				if (trig->tgfoid == F_RI_FKEY_CASCADE_DEL ||
					trig->tgfoid == F_RI_FKEY_SETNULL_DEL ||
					trig->tgfoid == F_RI_FKEY_SETDEFAULT_DEL)
					*cross |= ctc_action_crosses(rules, nrules, relid, trig);
				if (trig->tgfoid == F_RI_FKEY_CASCADE_DEL)
					queue = lappend_oid(queue, trig->tgconstrrelid);
				else if (trig->tgfoid == F_RI_FKEY_SETNULL_DEL ||
						 trig->tgfoid == F_RI_FKEY_SETDEFAULT_DEL)
				{
					queue = lappend_oid(queue, trig->tgconstrrelid);
					updated = lappend_oid(updated, trig->tgconstrrelid);
				}
			}
			table_close(rel, NoLock);
			if (!list_member_oid(seen, lfirst_oid(lc)))
				seen = lappend_oid(seen, lfirst_oid(lc));
		}
	}

	result = palloc(sizeof(Oid) * Max(list_length(seen), 1));
	foreach(lc, seen)
		result[n++] = lfirst_oid(lc);
	*nwatched = n;
	return result;
}

/*
 * ctc_action_crosses
 *		Does the ON DELETE action trigger trig, on table relid (or one of its
 *		partitions), change rows of a registered table other than through the
 *		key of a child rule whose parent is relid's table?  A self-reference,
 *		a second key, another registered table's key, or a path through
 *		unregistered tables (relid unregistered) do: such rows may belong to
 *		another pair's rule, and which pair a batch counts them for would
 *		depend on the order of its statements.
 */
static bool
ctc_action_crosses(const CtcRule *rules, int nrules, Oid relid, Trigger *trig)
{
	int			child = ctc_rule_of_relation(rules, nrules, trig->tgconstrrelid);
	int			parent = ctc_rule_of_relation(rules, nrules, relid);

	if (child < 0)
		return false;			/* unregistered: followed by the walk */
	if (parent < 0 || trig->tgfoid != F_RI_FKEY_CASCADE_DEL ||
		rules[child].first == rules[parent].first)
		return true;
	return !ctc_key_followed(rules, nrules, child, rules[parent].relid,
							 ctc_root_constraint_name(trig->tgconstrrelid,
													  get_constraint_name(trig->tgconstraint)));
}

/*
 * ctc_key_followed
 *		Does a child rule of the table of path "table" follow foreign key
 *		conname (a root constraint name) to parent_relid (InvalidOid: to any
 *		table)?
 */
bool
ctc_key_followed(const CtcRule *rules, int nrules, int table, Oid parent_relid,
				 const char *conname)
{
	for (int i = 0; i < nrules; i++)
	{
		if (rules[i].first == rules[table].first && rules[i].kind == CTC_RULE_CHILD &&
			(!OidIsValid(parent_relid) || rules[i].parent_relid == parent_relid) &&
			strcmp(rules[i].fk_name, conname) == 0)
			return true;
	}
	return false;
}

/*
 * ctc_find_blockers
 *		Every foreign key into a registered table (or a partition of one)
 *		that no rule follows, with the statement counting the referencing
 *		rows a cleanup of the pairs would not delete: under NO ACTION or
 *		RESTRICT they make it fail, under SET NULL or SET DEFAULT they are
 *		kept (detached), under CASCADE they go with the pair's rows.  Keys
 *		cloned to partitions (conparentid set) are represented by their
 *		root.
 */
CtcBlocker *
ctc_find_blockers(const CtcRule *rules, int nrules, int *nblockers)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *found = NIL;
	CtcBlocker *result;
	ListCell   *lc;
	int			n = 0;

	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		int			parent;
		int			own;
		CtcBlocker *b;
		AttrNumber	conkey[INDEX_MAX_KEYS];
		AttrNumber	confkey[INDEX_MAX_KEYS];
		Oid			pfeqop[INDEX_MAX_KEYS];
		char	   *fk_columns[INDEX_MAX_KEYS];
		char	   *ref_columns[INDEX_MAX_KEYS];
		char	   *eq_operators[INDEX_MAX_KEYS];
		int			nkeys;

		if (con->contype != CONSTRAINT_FOREIGN || OidIsValid(con->conparentid))
			continue;
		parent = ctc_rule_of_relation(rules, nrules, con->confrelid);
		if (parent < 0)
			continue;
		parent = rules[parent].first;
		own = ctc_rule_of_relation(rules, nrules, con->conrelid);
		if (own >= 0 && ctc_key_followed(rules, nrules, own, rules[parent].relid,
										 NameStr(con->conname)))
			continue;

		b = palloc0(sizeof(CtcBlocker));
		b->conoid = con->oid;
		b->conname = pstrdup(NameStr(con->conname));
		b->relid = con->conrelid;
		b->qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(b->relid)),
												 get_rel_name(b->relid));
		b->owner = ctc_rel_owner(b->relid);
		b->parent = parent;
		b->action = con->confdeltype;
		b->registered = own >= 0;
		/* the registration it needs: in the table's own category, if any */
		b->category = own >= 0 ? rules[rules[own].first].category : "other";
		ctc_deconstruct_fk(tup, &nkeys, conkey, confkey, pfeqop);
		for (int k = 0; k < nkeys; k++)
		{
			fk_columns[k] = pstrdup(quote_identifier(get_attname(b->relid, conkey[k], false)));
			ref_columns[k] = pstrdup(quote_identifier(get_attname(con->confrelid, confkey[k], false)));
			eq_operators[k] = ctc_operator_text(pfeqop[k]);
		}
		for (int many = 0; many < 2; many++)
			b->sql[many] = ctc_build_blocker_count(rules, nrules, b, nkeys, fk_columns,
												   ref_columns, eq_operators, many);
		found = lappend(found, b);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	result = palloc(sizeof(CtcBlocker) * Max(list_length(found), 1));
	foreach(lc, found)
		result[n++] = *(CtcBlocker *) lfirst(lc);
	*nblockers = n;
	return result;
}

/*
 * ctc_rel_owner
 *		The owner of a relation.
 */
static Oid
ctc_rel_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * ctc_refuse_deferred
 *		The error of ctc_check_deferred() for trigger trig of rel.
 */
static void
ctc_refuse_deferred(Relation rel, Trigger *trig)
{
	char	   *qualname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
													  RelationGetRelationName(rel));

	if (trig->tgisinternal && OidIsValid(trig->tgconstraint))
	{
		char	   *conname = get_constraint_name(trig->tgconstraint);
		Oid			conrel = trig->tgconstrrelid;
		char	   *child = quote_qualified_identifier(get_namespace_name(get_rel_namespace(conrel)),
													   get_rel_name(conrel));

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("foreign key \"%s\" of table %s, which references %s, is INITIALLY DEFERRED",
						conname, child, qualname),
				 errdetail("A cleanup deletes from %s as a security-restricted operation, in which PostgreSQL cannot fire deferred triggers; nothing was deleted.",
						   qualname),
				 errhint("Run ALTER TABLE %s ALTER CONSTRAINT %s DEFERRABLE INITIALLY IMMEDIATE.",
						 child, quote_identifier(conname))));
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("trigger \"%s\" on table %s is INITIALLY DEFERRED",
					trig->tgname, qualname),
			 errdetail("A deferred trigger fires at commit, after the cleanup has switched back to the caller's rights, so ct_cleanup refuses to run it; nothing was deleted."),
			 errhint("Recreate it with CREATE CONSTRAINT TRIGGER ... INITIALLY IMMEDIATE (it then fires inside the cleanup, as the table's owner), or as a plain trigger.")));
}

/*
 * ctc_rule_of_relation
 *		The index of the rule of relid, or of the nearest partitioned table
 *		above it that has a rule; -1 when there is none.  Errors name leaf
 *		partitions, rules name the partitioned table.
 */
int
ctc_rule_of_relation(const CtcRule *rules, int nrules, Oid relid)
{
	List	   *ancestors;
	ListCell   *lc;

	for (int i = 0; i < nrules; i++)
	{
		if (rules[i].relid == relid)
			return i;
	}
	if (!get_rel_relispartition(relid))
		return -1;
	ancestors = get_partition_ancestors(relid);
	foreach(lc, ancestors)
	{
		for (int i = 0; i < nrules; i++)
		{
			if (rules[i].relid == lfirst_oid(lc))
				return i;
		}
	}
	return -1;
}

/*
 * ctc_root_constraint_name
 *		The name of constraint conname of relid, or of the constraint it was
 *		cloned from (conparentid, for partitions and for foreign keys to
 *		partitioned tables), up to the one declared by the user; conname
 *		itself when it cannot be found.
 */
char *
ctc_root_constraint_name(Oid relid, const char *conname)
{
	Oid			conoid = get_relation_constraint_oid(relid, conname, true);
	char	   *name = pstrdup(conname);

	while (OidIsValid(conoid))
	{
		HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
		Form_pg_constraint con;

		if (!HeapTupleIsValid(tup))
			break;
		con = (Form_pg_constraint) GETSTRUCT(tup);
		name = pstrdup(NameStr(con->conname));
		conoid = con->conparentid;
		ReleaseSysCache(tup);
	}
	return name;
}

/*
 * ctc_check_table
 *		Lock relid (unless lockmode is NoLock) and check that it is a plain
 *		or partitioned table; return its quoted qualified name and owner.
 *		"registered" chooses the wording for a table that vanished.
 */
static void
ctc_check_table(Oid relid, LOCKMODE lockmode, bool registered,
				const char *category, char **qualname, Oid *owner)
{
	HeapTuple	tup;
	Form_pg_class form;

	if (lockmode != NoLock)
		LockRelationOid(relid, lockmode);

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
	{
		if (registered)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("registered table with OID %u (category \"%s\") no longer exists",
							relid, category),
					 errhint("Remove its rule with SELECT ct_cleanup_unregister(%u).",
							 relid)));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	}
	form = (Form_pg_class) GETSTRUCT(tup);
	*qualname = quote_qualified_identifier(get_namespace_name(form->relnamespace),
										   NameStr(form->relname));
	*owner = form->relowner;
	if (form->relkind != RELKIND_RELATION &&
		form->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not a table", *qualname),
				 errdetail("Only plain and partitioned tables can be registered.")));
	if (IsSystemClass(relid, form))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is a system catalog", *qualname),
				 errdetail("Only application tables can be registered.")));
	if (form->relpersistence == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is a temporary table", *qualname),
				 errdetail("A temporary table vanishes with its session, without a DROP that would remove its rule; only permanent tables can be registered.")));
	ReleaseSysCache(tup);
}

/*
 * ctc_find_leaves
 *		The tables whose transaction statistics can show deletions the rule's
 *		own DELETE did not count: the table itself, or each of its leaf
 *		partitions (and inheritance children).  Every one of them, not only
 *		those with an ON DELETE CASCADE key: a key declared on one partition
 *		only, or an application's trigger, removes rows behind the cleanup
 *		too, and the counts must see them (1.2).  rule->cascades tells
 *		whether some leaf has such a key.
 */
static void
ctc_find_leaves(CtcRule *rule)
{
	List	   *all = find_all_inheritors(rule->relid, AccessShareLock, NULL);
	ListCell   *lc;

	rule->nleaves = 0;
	rule->cascades = false;
	rule->leaves = palloc(sizeof(Oid) * list_length(all));
	foreach(lc, all)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel;
		ListCell   *fk;
		bool		cascades = false;

		if (get_rel_relkind(relid) != RELKIND_RELATION)
			continue;
		/* a leaf's list holds the keys it inherited and its own */
		rel = table_open(relid, NoLock);
		foreach(fk, RelationGetFKeyList(rel))
		{
			HeapTuple	tup = SearchSysCache1(CONSTROID,
											  ObjectIdGetDatum(((ForeignKeyCacheInfo *) lfirst(fk))->conoid));

			if (HeapTupleIsValid(tup))
			{
				cascades |= ((Form_pg_constraint) GETSTRUCT(tup))->confdeltype == FKCONSTR_ACTION_CASCADE;
				ReleaseSysCache(tup);
			}
		}
		table_close(rel, NoLock);
		rule->cascades |= cascades;
		rule->leaves[rule->nleaves++] = relid;
	}
}

/*
 * ctc_check_column
 *		Check that a column to match the pair against exists and is of type
 *		uuid (or a domain over uuid).
 */
static void
ctc_check_column(Oid relid, const char *qualname, const char *column)
{
	HeapTuple	tup;
	Form_pg_attribute att;
	Oid			typid;
	AttrNumber	attnum;

	tup = SearchSysCacheAttName(relid, column);
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table %s does not exist", column, qualname)));
	att = (Form_pg_attribute) GETSTRUCT(tup);
	typid = att->atttypid;
	attnum = att->attnum;
	ReleaseSysCache(tup);

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table %s is a system column", column, qualname)));
	if (getBaseType(typid) != UUIDOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of table %s is of type %s, not uuid",
						column, qualname, format_type_be(typid))));
}

/*
 * ctc_resolve_fk
 *		Find a child rule's foreign key by name and record its columns and
 *		equality operators, for the statement to join child to parent.
 */
static void
ctc_resolve_fk(CtcRule *rule, const CtcRule *parent)
{
	Oid			conoid;
	HeapTuple	tup;
	Form_pg_constraint con;
	AttrNumber	conkey[INDEX_MAX_KEYS];
	AttrNumber	confkey[INDEX_MAX_KEYS];
	Oid			pfeqop[INDEX_MAX_KEYS];
	int			nkeys;

	conoid = get_relation_constraint_oid(rule->relid, rule->fk_name, true);
	if (!OidIsValid(conoid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("foreign key \"%s\" of registered table %s no longer exists",
						rule->fk_name, rule->qualname),
				 errhint("Register the table again with ct_cleanup_register_child() to follow its current foreign key to %s.",
						 parent->qualname)));

	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for constraint %u", conoid);
	con = (Form_pg_constraint) GETSTRUCT(tup);
	if (con->contype != CONSTRAINT_FOREIGN || con->confrelid != parent->relid)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("constraint \"%s\" of registered table %s is not a foreign key to %s",
						rule->fk_name, rule->qualname, parent->qualname),
				 errhint("Register the table again with ct_cleanup_register_child() to follow its current foreign key to %s.",
						 parent->qualname)));
	ctc_deconstruct_fk(tup, &nkeys, conkey, confkey, pfeqop);
	ReleaseSysCache(tup);

	rule->nkeys = nkeys;
	rule->fk_columns = palloc(sizeof(char *) * nkeys);
	rule->ref_columns = palloc(sizeof(char *) * nkeys);
	rule->eq_operators = palloc(sizeof(char *) * nkeys);
	for (int i = 0; i < nkeys; i++)
	{
		rule->fk_columns[i] =
			pstrdup(quote_identifier(get_attname(rule->relid, conkey[i], false)));
		rule->ref_columns[i] =
			pstrdup(quote_identifier(get_attname(parent->relid, confkey[i], false)));
		rule->eq_operators[i] = ctc_operator_text(pfeqop[i]);
	}
}

/*
 * ctc_operator_text
 *		"OPERATOR(schema.name)" for an operator, so that the generated SQL
 *		uses exactly the operator the foreign key uses, whatever search_path.
 */
static char *
ctc_operator_text(Oid opno)
{
	HeapTuple	tup;
	Form_pg_operator op;
	char	   *result;

	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	op = (Form_pg_operator) GETSTRUCT(tup);
	result = psprintf("OPERATOR(%s.%s)",
					  quote_identifier(get_namespace_name(op->oprnamespace)),
					  NameStr(op->oprname));
	ReleaseSysCache(tup);
	return result;
}

/*
 * ctc_find_fk
 *		The name of the foreign key from child to parent: the one named
 *		fk_name, or the only one when fk_name is NULL.
 *
 * Constraints cloned to partitions (conparentid set) are skipped: the
 * partitioned table's own constraint is the one to follow.
 */
static char *
ctc_find_fk(Oid child, const char *child_name, Oid parent,
			const char *parent_name, const char *fk_name)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *names = NIL;
	char	   *found = NULL;
	StringInfoData list;
	ListCell   *lc;

	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(child));
	scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true,
							  NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

		if (con->contype != CONSTRAINT_FOREIGN || con->confrelid != parent ||
			OidIsValid(con->conparentid))
			continue;
		names = lappend(names, pstrdup(NameStr(con->conname)));
		if (fk_name != NULL && strcmp(NameStr(con->conname), fk_name) == 0)
			found = llast(names);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (fk_name != NULL)
	{
		if (found == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("table %s has no foreign key \"%s\" to %s",
							child_name, fk_name, parent_name)));
		return found;
	}
	if (names == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table %s has no foreign key to %s", child_name, parent_name),
				 errhint("A child table is registered through a declared foreign key to its parent; add one, or register the table with ct_cleanup_register().")));
	if (list_length(names) > 1)
	{
		initStringInfo(&list);
		foreach(lc, names)
			appendStringInfo(&list, "%s\"%s\"", list.len > 0 ? ", " : "",
							 (char *) lfirst(lc));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table %s has %d foreign keys to %s",
						child_name, list_length(names), parent_name),
				 errdetail("The foreign keys are %s.", list.data),
				 errhint("Name the one to follow in the fk argument of ct_cleanup_register_child().")));
	}
	return linitial(names);
}

/*
 * ctc_check_same_owner
 *		Refuse to register a table whose owner differs from the owner of the
 *		tables already registered: the deletes run as that one owner.
 *		SPI must be connected (ctc_registry_begin).
 */
static void
ctc_check_same_owner(CtcCaller *c, Oid relid, const char *qualname, Oid owner)
{
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	uint64		n = ctc_registry_query(c, CTC_SQL_OTHER_TABLES, 1, argtypes, values);

	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		Oid			other = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc,
														   1, &isnull));
		HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(other));
		Form_pg_class form;

		if (!HeapTupleIsValid(tup))
			continue;			/* vanished; reported when it is used */
		form = (Form_pg_class) GETSTRUCT(tup);
		if (form->relowner != owner)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("table %s is owned by role \"%s\", but registered table %s is owned by role \"%s\"",
							qualname, GetUserNameFromId(owner, false),
							quote_qualified_identifier(get_namespace_name(form->relnamespace),
													   NameStr(form->relname)),
							GetUserNameFromId(form->relowner, false)),
					 errdetail("A cleanup deletes as the owner of the registered tables, so they must all have one owner."),
					 errhint("Run ALTER TABLE %s OWNER TO %s.", qualname,
							 quote_identifier(GetUserNameFromId(form->relowner, false)))));
		ReleaseSysCache(tup);
	}
}

/*
 * ctc_check_hierarchy
 *		Refuse (22023) to register a table whose ancestor or descendant
 *		(partitions and inheritance alike) is registered: a DELETE of a
 *		table reaches its partitions and children, so both rules would
 *		count the same rows.  SPI must be connected (ctc_registry_begin).
 */
static void
ctc_check_hierarchy(CtcCaller *c, Oid relid, const char *qualname)
{
	List	   *related = list_delete_first(find_all_inheritors(relid, AccessShareLock, NULL));
	Relation	rel = table_open(InheritsRelationId, AccessShareLock);
	Oid			child = relid;
	ListCell   *lc;

	/* the ancestors: walk pg_inherits up (a table has at most one parent
	 * once it is a partition; plain inheritance may have several) */
	for (List *todo = list_make1_oid(child); todo != NIL;)
	{
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;

		child = linitial_oid(todo);
		todo = list_delete_first(todo);
		ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(child));
		scan = systable_beginscan(rel, InheritsRelidSeqnoIndexId, true, NULL, 1, &key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Oid			parent = ((Form_pg_inherits) GETSTRUCT(tup))->inhparent;

			if (!list_member_oid(related, parent) && parent != relid)
			{
				related = lappend_oid(related, parent);
				todo = lappend_oid(todo, parent);
			}
		}
		systable_endscan(scan);
	}
	table_close(rel, AccessShareLock);

	foreach(lc, related)
	{
		Oid			other = lfirst_oid(lc);

		if (ctc_is_registered(c, other))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("table %s and registered table %s are in one inheritance or partition tree",
							qualname,
							quote_qualified_identifier(get_namespace_name(get_rel_namespace(other)),
													   get_rel_name(other))),
					 errdetail("A DELETE of a table reaches its partitions and inheritance children, so both rules would delete and count the same rows."),
					 errhint("Register only the topmost table of the tree.")));
	}
}

/*
 * ctc_check_category
 *		A category is a lower-case SQL name: one of the 13 result columns, or
 *		any other (counted in "other").
 */
static void
ctc_check_category(const char *category)
{
	bool		ok = category[0] >= 'a' && category[0] <= 'z' &&
		strlen(category) < NAMEDATALEN;

	for (const char *p = category; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid category \"%s\"", category),
				 errdetail("A category is a lower-case name of at most 63 characters: a letter, then letters, digits or underscores."),
				 errhint("Use a column name of ct_cleanup_result, or another name to count the rows in \"other\".")));
}

/*
 * ctc_require_args
 *		Refuse (22004) a NULL in any of the first nargs arguments.
 */
static void
ctc_require_args(FunctionCallInfo fcinfo, int nargs)
{
	for (int i = 0; i < nargs; i++)
	{
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of %s must not be null", i + 1,
							get_func_name(fcinfo->flinfo->fn_oid))));
	}
}

/*
 * ctc_registry_begin
 *		Common start of every function that changes the registry or the
 *		settings: check the caller, refuse NULLs, take the registry lock
 *		(see the file header), connect SPI and run as the extension owner.
 *		ctc_registry_end() undoes the last two.  These calls do not nest:
 *		inside ctc_run_as() (a security-restricted operation) they are
 *		refused by ctc_require_owner(), so one saved state suffices.
 */
void
ctc_registry_begin(FunctionCallInfo fcinfo, CtcCaller *c, int nargs)
{
	Oid			rule_relid;

	ctc_enter(fcinfo, c);
	ctc_require_owner(c);
	ctc_require_args(fcinfo, nargs);
	rule_relid = get_relname_relid("ct_cleanup_rule", c->ext_schema);
	if (!OidIsValid(rule_relid))
		elog(ERROR, "table ct_cleanup_rule of extension ct_cleanup is missing");
	LockRelationOid(rule_relid, ShareUpdateExclusiveLock);
	SPI_connect();
	ctc_run_as(&ctc_registry_as, c->ext_owner, 0);
}

void
ctc_registry_end(CtcCaller *c)
{
	ctc_run_as_end(&ctc_registry_as);
	SPI_finish();
}

/*
 * ctc_registry_exec
 *		Run one statement that changes the registry or the settings
 *		(sql_format with the schema as %1$s) and return the number of rows it
 *		processed; returned rows are in SPI_tuptable.
 */
uint64
ctc_registry_exec(CtcCaller *c, const char *sql_format, int nargs,
				  Oid *argtypes, Datum *values, const char *nulls)
{
	int			rc;

	rc = SPI_execute_with_args(psprintf(sql_format, c->schema_quoted), nargs,
							   argtypes, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "statement on the ct_cleanup registry failed: %s",
			 SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * ctc_registry_query
 *		Run one read-only registry query with the latest committed state
 *		(not the caller's snapshot, which in REPEATABLE READ may predate a
 *		change that committed while we waited for the registry lock) and
 *		return the number of rows; they are in SPI_tuptable.
 */
uint64
ctc_registry_query(CtcCaller *c, const char *sql_format, int nargs,
				   Oid *argtypes, Datum *values)
{
	SPIPlanPtr	plan;
	int			rc;

	plan = SPI_prepare(psprintf(sql_format, c->schema_quoted), nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	rc = SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "query on the ct_cleanup registry failed: %s",
			 SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * ctc_is_registered
 *		Is relid the target of a registry rule?
 */
static bool
ctc_is_registered(CtcCaller *c, Oid relid)
{
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};

	return ctc_registry_query(c, CTC_SQL_IS_REGISTERED, 1, argtypes, values) > 0;
}

/*
 * ct_cleanup_register(category text, target regclass, client_column name,
 *                     trainer_column name) RETURNS void
 * ct_cleanup_register_either(category text, target regclass, column_a name,
 *                            column_b name) RETURNS void
 *
 * Register (or re-register, replacing its rule) a table whose rows belong to
 * the pair through two uuid columns.  Extension owner or superuser only; no
 * argument may be NULL.
 */
Datum
ct_cleanup_register(PG_FUNCTION_ARGS)
{
	ctc_register_columns(fcinfo, CTC_RULE_PAIR);
	PG_RETURN_VOID();
}

Datum
ct_cleanup_register_either(PG_FUNCTION_ARGS)
{
	ctc_register_columns(fcinfo, CTC_RULE_EITHER);
	PG_RETURN_VOID();
}

/*
 * ctc_register_columns
 *		The body of ct_cleanup_register and ct_cleanup_register_either.
 */
static void
ctc_register_columns(FunctionCallInfo fcinfo, CtcRuleKind kind)
{
	CtcCaller	c;
	char	   *category;
	Oid			relid;
	char	   *column_a;
	char	   *column_b;
	char	   *qualname;
	Oid			owner;
	Oid			argtypes[5] = {REGCLASSOID, TEXTOID, TEXTOID, NAMEOID, NAMEOID};
	Datum		values[5];

	ctc_registry_begin(fcinfo, &c, 4);
	category = text_to_cstring(PG_GETARG_TEXT_PP(0));
	relid = PG_GETARG_OID(1);
	column_a = NameStr(*PG_GETARG_NAME(2));
	column_b = NameStr(*PG_GETARG_NAME(3));

	ctc_check_category(category);
	ctc_check_table(relid, ShareUpdateExclusiveLock, false, category,
					&qualname, &owner);
	ctc_check_column(relid, qualname, column_a);
	ctc_check_column(relid, qualname, column_b);
	if (strcmp(column_a, column_b) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("both columns of table %s are \"%s\"", qualname, column_a),
				 errdetail("The client and the trainer must be matched against two different columns.")));
	ctc_check_same_owner(&c, relid, qualname, owner);
	ctc_check_hierarchy(&c, relid, qualname);

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(category);
	values[2] = CStringGetTextDatum(kind == CTC_RULE_PAIR ? "pair" : "either");
	values[3] = PG_GETARG_DATUM(2);
	values[4] = PG_GETARG_DATUM(3);
	ctc_registry_exec(&c, ctc_multi_rule(&c) ? CTC_SQL_UPSERT_COLUMNS :
					  CTC_SQL_UPSERT_COLUMNS_11, 5, argtypes, values, NULL);
	ctc_notice_rules(&c, relid, qualname);
	ctc_registry_end(&c);
}

/*
 * ctc_multi_rule
 *		Does the installed version keep several rules per table (1.2 and
 *		later: the registry has the unique index of the 1.2 upsert)?  The
 *		library serves every installed version.
 */
static bool
ctc_multi_rule(CtcCaller *c)
{
	return OidIsValid(get_relname_relid("ct_cleanup_rule_columns_key", c->ext_schema));
}

/*
 * ctc_notice_rules
 *		After a registration (whose INSERT ... RETURNING id, inserted is in
 *		SPI_tuptable): a NOTICE listing the table's rules when it now has
 *		several, or when the registration replaced a rule.
 */
static void
ctc_notice_rules(CtcCaller *c, Oid relid, const char *qualname)
{
	bool		isnull;
	bool		inserted = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 2, &isnull));
	int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 1, &isnull));
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	uint64		n;
	StringInfoData list;

	if (!ctc_multi_rule(c))
		return;					/* before 1.2: one rule per table, replaced */
	n = ctc_registry_exec(c, CTC_SQL_TABLE_RULES, 1, (Oid[]) {REGCLASSOID}, values, NULL);
	if (inserted && n < 2)
		return;
	initStringInfo(&list);
	for (uint64 i = 0; i < n; i++)
		appendStringInfo(&list, "%s%s", i > 0 ? "; " : "",
						 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	if (inserted)
		ereport(NOTICE,
				(errmsg("table %s now has %d rules", qualname, (int) n),
				 errdetail("Rule #" INT64_FORMAT " was added; a row is the pair's when any rule matches it. Rules: %s.",
						   id, list.data),
				 errhint("To start over, remove them all with SELECT ct_cleanup_unregister(%s);",
						 quote_literal_cstr(qualname))));
	else
		ereport(NOTICE,
				(errmsg("rule #" INT64_FORMAT " of table %s was replaced", id, qualname),
				 errdetail("It keeps its columns and takes the new category. Rules of %s: %s.",
						   qualname, list.data)));
}

/*
 * ct_cleanup_register_child(category text, target regclass, parent regclass,
 *                           fk name DEFAULT NULL) RETURNS void
 *
 * Register (or re-register) a table whose rows reference, through a declared
 * foreign key, rows of the registered table parent that the same cleanup
 * deletes.  fk names the constraint; it may be NULL when there is exactly
 * one.  Refuses a parent that is not registered and a rule that would close
 * a cycle.  Extension owner or superuser only.
 */
Datum
ct_cleanup_register_child(PG_FUNCTION_ARGS)
{
	CtcCaller	c;
	char	   *category;
	Oid			relid;
	Oid			parent;
	char	   *qualname;
	char	   *parent_name;
	char	   *fk;
	Oid			owner;
	Oid			parent_owner;
	Oid			argtypes[4] = {REGCLASSOID, TEXTOID, REGCLASSOID, NAMEOID};
	Datum		values[4];

	ctc_registry_begin(fcinfo, &c, 3);
	category = text_to_cstring(PG_GETARG_TEXT_PP(0));
	relid = PG_GETARG_OID(1);
	parent = PG_GETARG_OID(2);

	ctc_check_category(category);
	ctc_check_table(relid, ShareUpdateExclusiveLock, false, category,
					&qualname, &owner);
	ctc_check_table(parent, AccessShareLock, false, category,
					&parent_name, &parent_owner);

	if (relid == parent)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table %s cannot be registered as a child of itself", qualname),
				 errdetail("Registered rules must not form a cycle.")));
	if (!ctc_is_registered(&c, parent))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parent table %s is not registered", parent_name),
				 errhint("Register %s first.", parent_name)));
	values[0] = ObjectIdGetDatum(parent);
	values[1] = ObjectIdGetDatum(relid);
	if (ctc_registry_query(&c, CTC_SQL_ANCESTORS, 2, (Oid[]) {REGCLASSOID, REGCLASSOID},
						   values) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("registering table %s as a child of %s would create a cycle",
						qualname, parent_name),
				 errdetail("Table %s is already registered as an ancestor of %s.",
						   qualname, parent_name)));

	fk = ctc_find_fk(relid, qualname, parent, parent_name,
					 PG_ARGISNULL(3) ? NULL : NameStr(*PG_GETARG_NAME(3)));
	ctc_check_same_owner(&c, relid, qualname, owner);
	ctc_check_hierarchy(&c, relid, qualname);

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(category);
	values[2] = ObjectIdGetDatum(parent);
	values[3] = DirectFunctionCall1(namein, CStringGetDatum(fk));
	ctc_registry_exec(&c, ctc_multi_rule(&c) ? CTC_SQL_UPSERT_CHILD :
					  CTC_SQL_UPSERT_CHILD_11, 4, argtypes, values, NULL);
	ctc_notice_rules(&c, relid, qualname);
	ctc_registry_end(&c);
	PG_RETURN_VOID();
}

/*
 * ct_cleanup_unregister(target regclass) RETURNS void
 *
 * Remove every rule of a table.  Refuses a table that is not registered, and one
 * that registered children still reference (naming them).  Works for a
 * dropped table too, given its OID.  Extension owner or superuser only.
 */
Datum
ct_cleanup_unregister(PG_FUNCTION_ARGS)
{
	CtcCaller	c;
	Oid			relid;
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		values[1];
	uint64		nchildren;
	char	   *name;

	ctc_registry_begin(fcinfo, &c, 1);
	relid = PG_GETARG_OID(0);
	values[0] = ObjectIdGetDatum(relid);
	name = DatumGetCString(DirectFunctionCall1(regclassout, values[0]));

	if (!ctc_is_registered(&c, relid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table %s is not registered", name)));

	nchildren = ctc_registry_query(&c, CTC_SQL_CHILDREN, 1, argtypes, values);
	if (nchildren > 0)
	{
		StringInfoData list;

		initStringInfo(&list);
		for (uint64 i = 0; i < nchildren; i++)
			appendStringInfo(&list, "%s%s", i > 0 ? ", " : "",
							 SPI_getvalue(SPI_tuptable->vals[i],
										  SPI_tuptable->tupdesc, 1));
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot unregister table %s because registered tables depend on it",
						name),
				 errdetail("Registered children of %s: %s.", name, list.data),
				 errhint("Unregister the children first.")));
	}

	ctc_registry_exec(&c, CTC_SQL_UNREGISTER, 1, argtypes, values, NULL);
	ctc_registry_end(&c);
	PG_RETURN_VOID();
}

/*
 * ctc_load_aliases
 *		Every alias source (ct_cleanup_alias), read as the extension owner
 *		from the latest committed state; ctc_resolve_aliases() checks them.
 */
CtcAlias *
ctc_load_aliases(CtcCaller *c, int *naliases)
{
	CtcAlias   *aliases;
	SPIPlanPtr	plan;
	CtcRunAs	as;
	int			rc;

	/* versions before 1.2 have no aliases */
	if (!OidIsValid(get_relname_relid("ct_cleanup_alias", c->ext_schema)))
	{
		*naliases = 0;
		return palloc(sizeof(CtcAlias));
	}
	ctc_run_as(&as, c->ext_owner, 0);
	SPI_connect();
	plan = ctc_fixed_plan(psprintf(CTC_SQL_ALIASES, c->schema_quoted), 0, NULL);
	rc = SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the ct_cleanup aliases failed: %s",
			 SPI_result_code_string(rc));
	*naliases = (int) SPI_processed;
	aliases = SPI_palloc(sizeof(CtcAlias) * Max(*naliases, 1));
	for (int i = 0; i < *naliases; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		memset(&aliases[i], 0, sizeof(CtcAlias));
		aliases[i].trainer = strcmp(SPI_getvalue(tup, desc, 1), "trainer") == 0;
		aliases[i].relid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		aliases[i].alias_column = ctc_spi_strdup(SPI_getvalue(tup, desc, 3));
		aliases[i].person_column = ctc_spi_strdup(SPI_getvalue(tup, desc, 4));
	}
	SPI_finish();
	ctc_run_as_end(&as);
	return aliases;
}

/*
 * ctc_resolve_aliases
 *		Lock every alias source (AccessShareLock) and check it against the
 *		catalogs as at registration; fill in name, owner and query.
 */
void
ctc_resolve_aliases(CtcAlias *aliases, int naliases)
{
	for (int i = 0; i < naliases; i++)
	{
		CtcAlias   *a = &aliases[i];

		ctc_check_alias_source(a->relid, AccessShareLock, &a->qualname, &a->owner);
		ctc_check_column(a->relid, a->qualname, a->alias_column);
		ctc_check_column(a->relid, a->qualname, a->person_column);
		a->sql = ctc_build_alias_query(a);
		a->person_sql = ctc_build_person_query(a);
	}
}

/*
 * ctc_check_alias_source
 *		Lock relid and check that it can hold aliases: a permanent table,
 *		partitioned table, view or materialized view of the application.
 */
static void
ctc_check_alias_source(Oid relid, LOCKMODE lockmode, char **qualname, Oid *owner)
{
	HeapTuple	tup;
	Form_pg_class form;

	LockRelationOid(relid, lockmode);
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("alias source with OID %u no longer exists", relid),
				 errhint("Remove it with SELECT ct_cleanup_unregister_alias(kind, %u) for its kind (see ct_cleanup_aliases).",
						 relid)));
	form = (Form_pg_class) GETSTRUCT(tup);
	*qualname = quote_qualified_identifier(get_namespace_name(form->relnamespace),
										   NameStr(form->relname));
	*owner = form->relowner;
	if (form->relkind != RELKIND_RELATION && form->relkind != RELKIND_PARTITIONED_TABLE &&
		form->relkind != RELKIND_VIEW && form->relkind != RELKIND_MATVIEW)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not a table or view", *qualname),
				 errdetail("Aliases are read from a table, partitioned table, view or materialized view.")));
	if (IsSystemClass(relid, form) || form->relpersistence == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be an alias source", *qualname),
				 errdetail("System catalogs and temporary relations cannot hold aliases.")));
	ReleaseSysCache(tup);
}

/*
 * ctc_alias_kind
 *		The kind argument of the alias functions: "client" or "trainer".
 */
static const char *
ctc_alias_kind(FunctionCallInfo fcinfo)
{
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (strcmp(kind, "client") != 0 && strcmp(kind, "trainer") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid alias kind \"%s\"", kind),
				 errhint("The kind is \"client\" or \"trainer\": whose second ids the source holds.")));
	return kind;
}

/*
 * ct_cleanup_register_alias(kind text, source regclass, alias_column name,
 *                           person_column name) RETURNS void
 *
 * Register (or re-register) an alias source: the values of alias_column in
 * the rows of source whose person_column holds a client's (kind client) or
 * trainer's own id are that person's ids too, which every rule then matches.
 * Both columns are uuid.  Extension owner or superuser only.
 */
Datum
ct_cleanup_register_alias(PG_FUNCTION_ARGS)
{
	CtcCaller	c;
	const char *kind;
	Oid			relid;
	char	   *alias_column;
	char	   *person_column;
	char	   *qualname;
	Oid			owner;
	Oid			argtypes[4] = {TEXTOID, REGCLASSOID, NAMEOID, NAMEOID};
	Datum		values[4];

	ctc_registry_begin(fcinfo, &c, 4);
	kind = ctc_alias_kind(fcinfo);
	relid = PG_GETARG_OID(1);
	alias_column = NameStr(*PG_GETARG_NAME(2));
	person_column = NameStr(*PG_GETARG_NAME(3));

	ctc_check_alias_source(relid, AccessShareLock, &qualname, &owner);
	ctc_check_column(relid, qualname, alias_column);
	ctc_check_column(relid, qualname, person_column);
	if (strcmp(alias_column, person_column) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("both columns of alias source %s are \"%s\"", qualname, alias_column),
				 errdetail("The second id and the person's own id are two different columns.")));

	values[0] = CStringGetTextDatum(kind);
	values[1] = ObjectIdGetDatum(relid);
	values[2] = PG_GETARG_DATUM(2);
	values[3] = PG_GETARG_DATUM(3);
	ctc_registry_exec(&c, CTC_SQL_UPSERT_ALIAS, 4, argtypes, values, NULL);
	ctc_registry_end(&c);
	PG_RETURN_VOID();
}

/*
 * ct_cleanup_unregister_alias(kind text, source regclass) RETURNS void
 *
 * Remove an alias source.  Works for a dropped relation too, given its OID.
 * Extension owner or superuser only.
 */
Datum
ct_cleanup_unregister_alias(PG_FUNCTION_ARGS)
{
	CtcCaller	c;
	const char *kind;
	Oid			argtypes[2] = {TEXTOID, REGCLASSOID};
	Datum		values[2];

	ctc_registry_begin(fcinfo, &c, 2);
	kind = ctc_alias_kind(fcinfo);
	values[0] = CStringGetTextDatum(kind);
	values[1] = PG_GETARG_DATUM(1);
	if (ctc_registry_exec(&c, CTC_SQL_UNREGISTER_ALIAS, 2, argtypes, values, NULL) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not a %s alias source",
						DatumGetCString(DirectFunctionCall1(regclassout, values[1])), kind),
				 errhint("SELECT * FROM ct_cleanup_aliases lists them.")));
	ctc_registry_end(&c);
	PG_RETURN_VOID();
}
