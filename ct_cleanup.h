/*-------------------------------------------------------------------------
 *
 * ct_cleanup.h
 *		Declarations shared by the source files of the ct_cleanup extension.
 *
 * The files form five layers; each includes only what the layers below it
 * declare:
 *
 *	1. catalog access and rights
 *	   ct_access.c     who is calling, the extension owner, running code as
 *	                   another role (security-restricted, with a GUC nest
 *	                   level), the kept plans of fixed statements
 *	   ct_message.c    logical decoding messages (receipts, refused calls)
 *	                   and the JSON they hold
 *	2. registry and settings
 *	   ct_registry.c   the registration functions, loading the registry
 *	                   (latest committed state) and checking it against the
 *	                   catalogs, the order of deletion, deferred triggers
 *	   ct_settings.c   ct_cleanup_set(), reading the settings, the admin
 *	                   check, actor_id and the people relations
 *	   ct_statement.c  the SQL text of the per-table statements
 *	3. the per-backend cache
 *	   ct_cache.c      the resolved registry with its own plans, and the
 *	                   settings, dropped by invalidation
 *	4. the engine
 *	   ct_engine.c     pair locks, guard rails, the deletes and counts of
 *	                   one or many pairs, retries
 *	   ct_audit.c      the counts summary, the audit rows and receipts
 *	   ct_fingerprint.c the digest of the rows a call counted or deleted,
 *	                   and the check of a cleanup against its preview
 *	5. SQL entry points
 *	   ct_cleanup.c    _PG_init, ct_cleanup, ct_cleanup_preview,
 *	                   ct_cleanup_is_admin
 *	   ct_many.c       ct_cleanup_many, ct_cleanup_preview_many
 *	   ct_people.c     ct_cleanup_people
 *	   ct_operations.c ct_cleanup_check, ct_cleanup_suggest, the drift guard
 *	   ct_explain.c    ct_cleanup_explain
 *	   ct_replay.c     ct_cleanup_replay
 *
 * IDENTIFICATION
 *		ct_cleanup.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_CLEANUP_H
#define CT_CLEANUP_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "storage/itemptr.h"
#include "storage/lockdefs.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/snapshot.h"
#include "utils/uuid.h"

/* Result categories: the 13 named ones, then "other". */
#define CTC_NUM_CATEGORIES	14
#define CTC_CATEGORY_OTHER	(CTC_NUM_CATEGORIES - 1)

/*
 * Columns of ct_cleanup_result: the pair, the categories, total, details,
 * audit_id, and since 1.2 fingerprint (CTC_RESULT_NATTS counts them all; an
 * install of 1.0 or 1.1 has one fewer).
 */
#define CTC_RESULT_NATTS	(2 + CTC_NUM_CATEGORIES + 4)

/* SQLSTATE of a cleanup whose rows are not those its preview counted. */
#define CTC_ERRCODE_PREVIEW_MISMATCH	MAKE_SQLSTATE('U','C','0','0','1')

#define CTC_DEFAULT_ADMIN_ROLE	"ct_cleanup_admin"


/* ---------------------------------------------------------------------
 * Layer 1: ct_access.c
 * ---------------------------------------------------------------------
 */

/* Who called, and where the extension lives; filled by ctc_enter(). */
typedef struct CtcCaller
{
	Oid			fn_oid;			/* the SQL function being executed */
	const char *fn_name;		/* its name, for messages */
	Oid			caller;			/* GetUserId() at entry */
	Oid			session_user;	/* GetSessionUserId() at entry */
	Oid			ext_owner;
	Oid			ext_schema;
	const char *schema_quoted;	/* quote_identifier() of ext_schema */
} CtcCaller;

/* What ctc_run_as() changed, for ctc_run_as_end() to undo. */
typedef struct CtcRunAs
{
	Oid			save_userid;
	int			save_sec_context;
	int			guc_level;
} CtcRunAs;

extern void ctc_access_init(void);
extern void ctc_enter(FunctionCallInfo fcinfo, CtcCaller *c);
extern void ctc_run_as(CtcRunAs *state, Oid role, int extra_flags);
extern void ctc_run_as_end(CtcRunAs *state);
extern void ctc_require_owner(CtcCaller *c);
extern SPIPlanPtr ctc_fixed_plan(const char *sql, int nargs, Oid *argtypes);
extern SPIPlanPtr ctc_prepare(const char *sql, int nargs, Oid *argtypes,
							  int cursor_options);
