/*-------------------------------------------------------------------------
 *
 * ct_cleanup.h
 *		Declarations shared by the source files of the ct_cleanup extension.
 *
 * ct_cleanup.c    SQL entry points of the cleanup and preview, the retry
 *                 loop and the result row
 * ct_access.c     who is calling, admin and owner checks, rights switching,
 *                 the pair lock and the per-backend statement cache
 * ct_many.c       the batch entry points, ct_cleanup_many and
 *                 ct_cleanup_preview_many
 * ct_registry.c   registration functions, loading and checking the registry
 *                 against the catalogs, and the order of deletion
 * ct_settings.c   ct_cleanup_set(), and the functions and relations settings
 *                 name: resolving, checking and calling them
 * ct_people.c     ct_cleanup_people() and the existence checks of ids
 * ct_statement.c  the SQL a cleanup or preview runs: per-table DELETEs, the
 *                 statement of CTEs and its batch form
 * ct_cache.c      per-backend cache of the resolved registry and settings
 * ct_audit.c      the counts summary and the audit rows
 * ct_operations.c ct_cleanup_check(), ct_cleanup_suggest() and the drift
 *                 guard (version 1.1)
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
#include "utils/uuid.h"

/* Result categories: the 13 named ones, then "other". */
#define CTC_NUM_CATEGORIES	14
#define CTC_CATEGORY_OTHER	(CTC_NUM_CATEGORIES - 1)

/* Columns of ct_cleanup_result: the pair, the categories, total, details, audit_id. */
#define CTC_RESULT_NATTS	(2 + CTC_NUM_CATEGORIES + 3)

extern const char *const ctc_category_names[CTC_NUM_CATEGORIES];

/* How a rule finds the pair's rows. */
typedef enum CtcRuleKind
{
	CTC_RULE_PAIR,				/* column_a = client AND column_b = trainer */
	CTC_RULE_EITHER,			/* the two columns hold the pair in either order */
	CTC_RULE_CHILD				/* rows referencing deleted rows of the parent */
} CtcRuleKind;

/* One registered table, as loaded from the registry and resolved. */
typedef struct CtcRule
{
	/* from the registry */
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
	Oid			owner;
	char	   *qualname;		/* quoted schema.table */
	int			nkeys;			/* child rules: foreign key columns */
	char	  **fk_columns;		/* quoted, in this table */
	char	  **ref_columns;	/* quoted, in the parent table */
	char	  **eq_operators;	/* "OPERATOR(schema.=)" comparing ref to fk */
	int			nleaves;		/* tables whose transaction statistics are */
	Oid		   *leaves;			/* read (ctc_find_leaves), maybe none */
} CtcRule;

/* The settings, as stored (text); NULL when not set. */
typedef struct CtcSettings
{
	char	   *admin_role;		/* never NULL: defaults to ct_cleanup_admin */
	char	   *admin_check;
	char	   *actor_id;
	char	   *clients;
	char	   *trainers;
} CtcSettings;

#define CTC_DEFAULT_ADMIN_ROLE	"ct_cleanup_admin"

/* Who called, and where the extension lives; filled by ctc_enter(). */
typedef struct CtcCaller
{
	Oid			fn_oid;			/* the SQL function being executed */
	const char *fn_name;		/* its name, for messages */
	Oid			caller;			/* GetUserId() at entry */
	Oid			ext_owner;
	Oid			ext_schema;
	const char *schema_quoted;	/* quote_identifier() of ext_schema */
	Oid			save_userid;	/* state to restore after ctc_become() */
	int			save_sec_context;
} CtcCaller;

/* The resolved registry and its statements (ct_cache.c). */
typedef struct CtcRegistry
{
	int			nrules;
	CtcRule    *rules;			/* in processing order */
	Oid			owner;			/* of all registered tables */
	char	   *cleanup_sql;	/* NULL when there are no rules */
	int		   *delete_order;	/* rules children first, or NULL: use cleanup_sql */
	char	  **delete_sql;		/* per rule, its DELETE (ctc_build_delete) */
	char	   *preview_sql;
	char	   *cleanup_many_sql;
	char	   *preview_many_sql;
} CtcRegistry;

