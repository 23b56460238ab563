# contrib-style PGXS build of ct_cleanup

MODULE_big = ct_cleanup
OBJS = \
	$(WIN32RES) \
	ct_access.o \
	ct_audit.o \
	ct_cache.o \
	ct_engine.o \
	ct_cleanup.o \
	ct_explain.o \
	ct_fingerprint.o \
	ct_many.o \
	ct_message.o \
	ct_operations.o \
	ct_people.o \
	ct_registry.o \
	ct_remote.o \
	ct_replay.o \
	ct_settings.o \
	ct_statement.o

EXTENSION = ct_cleanup ct_cleanup_plproxy
DATA = ct_cleanup--1.0.sql ct_cleanup--1.0--1.1.sql ct_cleanup--1.1.sql ct_cleanup--1.1--1.2.sql ct_cleanup--1.2.sql ct_cleanup_plproxy--1.2.sql
PGFILEDESC = "ct_cleanup - audited removal of one client/trainer pair's interactions"

# install creates the extension and the shared fixture; the others use it
REGRESS = install register preview cleanup audit errors privileges settings postgrest security hostile guards many hardening operations operators schemas check_12 fingerprint remote upgrade dump teardown
# the tests create roles and need a fresh database of their own
REGRESS_OPTS = --dbname=ct_cleanup_regress

ISOLATION = same_pair receipt_race two_pairs guard_lock_timeout registry_cache cleanup_preview app_inserts row_locks isolation_levels timeouts overlapping_batches registry_snapshot registry_changes partitioned_race pair_lock_space fk_gap preview_binding

EXTRA_CLEAN = results/ regression.diffs regression.out output_iso/

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies: every object uses the shared structs
$(OBJS): ct_cleanup.h ct_cleanup_compat.h