extern char *ctc_spi_strdup(const char *value);
extern char *ctc_uuid_text(Datum value);

/* ct_message.c */
extern void ctc_require_logical(bool at_set);
extern void ctc_emit_message(const char *prefix, StringInfo buf, bool transactional);
extern void ctc_json_begin(StringInfo buf);
extern void ctc_json_end(StringInfo buf);
extern void ctc_json_text(StringInfo buf, const char *key, const char *value);
extern void ctc_json_int(StringInfo buf, const char *key, int64 value);
extern void ctc_json_bool(StringInfo buf, const char *key, bool value);
extern void ctc_json_raw(StringInfo buf, const char *key, const char *json);
extern void ctc_json_uuid(StringInfo buf, const char *key, Datum value);
extern void ctc_json_time(StringInfo buf, const char *key, TimestampTz value);


/* ---------------------------------------------------------------------
 * Layer 2: ct_registry.c, ct_settings.c, ct_statement.c
 * ---------------------------------------------------------------------
 */

extern const char *const ctc_category_names[CTC_NUM_CATEGORIES];

/* How a rule finds the pair's rows. */
typedef enum CtcRuleKind
{
	CTC_RULE_PAIR,				/* column_a = client AND column_b = trainer */
	CTC_RULE_EITHER,			/* the two columns hold the pair in either order */
	CTC_RULE_CHILD				/* rows referencing deleted rows of the parent */
} CtcRuleKind;

/*
 * One path of the resolved registry.  A registry rule of kind pair or either
 * is one path; a child rule is one path per path of its parent table (a
 * table may have several rules), so that every path is a chain of joins from
 * its table up to one pair or either rule.  A table's paths keep processing
 * order but need not be adjacent (its rules may sit at different depths);
 * "first" is the index of its first path, which speaks for the table
 * (statistics, details, its counting statement), and ctc_delete_order()
 * deletes all of a table's paths together.
 */
typedef struct CtcRule
{
	/* from the registry */
	int64		rule_id;		/* ct_cleanup_rule.id */
	int			position;		/* in ct_cleanup_rules, from 1 */
	char	   *category;
	Oid			relid;
	CtcRuleKind kind;
	char	   *column_a;
	char	   *column_b;
	Oid			parent_relid;
	char	   *fk_name;

	/* resolved against the catalogs by ctc_resolve_rules() */
	int			category_index; /* into ctc_category_names */
	int			parent;			/* index of the parent rule, -1 if none */
	int			root;			/* index of the pair or either rule above */
	Oid			owner;
	char	   *qualname;		/* quoted schema.table */
	int			nkeys;			/* child rules: foreign key columns */
	char	  **fk_columns;		/* quoted, in this table */
	char	  **ref_columns;	/* quoted, in the parent table */
	char	  **eq_operators;	/* "OPERATOR(schema.=)" comparing ref to fk */
	int			nleaves;		/* tables whose transaction statistics are */
	Oid		   *leaves;			/* read (ctc_find_leaves): its partitions */
	bool		cascades;		/* some leaf has an ON DELETE CASCADE key */
	int			first;			/* index of the table's first path */
	int			npaths;			/* paths of the table (on the first only) */
} CtcRule;

/* A registered alias source: second ids of clients or trainers. */
typedef struct CtcAlias
{
	bool		trainer;		/* kind: trainer (else client) */
	Oid			relid;
	char	   *alias_column;
	char	   *person_column;
	char	   *qualname;		/* resolved: quoted schema.relation */
	Oid			owner;			/* read as this role */
	char	   *sql;			/* (person, alias) rows for ids $1 uuid[] */
	char	   *person_sql;		/* which of ids $1 uuid[] are persons here */
} CtcAlias;

/* The settings, as stored (text); NULL when not set. */
typedef struct CtcSettings
{
	char	   *admin_role;		/* never NULL: defaults to ct_cleanup_admin */
	char	   *admin_check;
	char	   *actor_id;
	char	   *clients;
	char	   *trainers;
	char	   *receipts;		/* "on" or "off" (1.2) */
} CtcSettings;