/* Counts of one cleanup or preview, summed and formatted for output. */
typedef struct CtcOutcome
{
	int64		category_counts[CTC_NUM_CATEGORIES];
	int64		total;
	Datum		counts;			/* jsonb {"messages": n, ...}, all 14 categories */
	Datum		details;		/* jsonb {"schema.table": n, ...}, every rule */
} CtcOutcome;

/* ct_access.c */
extern void ctc_enter(FunctionCallInfo fcinfo, CtcCaller *c);
extern void ctc_become(CtcCaller *c, Oid role, int extra_flags);
extern void ctc_restore(CtcCaller *c);
extern bool ctc_caller_is_admin(CtcCaller *c);
extern void ctc_require_admin(CtcCaller *c, FunctionCallInfo fcinfo, Oid argtype);
extern void ctc_require_owner(CtcCaller *c);
extern void ctc_lock_pair(pg_uuid_t *client, pg_uuid_t *trainer);
extern void ctc_pair_lock_key(pg_uuid_t *client, pg_uuid_t *trainer,
							  int32 *key1, int32 *key2);
extern SPIPlanPtr ctc_cached_plan(const char *sql, int nargs, Oid *argtypes);
extern char *ctc_spi_strdup(const char *value);
extern char *ctc_uuid_text(Datum value);

/* ct_registry.c */
extern CtcRule *ctc_load_rules(CtcCaller *c, int *nrules);
extern void ctc_resolve_rules(CtcRule *rules, int nrules, LOCKMODE lockmode,
							  Oid *owner);
extern int	ctc_category_index(const char *category);
extern int *ctc_delete_order(const CtcRule *rules, int nrules);
extern void ctc_registry_begin(FunctionCallInfo fcinfo, CtcCaller *c, int nargs);
extern void ctc_registry_end(CtcCaller *c);
extern uint64 ctc_registry_exec(CtcCaller *c, const char *sql_format, int nargs,
								Oid *argtypes, Datum *values, const char *nulls);

/* ct_cache.c */
extern void ctc_cache_init(void);
extern const CtcRegistry *ctc_get_registry(CtcCaller *c, LOCKMODE lockmode);
extern const CtcSettings *ctc_get_settings(CtcCaller *c);
extern uint64 ctc_cache_generation(void);

/* ct_settings.c */
extern void ctc_read_settings(CtcCaller *c, CtcSettings *settings);
extern Oid	ctc_resolve_function(const char *setting, const char *value,
								 Oid rettype, bool at_set);
extern Oid	ctc_resolve_relation(const char *setting, const char *value,
								 bool at_set, Oid *owner);
extern bool ctc_admin_check(CtcCaller *c);
extern char *ctc_actor_id(CtcCaller *c);

/* ct_people.c */
extern void ctc_check_people(CtcCaller *c, const char *kind, Datum *ids, int n);

/* ct_cleanup.c */
extern int	ctc_apply_lock_timeout(void);
extern void ctc_check_distinct(Datum client, Datum trainer);
extern void ctc_check_max_rows(CtcCaller *c, const Datum *pair, int npairs,
							   int64 total);
extern void ctc_result_values(const CtcOutcome *outcome, Datum client,
							  Datum trainer, int64 audit_id, bool audit_null,
							  Datum *values, bool *nulls);
extern void ctc_execute(CtcCaller *c, const CtcRegistry *reg, const char *sql,
						Oid argtype, Datum *args, bool preview, int npairs,
						int64 *counts);

/* ct_statement.c */
extern char *ctc_build_statement(CtcRule *rules, int nrules, bool preview,
								 bool batch);
extern char *ctc_build_delete(CtcRule *rules, int self);


/* ct_audit.c */
extern void ctc_summarize(const CtcRule *rules, int nrules, const int64 *counts,
						  CtcOutcome *outcome);
extern int64 ctc_write_audit(CtcCaller *c, Datum client, Datum trainer,
							 Datum reason, bool reason_null, const char *actor,
							 const CtcOutcome *outcome);
extern void ctc_write_audit_many(CtcCaller *c, int npairs, Datum *clients,
								 Datum *trainers, Datum reason, bool reason_null,
								 const char *actor, const CtcOutcome *outcomes,
								 int64 *ids);

#endif							/* CT_CLEANUP_H */