#define ctc_receipts_on(settings) \
	((settings)->receipts != NULL && strcmp((settings)->receipts, "on") == 0)

/* A foreign key into a registered table that no rule follows. */
typedef struct CtcBlocker
{
	Oid			conoid;
	char	   *conname;
	Oid			relid;			/* referencing table */
	char	   *qualname;
	Oid			owner;			/* of the referencing table */
	int			parent;			/* first path of the referenced table */
	char		action;			/* confdeltype */
	bool		registered;		/* is the referencing table registered */
	const char *category;		/* of its first rule, else "other" */
	char	   *sql[2];			/* count of referencing rows not the pair's: */
								/* [0] for one pair ($1, $2 uuid), [1] many */
} CtcBlocker;

/* ct_registry.c */
extern CtcRule *ctc_load_rules(CtcCaller *c, int *nrules);
extern CtcRule *ctc_resolve_rules(CtcRule *rules, int nrules, LOCKMODE lockmode,
								  Oid *owner, int *npaths);
extern CtcAlias *ctc_load_aliases(CtcCaller *c, int *naliases);
extern void ctc_resolve_aliases(CtcAlias *aliases, int naliases);
extern char *ctc_describe_rule(const CtcRule *rules, int self);
extern int	ctc_category_index(const char *category);
extern int *ctc_delete_order(const CtcRule *rules, int nrules);
extern Oid *ctc_check_deferred(const CtcRule *rules, int nrules, int *nwatched,
							   bool *cross);
extern int	ctc_rule_of_relation(const CtcRule *rules, int nrules, Oid relid);
extern bool ctc_key_followed(const CtcRule *rules, int nrules, int table,
							 Oid parent_relid, const char *conname);
extern CtcBlocker *ctc_find_blockers(const CtcRule *rules, int nrules,
									 int *nblockers);
extern char *ctc_root_constraint_name(Oid relid, const char *conname);
extern void ctc_registry_begin(FunctionCallInfo fcinfo, CtcCaller *c, int nargs);
extern void ctc_registry_end(CtcCaller *c);
extern uint64 ctc_registry_exec(CtcCaller *c, const char *sql_format, int nargs,
								Oid *argtypes, Datum *values, const char *nulls);
extern uint64 ctc_registry_query(CtcCaller *c, const char *sql_format, int nargs,
								 Oid *argtypes, Datum *values);

/* ct_settings.c */
extern void ctc_read_settings(CtcCaller *c, CtcSettings *settings);
extern Oid	ctc_resolve_function(const char *setting, const char *value,
								 Oid rettype, bool at_set, Oid ext_owner);
extern Oid	ctc_resolve_relation(const char *setting, const char *value,
								 bool at_set, LOCKMODE lockmode, Oid *owner);
extern bool ctc_caller_is_admin(CtcCaller *c, const CtcSettings *settings);
extern void ctc_require_admin(CtcCaller *c, const CtcSettings *settings,
							  FunctionCallInfo fcinfo, Oid argtype);
extern char *ctc_actor_id(CtcCaller *c, const CtcSettings *settings);
extern const char *ctc_people_relation(CtcCaller *c, const CtcSettings *settings,
									   const char *kind, bool required,
									   char **qualname, Oid *owner);
extern void ctc_check_people(CtcCaller *c, const CtcSettings *settings,
							 const char *kind, Datum *ids, int n);
extern char *ctc_find_people(CtcCaller *c, const CtcSettings *settings,
							 const char *kind, Datum *ids, int n);

/*
 * ct_statement.c: the one-pair statements take $1, $2 uuid; the many-pair
 * statements $1 uuid[] clients, $2 uuid[] trainers, $3 int8[] positions.
 */
extern char *ctc_build_delete(const CtcRule *rules, int self, bool per_pair,
							  bool ids);
extern char *ctc_build_count(const CtcRule *rules, int nrules, int self,
							 bool per_pair, bool ids);
extern char *ctc_build_statement(const CtcRule *rules, int nrules, bool ids);
extern char *ctc_build_alias_query(const CtcAlias *alias);
extern char *ctc_build_person_query(const CtcAlias *alias);

extern char *ctc_build_blocker_count(const CtcRule *rules, int nrules,
									 const CtcBlocker *blocker, int nkeys,
									 char **fk_columns, char **ref_columns,
									 char **eq_operators, bool many);


/* ---------------------------------------------------------------------
 * Layer 3: ct_cache.c
 * ---------------------------------------------------------------------
 */

/* Statements of one rule, in the slots of CtcRegistry.plans. */
typedef enum CtcStatement
{
	CTC_DELETE_ONE,				/* DELETE for one pair: SPI_processed rows */
	CTC_DELETE_MANY,			/* DELETE counting per pair: (i, n) rows */
	CTC_COUNT_ONE,				/* SELECT count(*) for one pair */
	CTC_COUNT_MANY,				/* SELECT i, count(*) per pair */
	CTC_DELETE_SMALL,			/* CTC_DELETE_MANY with a generic plan, */
	CTC_COUNT_SMALL,			/* and CTC_COUNT_MANY, for one pair's aliases */
	CTC_NUM_STATEMENTS
} CtcStatement;

/* The resolved registry and its statements, which own their plans. */
typedef struct CtcRegistry
{
	int			nrules;			/* paths, in fact (see CtcRule) */
	CtcRule    *rules;			/* in processing order */
	int			nregistered;	/* rules of ct_cleanup_rule */
	bool		multi_path;		/* some table has several paths */
	int			naliases;
	CtcAlias   *aliases;
	SPIPlanPtr *alias_plans;	/* [2 * alias]: aliases, [2 * alias + 1]: persons */
	bool		has_explain;	/* the installed version has ct_cleanup_explain */
	bool		has_fingerprint;	/* ... fingerprints (1.2): statements */
									/* return row identities (CtcRowId) */
	bool		custom_plans;	/* Citus is installed: plan with the values */
	int			nblockers;		/* keys into registered tables no rule follows */
	CtcBlocker *blockers;
	SPIPlanPtr *blocker_plans;
	Oid			owner;			/* of all registered tables */
	int		   *delete_order;	/* children first, or NULL: use cycle_sql */
	bool		cross_cascades; /* batches run one pair at a time */
	char	  **sql;			/* [rule * CTC_NUM_STATEMENTS + statement] */
	char	   *cycle_sql;		/* one statement of CTEs, for a cycle */
	int			nwatched;		/* tables whose changes drop the registry */
	Oid		   *watched;
	SPIPlanPtr *plans;			/* prepared on first use, freed with it */
	SPIPlanPtr	cycle_plan;
} CtcRegistry;

extern void ctc_cache_init(void);
extern const CtcRegistry *ctc_get_registry(CtcCaller *c, LOCKMODE lockmode);
extern const CtcSettings *ctc_get_settings(CtcCaller *c);
extern SPIPlanPtr ctc_registry_plan(const CtcRegistry *reg, int rule,
									CtcStatement statement);
extern SPIPlanPtr ctc_registry_cycle_plan(const CtcRegistry *reg);
extern SPIPlanPtr ctc_alias_plan(const CtcRegistry *reg, int alias, bool persons);
extern SPIPlanPtr ctc_blocker_plan(const CtcRegistry *reg, int blocker, bool many);


/* ---------------------------------------------------------------------
 * Layer 4: ct_engine.c, ct_audit.c
 * ---------------------------------------------------------------------
 */

/* The pairs of one call, distinct, in the order given. */
typedef struct CtcPairs
{
	int			n;
	Datum	   *clients;		/* uuid */
	Datum	   *trainers;
} CtcPairs;

/*
 * The pairs with their aliases (ctc_expand_pairs): every combination of a
 * client id and a trainer id of pair positions[k] (from 1), each (client,
 * trainer) once, at its first position.  Without aliases, the pairs.
 */
typedef struct CtcExpanded
{
	int			n;
	Datum	   *clients;
	Datum	   *trainers;
	Datum	   *positions;		/* int8 */
	bool		aliased;		/* some pair has a second id */
} CtcExpanded;

/* Counts of one cleanup or preview, summed and formatted for output. */
typedef struct CtcOutcome
{
	int64		category_counts[CTC_NUM_CATEGORIES];
	int64		total;
	Datum		counts;			/* jsonb {"messages": n, ...}, all 14 categories */
	Datum		details;		/* jsonb {"schema.table": n, ...}, every rule */
	char	   *fingerprint;	/* NULL when not computed (1.0, 1.1) */
} CtcOutcome;

/*
 * One row a statement counted or deleted: its pair (position, from 1), its
 * table (index of the table's first path), and which row version it was.
 */
typedef struct CtcRowId
{
	int32		pos;
	int32		table;
	Oid			tableoid;		/* the partition, for a partitioned table */
	BlockNumber block;
	OffsetNumber offset;
	TransactionId xmin;
} CtcRowId;

/* The rows of one call, in a memory context that outlives SPI. */
typedef struct CtcRowIds
{
	MemoryContext cxt;
	int64		n;
	int64		max;
	CtcRowId   *rows;
} CtcRowIds;

/* ct_engine.c */
extern void ctc_engine_init(void);
extern const CtcSettings *ctc_begin_pair(FunctionCallInfo fcinfo, CtcCaller *c,
										Datum *ids);
extern void ctc_check_distinct(Datum client, Datum trainer);
extern void ctc_check_max_rows(CtcCaller *c, const CtcPairs *pairs, int64 total);
extern const CtcRegistry *ctc_run_pairs(CtcCaller *c, const CtcPairs *pairs,
										bool preview, int64 **counts,
										CtcRowIds *ids);
extern const CtcRegistry *ctc_explain_pairs(CtcCaller *c, const CtcPairs *pairs,
											int64 **counts, int64 **blocker_rows);
extern void ctc_expand_pairs(CtcCaller *c, const CtcRegistry *reg,
							 const CtcPairs *pairs, CtcExpanded *exp);
extern void ctc_pair_args(const CtcRegistry *reg, const CtcExpanded *exp,
						  bool one_statement, Datum *args);
extern void ctc_count_blockers(const CtcRegistry *reg, const CtcExpanded *exp,
							   Snapshot snapshot, const bool *want, int64 *rows);
extern void ctc_warn_blockers(const CtcRegistry *reg, const CtcExpanded *exp);
extern void ctc_notice_no_match(const CtcSettings *settings, Datum client,
								Datum trainer, int64 total);

/* ct_audit.c */
extern void ctc_summarize(const CtcRule *rules, int nrules, const int64 *counts,
						  CtcOutcome *outcome);
extern void ctc_write_audit(CtcCaller *c, const CtcPairs *pairs, const Datum *reasons,
							const bool *reason_nulls, const char *actor,
							const CtcOutcome *outcomes, int64 *ids, TimestampTz *at);
extern void ctc_emit_receipts(CtcCaller *c, const CtcPairs *pairs,
							  const Datum *reasons, const bool *reason_nulls,
							  const char *actor, const CtcOutcome *outcomes,
							  const int64 *ids, const TimestampTz *at);
extern void ctc_result_values(const CtcOutcome *outcome, Datum client,
							  Datum trainer, int64 audit_id, bool audit_null,
							  Datum *values, bool *nulls);
extern void ctc_check_result_type(TupleDesc tupdesc);
extern void ctc_put_results(ReturnSetInfo *rsinfo, const CtcPairs *pairs,
							const CtcOutcome *outcomes, const int64 *audit_ids,
							bool audit_null);
extern const CtcRegistry *ctc_clean_pairs(CtcCaller *c, const CtcSettings *settings,
										  const CtcPairs *pairs, bool preview,
										  const Datum *reasons, const bool *reason_nulls,
										  char **given, CtcOutcome **outcomes,
										  int64 **audit_ids);

/* ct_fingerprint.c */
extern void ctc_row_ids_init(CtcRowIds *ids);
extern void ctc_row_ids_add(CtcRowIds *ids, int32 pos, int32 table, Oid tableoid,
							ItemPointer ctid, TransactionId xmin);
extern void ctc_recover_rows(CtcRowIds *ids, int64 first_row, CtcRowIds *pre);
extern void ctc_fingerprints(const CtcRegistry *reg, const CtcPairs *pairs,
							 const int64 *counts, CtcRowIds *ids,
							 CtcOutcome *outcomes);
extern void ctc_check_fingerprint_text(const char *fingerprint, int pair);
extern void ctc_check_fingerprints(const CtcRegistry *reg, const CtcPairs *pairs,
								   char **given, const CtcOutcome *outcomes);

#endif							/* CT_CLEANUP_H */
