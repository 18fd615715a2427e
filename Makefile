# spoor: NGINX capture module + analyzer.
#
#   make              build build/spoor and build/ngx_http_spoor_module.so
#   make deps         install missing Debian packages (apt-get, as root or via sudo)
#                     and the real tracking clients of the tests (npm ci from
#                     tests/clients/package-lock.json into build/clients)
#   make test         deps + build + unit tests (criterion) + integration scripts
#   make fuzz         build and run every libFuzzer target for FUZZ_SECONDS each
#   make soak         the fleet on a failing Redis Cluster once, then the
#                     state and follower model tests for
#                     SOAK_SECONDS, a new random seed each round (not part
#                     of make test)
#   make run / stop   start (or reload) / stop a local nginx on 127.0.0.1:8080
#   make report       ingest what `make run` collected, write build/run/report.html
#   make install      build, then install under $(DESTDIR)$(PREFIX) (see below)
#   make bench        side-by-side benchmarks -> bench/results/REPORT.md (not a test)
#   make clean        remove build/ and build-san/
#
# Variables: SAN=1 (ASan+UBSan build into build-san/), NGINX_SRC, NGINX,
#   FUZZ_SECONDS, FUZZ_CC, SOAK_SECONDS, SOAK_STEPS, CC, CFLAGS, CSTD,
#   TEST_TIMEOUT, DEPS_PKGS, TEST_PKGS, NPM_TIMEOUT, PREFIX (default
#   /usr/local), DESTDIR.

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

# ---------------------------------------------------------------- settings

NGINX_SRC    ?= /usr/share/nginx/src
NGINX        ?= /usr/sbin/nginx
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
TEST_TIMEOUT ?= 600
SOAK_SECONDS ?= 300
SOAK_STEPS   ?= 80
SOAK_FOLLOW_EVENTS ?= 60000
NPM_TIMEOUT  ?= 600

# Debian packages needed to build, test, fuzz and run.  Extend here.
# (libclang-rt-dev carries libFuzzer and clang's sanitizer runtimes; clang
# only recommends it.  iproute2 provides `ss`, used by the integration tests;
# logrotate is run by tests/integration/rotation.sh.)
DEPS_PKGS := build-essential pkg-config nginx nginx-dev libmsgpack-dev \
             libyajl-dev liblz4-dev lz4 libcriterion-dev libssl-dev clang \
             libclang-rt-dev libxxhash-dev curl iproute2 apache2-utils wrk \
             jq libmaxminddb-dev libmaxmind-db-writer-perl mmdb-bin logrotate \
             zlib1g-dev libhiredis-dev nettle-dev libzstd-dev libmimalloc-dev

# What the real-client tests run on (tests/integration/clients.sh): Node.js
# (>= 20, whatever provides the package) and Debian's Chromium, which the
# browser clients run in -- Playwright drives that binary, it never
# downloads a browser of its own.  prometheus carries promtool: the metrics
# test (tests/integration/metrics.sh) runs `promtool check metrics` on the
# status page, and fails without it; the Prometheus server the package
# also brings is not wanted here, so deps leaves its unit disabled.
# redis-server (with redis-cli) is for the cluster client's test
# (tests/unit/test_redis_cluster.c), which starts and stops its own servers
# on loopback ports: the system Redis is not wanted either, so deps leaves
# its unit disabled (and stopped) when it installed it.
TEST_PKGS := nodejs chromium prometheus redis-server

# Strict C11 hides POSIX (open's O_CLOEXEC, gmtime_r, ...); _DEFAULT_SOURCE
# gives the same POSIX.1-2008 + BSD view that nginx's build (gcc's default
# gnu17) gives shared/*.c inside the module.  A file may still define
# _GNU_SOURCE itself.
CSTD     ?= -std=c11 -D_DEFAULT_SOURCE
CFLAGS   ?= -O2 -g
WARNINGS := -Wall -Wextra
CPPFLAGS += -Ishared -Ianalyzer
# The analyzer's libraries.  The module does not link these: nginx's build
# takes its own list from ngx_module_libs in `config` (no hiredis there).
LDLIBS   += -lmsgpackc -lyajl -llz4 -lnettle -lcrypto -lmaxminddb -lxxhash -lzstd -lz -lm -lpthread \
            -lhiredis

# The analyzer's allocator is mimalloc, as Redis's is jemalloc: a state
# is millions of profiles of ten small blocks each, and glibc's header on
# every block and its size classes were a tenth of the peak memory at 10M
# events (bench/analyzer_tried.md).  Linking the library makes its malloc
# the process's, for every library too.  Not with SAN=1 (the sanitizer's
# runtime is the allocator there) nor in the tests' and fuzzers' binaries.
SPOOR_MALLOC := -lmimalloc
# (main.c then sets mimalloc's options: SPOOR_MIMALLOC)

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined

ifneq ($(filter-out 0 no,$(SAN)),)
  BUILD        := build-san
  SAN_CFLAGS   := $(SAN_FLAGS)
  SPOOR_MALLOC :=
  # nginx's configure quotes neither option, so they go in as one word each
  # via the shell array below.
  NGX_CC_OPTS  := --with-cc-opt="$(SAN_FLAGS)" --with-ld-opt="$(SAN_FLAGS)"
  # The stock nginx binary is not instrumented: the ASan runtime has to be
  # loaded first for the sanitized module to load.  nginx never frees its
  # pools at exit, so leak detection is off for nginx only.
  # (nginx's configure picks `cc` for the module, see NGX_CONFIGURE_ENV.)
  ASAN_RT      := $(shell cc -print-file-name=libasan.so)
  NGINX_ENV    := LD_PRELOAD=$(ASAN_RT) ASAN_OPTIONS=detect_leaks=0
else
  BUILD        := build
  SAN_CFLAGS   :=
  # Debian's nginx binary is built with -O2 (nginx -V); without a
  # --with-cc-opt nginx's configure compiles the module with -O only.
  NGX_CC_OPTS  := --with-cc-opt="-g -O2"
  NGINX_ENV    :=
endif

ALL_CFLAGS  = $(CSTD) $(WARNINGS) $(CFLAGS) $(SAN_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN_CFLAGS)

OBJ := $(BUILD)/obj

# nginx reads an environment variable NGINX as a list of inherited listening
# sockets (binary upgrade): never hand ours to the nginx we start.
unexport NGINX

# ---------------------------------------------------------------- sources

SHARED_SRCS       := $(wildcard shared/*.c)
SHARED_HDRS       := $(wildcard shared/*.h)
ANALYZER_SRCS     := $(wildcard analyzer/*.c)
ANALYZER_LIB_SRCS := $(filter-out analyzer/main.c,$(ANALYZER_SRCS))
MODULE_SRCS       := $(wildcard ngx_module/*.c)
MODULE_HDRS       := $(wildcard ngx_module/*.h)
UNIT_SRCS         := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS         := $(wildcard tests/fuzz/fuzz_*.c)
INTEG_SCRIPTS     := $(filter-out tests/integration/lib.sh,$(wildcard tests/integration/*.sh))

SHARED_OBJS       := $(SHARED_SRCS:%.c=$(OBJ)/%.o)
ANALYZER_OBJS     := $(ANALYZER_SRCS:%.c=$(OBJ)/%.o)
ANALYZER_LIB_OBJS := $(ANALYZER_LIB_SRCS:%.c=$(OBJ)/%.o)
UNIT_OBJS         := $(UNIT_SRCS:%.c=$(OBJ)/%.o)
TEST_BINS         := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

SPOOR     := $(BUILD)/spoor
MODULE_SO := $(BUILD)/ngx_http_spoor_module.so

# Goals that build something (the value stamps below are only written then).
BUILD_GOALS := $(if $(MAKECMDGOALS),$(filter-out clean deps clients bench stop test fuzz soak run,$(MAKECMDGOALS)),all)

# Write $(2) to file $(1) only when it differs, so its mtime tracks changes
# of a make-time value (source lists, flags) rather than every run.
define stamp-value
$(shell mkdir -p $(dir $(1)) && \
  if [ "$$(cat '$(1)' 2>/dev/null)" != '$(2)' ]; then printf '%s\n' '$(2)' > '$(1)'; fi)
endef

.PHONY: all deps clients test test-run fuzz fuzz-run soak soak-run run run-start stop report \
        install bench clean FORCE

all: $(SPOOR) $(MODULE_SO)

# ---------------------------------------------------------------- analyzer

# Objects are rebuilt when the compiler or its flags change.
FLAGS_STAMP := $(BUILD)/.stamp-flags
ifneq ($(BUILD_GOALS),)
$(call stamp-value,$(FLAGS_STAMP),$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(SPOOR_MALLOC) $(LDLIBS))
endif

$(OBJ)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The built-in segment rules are conf/segments.rules itself, as a C string
# (analyzer/default_rules.c includes it): one text, shipped and built in.
GEN := $(BUILD)/gen
CPPFLAGS += -I$(GEN)
$(GEN)/default_rules_text.h: conf/segments.rules
	@mkdir -p $(@D)
	{ echo '/* generated from conf/segments.rules by the Makefile */'; \
	  echo 'static const char  default_rules_text[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@
$(OBJ)/analyzer/default_rules.o: $(GEN)/default_rules_text.h
$(OBJ)/analyzer/main.o: CPPFLAGS += $(if $(SPOOR_MALLOC),-DSPOOR_MIMALLOC)

$(SPOOR): $(SHARED_OBJS) $(ANALYZER_OBJS)
	@test -n "$(ANALYZER_SRCS)" || { echo "no analyzer/*.c sources to build $@" >&2; exit 1; }
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SPOOR_MALLOC) $(LDLIBS)

# ---------------------------------------------------------------- nginx module
#
# The module is built by nginx's own build system, against a private copy of
# $(NGINX_SRC) (Debian's nginx-dev ships headers + auto/ scripts + the exact
# configure flags of the packaged binary in conf_flags).  configure runs again
# only when `config`, the module/shared source or header lists, the nginx
# source path or the sanitizer options change; after that nginx's Makefile
# tracks the sources (and, via ngx_module_deps, the headers).

NGX_DIR       := $(BUILD)/nginx-src
NGX_COPIED    := $(NGX_DIR)/.spoor-copied
NGX_MAKEFILE  := $(NGX_DIR)/objs/Makefile
NGX_SRC_STAMP := $(BUILD)/.stamp-nginx-src
NGX_CFG_STAMP := $(BUILD)/.stamp-nginx-configure

# The copy is refreshed when NGINX_SRC or anything in it changes (a package
# upgrade keeps the packaged mtimes, so a plain mtime rule would miss it).
ifneq ($(BUILD_GOALS),)
$(call stamp-value,$(NGX_SRC_STAMP),$(abspath $(NGINX_SRC)) $(shell cd '$(NGINX_SRC)' 2>/dev/null && find . -type f -printf '%P %s %T@\n' | LC_ALL=C sort | md5sum))
$(call stamp-value,$(NGX_CFG_STAMP),$(MODULE_SRCS) $(MODULE_HDRS) $(SHARED_SRCS) $(SHARED_HDRS) $(NGX_CC_OPTS))
endif

$(NGX_COPIED): $(NGX_SRC_STAMP) $(wildcard $(NGINX_SRC)/configure $(NGINX_SRC)/conf_flags)
	@test -x '$(NGINX_SRC)/configure' || { echo "NGINX_SRC=$(NGINX_SRC) has no ./configure (install nginx-dev: make deps)" >&2; exit 1; }
	rm -rf $(NGX_DIR)
	mkdir -p $(NGX_DIR)
	cp -a $(NGINX_SRC)/. $(NGX_DIR)/
	touch $@

# nginx's configure takes CC and CFLAGS from the environment, where make puts
# command-line variables: the module is always built with nginx's own choice
# (cc, nginx's CFLAGS + -Werror), whatever CC/CFLAGS the analyzer uses.
NGX_CONFIGURE_ENV := -u CC -u CFLAGS -u CPPFLAGS -u LDFLAGS -u MAKEFLAGS

$(NGX_MAKEFILE): config $(NGX_COPIED) $(NGX_CFG_STAMP)
	@echo "configuring nginx in $(NGX_DIR) (log: $(NGX_DIR)/spoor-configure.log)"
	@cd $(NGX_DIR) && rm -rf objs Makefile && \
	if [ -f conf_flags ]; then . ./conf_flags; else NGX_CONF_FLAGS=(--with-compat); fi && \
	NGX_CONF_FLAGS+=($(NGX_CC_OPTS)) && \
	{ env $(NGX_CONFIGURE_ENV) ./configure "$${NGX_CONF_FLAGS[@]}" --add-dynamic-module=$(CURDIR) \
	      > spoor-configure.log 2>&1 \
	  || { tail -n 40 spoor-configure.log >&2; exit 1; }; }
	@test -f $@

# Command-line variables of this make (CFLAGS=..., SAN=1) must not leak into
# nginx's Makefile, which sets its own CC/CFLAGS.
$(MODULE_SO): MAKEOVERRIDES :=
$(MODULE_SO): $(NGX_MAKEFILE) FORCE
	$(MAKE) -C $(NGX_DIR) -f objs/Makefile modules
	@cmp -s $(NGX_DIR)/objs/ngx_http_spoor_module.so $@ || \
	  { cp $(NGX_DIR)/objs/ngx_http_spoor_module.so $@.tmp && mv $@.tmp $@ && echo "built $@"; }

# ---------------------------------------------------------------- deps
#
# Installs only the missing packages.  While installing, a temporary
# policy-rc.d (unless one exists) keeps the nginx package from starting the
# system nginx on port 80: it is not needed, and its postinst fails the whole
# install when that port is taken.

POLICY_RC_D := /usr/sbin/policy-rc.d

deps:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "deps: no dpkg-query (not Debian?); install by hand: $(DEPS_PKGS) $(TEST_PKGS)" >&2; exit 0; \
	fi; \
	missing=; \
	for p in $(DEPS_PKGS) $(TEST_PKGS); do \
	  case "$$(dpkg-query -W -f='$${Status}' $$p 2>/dev/null)" in \
	    *" installed") ;; \
	    *) missing="$$missing $$p" ;; \
	  esac; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "deps: installing:$$missing"; \
	  policy=; \
	  if [ ! -e $(POLICY_RC_D) ]; then \
	    policy=$(POLICY_RC_D); \
	    printf '#!/bin/sh\nexit 101\n' | $$sudo tee $$policy >/dev/null && $$sudo chmod 755 $$policy; \
	  fi; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	      --no-install-recommends -o Dpkg::Options::=--force-confdef \
	      -o Dpkg::Options::=--force-confold $$missing; \
	  rc=$$?; \
	  if [ -n "$$policy" ]; then $$sudo rm -f $$policy; fi; \
	  case " $$missing " in \
	    *" prometheus "*) \
	      if command -v systemctl >/dev/null 2>&1; then \
	        $$sudo systemctl disable prometheus >/dev/null 2>&1 || true; \
	      fi ;; \
	  esac; \
	  case " $$missing " in \
	    *" redis-server "*) \
	      if command -v systemctl >/dev/null 2>&1; then \
	        $$sudo systemctl disable --now redis-server >/dev/null 2>&1 || true; \
	      fi ;; \
	  esac; \
	  exit $$rc; \
	fi
	@$(MAKE) --no-print-directory clients

# The real tracking clients (tests/clients/package.json), exactly as the
# committed package-lock.json pins them, installed by `npm ci` into one
# cache the tests share, $(CLIENTS_DIR) (the same for SAN=1); installed
# again only when the lock or the manifest changes.  No install script
# runs (none of them needs one), and Playwright downloads no browser.
CLIENTS_DIR   := build/clients
CLIENTS_STAMP := $(CLIENTS_DIR)/.stamp-npm-ci

clients: $(CLIENTS_STAMP)

$(CLIENTS_STAMP): tests/clients/package.json tests/clients/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "clients: no npm (Node.js >= 20 with npm is needed)" >&2; exit 1; }
	@rm -rf $(CLIENTS_DIR) && mkdir -p $(CLIENTS_DIR)
	@cp tests/clients/package.json tests/clients/package-lock.json $(CLIENTS_DIR)/
	@echo "clients: npm ci into $(CLIENTS_DIR) (log: $(CLIENTS_DIR)/npm-ci.log)"
	@cd $(CLIENTS_DIR) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
	  timeout -k 10 $(NPM_TIMEOUT) npm ci --ignore-scripts --no-audit --no-fund \
	      --no-update-notifier --fetch-retries=2 --fetch-timeout=60000 \
	      > npm-ci.log 2>&1 \
	  || { tail -n 20 npm-ci.log >&2; \
	       echo "clients: npm ci failed or took over $(NPM_TIMEOUT) s: the client tests cannot run" >&2; \
	       exit 1; }
	@touch $@

# ---------------------------------------------------------------- tests

$(TEST_BINS): $(BUILD)/tests/%: $(OBJ)/tests/unit/%.o $(SHARED_OBJS) $(ANALYZER_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

# A sanitizer report inside a criterion worker (a leak, mostly) does not make
# the test fail by itself, so the output is scanned for one too.
SAN_REPORT_RE := ERROR: (Address|Leak)Sanitizer|runtime error:

# deps first (serially), then the build and the tests (may run with -j).
test: deps
	@$(MAKE) --no-print-directory test-run

# Test databases for the geo tests, written by MaxMind's own Perl writer.
GEO_TESTDATA := $(CURDIR)/$(BUILD)/testdata/geo

$(GEO_TESTDATA)/city.mmdb: tests/fixtures/make_geo_db.pl
	@mkdir -p $(@D)
	perl tests/fixtures/make_geo_db.pl $(@D)

test-run: all $(TEST_BINS) $(GEO_TESTDATA)/city.mmdb
	@pass=0; fail=0; failed=; \
	for t in $(TEST_BINS); do \
	  echo "=== unit: $$t"; \
	  if (set -o pipefail; SPOOR='$(CURDIR)/$(SPOOR)' \
	      SPOOR_GEO_TESTDATA='$(GEO_TESTDATA)' \
	      timeout $(TEST_TIMEOUT) ./$$t 2>&1 | tee $$t.log) \
	     && ! grep -qE '$(SAN_REPORT_RE)' $$t.log; then pass=$$((pass+1)); \
	  else echo "--- FAIL: $$t (output: $$t.log)"; fail=$$((fail+1)); failed="$$failed $$t"; fi; \
	done; \
	for s in $(INTEG_SCRIPTS); do \
	  echo "=== integration: $$s"; \
	  if SPOOR='$(CURDIR)/$(SPOOR)' SPOOR_MODULE='$(CURDIR)/$(MODULE_SO)' \
	     SPOOR_GEO_TESTDATA='$(GEO_TESTDATA)' \
	     SPOOR_CLIENTS='$(CURDIR)/$(CLIENTS_DIR)' \
	     NGINX='$(NGINX)' SPOOR_NGINX_ENV='$(NGINX_ENV)' \
	     timeout $(TEST_TIMEOUT) bash $$s; then pass=$$((pass+1)); \
	  else echo "--- FAIL: $$s"; fail=$$((fail+1)); failed="$$failed $$s"; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; fi; \
	echo "$$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# ---------------------------------------------------------------- fuzz
#
# shared/*.c and the analyzer's library (analyzer/*.c but main.c) get
# coverage instrumentation + ASan/UBSan (fuzzer-no-link: no libFuzzer main);
# each tests/fuzz/fuzz_<x>.c is linked with libFuzzer and both.
# Corpus: $(FUZZ_DIR)/corpus/fuzz_<x>/, seeded from tests/fuzz/corpus/fuzz_<x>/
# (or tests/fuzz/corpus/<x>/).  Crash inputs land in $(FUZZ_DIR)/artifacts/.

FUZZ_DIR           := $(BUILD)/fuzz
FUZZ_CFLAGS        := $(CSTD) -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined -Ishared -Ianalyzer -I$(GEN)
FUZZ_SHARED_OBJS   := $(SHARED_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_ANALYZER_OBJS := $(ANALYZER_LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB_OBJS      := $(FUZZ_SHARED_OBJS) $(FUZZ_ANALYZER_OBJS)
FUZZ_BINS          := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)

FUZZ_STAMP := $(FUZZ_DIR)/.stamp-flags
ifneq ($(filter fuzz-run $(FUZZ_DIR)/%,$(MAKECMDGOALS)),)
$(call stamp-value,$(FUZZ_STAMP),$(FUZZ_CC) $(FUZZ_CFLAGS) $(LDLIBS))
endif

$(FUZZ_DIR)/obj/analyzer/default_rules.o: $(GEN)/default_rules_text.h
$(FUZZ_LIB_OBJS): $(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

$(FUZZ_BINS): $(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS) $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -MMD -MP -MF $@.d \
	    -o $@ $< $(FUZZ_LIB_OBJS) $(LDLIBS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run

fuzz-run: $(FUZZ_BINS)
	@$(if $(FUZZ_BINS),,echo "no fuzz targets (tests/fuzz/fuzz_*.c)";) \
	pass=0; fail=0; failed=; \
	for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); corpus=$(FUZZ_DIR)/corpus/$$n; \
	  mkdir -p $$corpus $(FUZZ_DIR)/artifacts; \
	  for seed in tests/fuzz/corpus/$$n tests/fuzz/corpus/$${n#fuzz_}; do \
	    if [ -d $$seed ]; then cp -r $$seed/. $$corpus/; fi; \
	  done; \
	  echo "=== fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  if UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./$$f \
	       -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=512 -malloc_limit_mb=256 \
	       -artifact_prefix=$(FUZZ_DIR)/artifacts/$$n- -print_final_stats=1 $$corpus; \
	  then pass=$$((pass+1)); \
	  else echo "--- FAIL: $$n (see $(FUZZ_DIR)/artifacts/)"; fail=$$((fail+1)); failed="$$failed $$n"; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; fi; \
	echo "$$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# ---------------------------------------------------------------- soak
#
# The model-based tests of the state directory (tests/integration/
# state_model.sh) and of the follower under torn writes, rotations and
# kill -9 (tests/integration/follow_model.sh, SOAK_FOLLOW_EVENTS events per
# log), short runs of which are part of `make test`, run again and again
# with a new random seed each round, for SOAK_SECONDS in all
# (a round started near the end is cut short by MAX_SECONDS, and killed
# 120 s after the deadline at the latest).  Stops at the first failing
# round, whose seed and steps it prints.  Before the rounds, once:
# tests/soak/fleet_cluster.sh, the fleet (two edges, their shippers, a
# follower) on a Redis Cluster of 3 masters + 3 replicas with a master
# killed under load (failover) and the whole cluster stopped for 10 s.
# Not part of `make test`.

soak: deps
	@$(MAKE) --no-print-directory soak-run

soak-run: $(SPOOR) $(MODULE_SO)
	@echo "=== soak: the fleet under Redis Cluster failover and a stopped cluster"; \
	SPOOR='$(CURDIR)/$(SPOOR)' SPOOR_MODULE='$(CURDIR)/$(MODULE_SO)' \
	  NGINX='$(NGINX)' SPOOR_NGINX_ENV='$(NGINX_ENV)' \
	  timeout 600 bash tests/soak/fleet_cluster.sh || { \
	  echo "--- FAIL: tests/soak/fleet_cluster.sh (its SEED is printed above;" \
	       "SEED=... re-runs it)"; exit 1; }
	@end=$$(( $$(date +%s) + $(SOAK_SECONDS) )); round=0; \
	while [ $$(date +%s) -lt $$end ]; do \
	  round=$$((round + 1)); \
	  seed=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); \
	  left=$$(( end - $$(date +%s) )); \
	  echo "=== soak round $$round: SEED=$$seed STEPS=$(SOAK_STEPS) ($$left s left)"; \
	  if ! SEED=$$seed STEPS=$(SOAK_STEPS) MAX_SECONDS=$$left \
	       SPOOR='$(CURDIR)/$(SPOOR)' timeout $$((left + 120)) \
	       bash tests/integration/state_model.sh; then \
	    echo "--- FAIL: soak round $$round: SEED=$$seed STEPS=$(SOAK_STEPS)" \
	         "SPOOR=$(SPOOR) bash tests/integration/state_model.sh"; \
	    exit 1; \
	  fi; \
	  if ! SEED=$$seed EVENTS=$(SOAK_FOLLOW_EVENTS) MAX_SECONDS=$$left \
	       SPOOR='$(CURDIR)/$(SPOOR)' timeout $$((left + 120)) \
	       bash tests/integration/follow_model.sh; then \
	    echo "--- FAIL: soak round $$round: SEED=$$seed EVENTS=$(SOAK_FOLLOW_EVENTS)" \
	         "SPOOR=$(SPOOR) bash tests/integration/follow_model.sh"; \
	    exit 1; \
	  fi; \
	done; \
	echo "soak: $$round rounds passed in $(SOAK_SECONDS) s"

# ---------------------------------------------------------------- run

RUN_DIR   := $(CURDIR)/$(BUILD)/run
RUN_CONF  := $(RUN_DIR)/nginx.conf
RUN_PID   := $(RUN_DIR)/logs/nginx.pid
RUN_NGINX := $(strip $(NGINX_ENV) $(NGINX)) -p $(RUN_DIR)/ -c $(RUN_CONF)

run: deps
	@$(MAKE) --no-print-directory run-start

$(RUN_CONF): conf/nginx.conf FORCE
	@mkdir -p $(RUN_DIR)/logs $(RUN_DIR)/tmp
	@# the profile state: the workers (nobody:nogroup) read what spoor
	@# ingest writes there, through the setgid group
	@if [ ! -d $(RUN_DIR)/state ]; then \
	  mkdir -p $(RUN_DIR)/state && chgrp nogroup $(RUN_DIR)/state \
	  && chmod 2750 $(RUN_DIR)/state; fi
	@sed -e 's|@MODULE@|$(CURDIR)/$(MODULE_SO)|g' -e 's|@PREFIX@|$(RUN_DIR)|g' $< > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

run-start: all $(RUN_CONF)
	$(RUN_NGINX) -t -q
	@if [ -f $(RUN_PID) ] && kill -0 "$$(cat $(RUN_PID))" 2>/dev/null; then \
	  echo "nginx already running (pid $$(cat $(RUN_PID))): reloading"; \
	  $(RUN_NGINX) -s reload; \
	else \
	  $(RUN_NGINX); \
	  echo "nginx started: http://127.0.0.1:8080/health (pid $$(cat $(RUN_PID) 2>/dev/null))"; \
	fi
	@echo "logs: $(RUN_DIR)/logs/   stop with: make stop$(if $(SAN_CFLAGS), SAN=1)" \
	      "(or: $(RUN_NGINX) -s quit)"

stop:
	@if [ -f $(RUN_PID) ] && kill -0 "$$(cat $(RUN_PID))" 2>/dev/null; then \
	  pid=$$(cat $(RUN_PID)); \
	  $(RUN_NGINX) -s quit; \
	  for i in $$(seq 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	  if kill -0 $$pid 2>/dev/null; then echo "nginx (pid $$pid) still running" >&2; exit 1; fi; \
	  echo "nginx stopped"; \
	else \
	  echo "nginx not running"; \
	fi

# The report of what `make run` collected (docs/report.md): the run's log
# and its rotated files ingested into the run's state (frames already
# there are recognised), then drawn with their integrity check into
# $(RUN_DIR)/report.html.  Exit 1 when a log is damaged (the report says
# where).
report: all
	@logs=$$(ls -d $(RUN_DIR)/logs/events.spoor* 2>/dev/null | grep -v '\.ingested$$'); \
	if [ -z "$$logs" ]; then \
	  echo "report: no log in $(RUN_DIR)/logs: make run, send events, then make report" >&2; \
	  exit 1; \
	fi; \
	$(SPOOR) ingest --state $(RUN_DIR)/state $$logs || exit $$?; \
	$(SPOOR) report --state $(RUN_DIR)/state --out $(RUN_DIR)/report.html \
	  --logs $$logs; rc=$$?; \
	if [ $$rc -le 1 ]; then echo "report: $(RUN_DIR)/report.html"; fi; \
	exit $$rc

# ---------------------------------------------------------------- install
#
# What goes where (docs/profiles.md, "Installation and rotation"):
#   $(PREFIX)/bin/spoor                                   the analyzer
#   $(PREFIX)/lib/nginx/modules/ngx_http_spoor_module.so  for load_module
#   $(PREFIX)/lib/spoor/spoor-rotate                      the rotation helper
#   $(PREFIX)/share/spoor/                                examples: nginx.conf,
#       segments.rules, logrotate.spoor, spoor-rotate.service, spoor-rotate.timer,
#       and for a follower logrotate.spoor-follow, spoor-follow.service,
#       for a fleet edge spoor-ship.service and spoor-mirror.service
#       (docs/scaling.md)
# The helper, the logrotate snippet and the service name programs under
# /usr/local/; they are installed with $(PREFIX)/ in its place.  DESTDIR
# (staging, packaging) is prepended to every path and named in none.
# `install` builds first: it is one of BUILD_GOALS (value stamps written).

PREFIX  ?= /usr/local
DESTDIR ?=

INSTALL_BIN   := $(DESTDIR)$(PREFIX)/bin
INSTALL_NGX   := $(DESTDIR)$(PREFIX)/lib/nginx/modules
INSTALL_LIB   := $(DESTDIR)$(PREFIX)/lib/spoor
INSTALL_SHARE := $(DESTDIR)$(PREFIX)/share/spoor
INSTALL_TMP   := $(BUILD)/install
# files with /usr/local/ replaced by $(PREFIX)/
PREFIXED      := spoor-rotate logrotate.spoor spoor-rotate.service \
                 spoor-follow.service spoor-ship.service spoor-mirror.service

install: all
	@mkdir -p $(INSTALL_TMP)
	@for f in $(PREFIXED); do \
	  sed 's|/usr/local/|$(PREFIX)/|g' conf/$$f > $(INSTALL_TMP)/$$f || exit 1; \
	done
	install -D -m 0755 $(SPOOR) $(INSTALL_BIN)/spoor
	install -D -m 0644 $(MODULE_SO) $(INSTALL_NGX)/ngx_http_spoor_module.so
	install -D -m 0755 $(INSTALL_TMP)/spoor-rotate $(INSTALL_LIB)/spoor-rotate
	install -D -m 0644 -t $(INSTALL_SHARE) conf/nginx.conf conf/segments.rules \
	    conf/spoor-rotate.timer conf/logrotate.spoor-follow \
	    conf/grafana-spoor.json \
	    $(INSTALL_TMP)/logrotate.spoor $(INSTALL_TMP)/spoor-rotate.service \
	    $(INSTALL_TMP)/spoor-follow.service $(INSTALL_TMP)/spoor-ship.service \
	    $(INSTALL_TMP)/spoor-mirror.service

# ---------------------------------------------------------------- misc

# Benchmarks (never part of `make test`): the collector side by side with
# empty_gif and an access_log + geoip2 stack, the analyzer next to the
# decode floor, a Python script and GoAccess, profile lookups, follow
# mode's freshness (bench/freshness.sh), the fleet through Redis beside
# it (bench/fleet.sh) and the cost of a delta
# generation (bench/delta.sh), the figures and report of a big state
# (bench/report_speed.sh); bench/results/REPORT.md.
# The packages only the benchmarks need are installed here.
BENCH_PKGS := libnginx-mod-http-geoip2 goaccess gnuplot-nox python3-lz4 \
              python3-msgpack time

# The decode floor (bench/decode_floor.c) is liblz4 and msgpack-c alone:
# built with the analyzer's flags but none of its headers or objects, so
# that it stays an independent yardstick.
DECODE_FLOOR := $(BUILD)/bench/decode_floor

$(DECODE_FLOOR): bench/decode_floor.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) -llz4 -lmsgpackc

# The profile lookup (bench/profile_lookup.c) times the module's own lookup
# code (shared/profile_lookup.c) in-process.
PROFILE_LOOKUP := $(BUILD)/bench/profile_lookup

$(PROFILE_LOOKUP): bench/profile_lookup.c $(SHARED_OBJS) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(SHARED_OBJS) $(ALL_LDFLAGS) $(LDLIBS)

bench:
	@$(MAKE) --no-print-directory deps DEPS_PKGS="$(DEPS_PKGS) $(BENCH_PKGS)"
	@$(MAKE) --no-print-directory all $(GEO_TESTDATA)/city.mmdb $(DECODE_FLOOR) \
	  $(PROFILE_LOOKUP)
	@mkdir -p bench/results
	SPOOR='$(CURDIR)/$(SPOOR)' SPOOR_MODULE='$(CURDIR)/$(MODULE_SO)' \
	  NGINX='$(NGINX)' GEO_DB='$(GEO_TESTDATA)/city.mmdb' \
	  OUT='$(CURDIR)/bench/results/collector.tsv' \
	  bash bench/collector.sh > bench/results/collector.md
	@cat bench/results/collector.md
	SPOOR='$(CURDIR)/$(SPOOR)' DECODE_FLOOR='$(CURDIR)/$(DECODE_FLOOR)' \
	  OUT='$(CURDIR)/bench/results/analyzer.tsv' \
	  bash bench/analyzer.sh > bench/results/analyzer.md
	@cat bench/results/analyzer.md
	SPOOR='$(CURDIR)/$(SPOOR)' SPOOR_MODULE='$(CURDIR)/$(MODULE_SO)' \
	  NGINX='$(NGINX)' PROFILE_LOOKUP='$(CURDIR)/$(PROFILE_LOOKUP)' \
	  bash bench/lookup.sh > bench/results/lookup.md
	@cat bench/results/lookup.md
	SPOOR='$(CURDIR)/$(SPOOR)' SPOOR_MODULE='$(CURDIR)/$(MODULE_SO)' \
	  NGINX='$(NGINX)' bash bench/freshness.sh > bench/results/freshness.md
	@cat bench/results/freshness.md
	SPOOR='$(CURDIR)/$(SPOOR)' SPOOR_MODULE='$(CURDIR)/$(MODULE_SO)' \
	  NGINX='$(NGINX)' SIZES=1000000 MERGE=1 PROBE_SECONDS=60 \
	  bash bench/freshness.sh > bench/results/freshness-merge.md
	@cat bench/results/freshness-merge.md
	SPOOR='$(CURDIR)/$(SPOOR)' SPOOR_MODULE='$(CURDIR)/$(MODULE_SO)' \
	  NGINX='$(NGINX)' bash bench/fleet.sh > bench/results/fleet.md
	@cat bench/results/fleet.md
	SPOOR='$(CURDIR)/$(SPOOR)' SPOOR_MODULE='$(CURDIR)/$(MODULE_SO)' \
	  NGINX='$(NGINX)' bash bench/fleet_serve.sh > bench/results/fleet_serve.md
	@cat bench/results/fleet_serve.md
	SPOOR='$(CURDIR)/$(SPOOR)' SPOOR_MODULE='$(CURDIR)/$(MODULE_SO)' \
	  NGINX='$(NGINX)' CHURN=1 PROBE_SECONDS=90 \
	  bash bench/fleet_serve.sh > bench/results/fleet_serve-churn.md
	@cat bench/results/fleet_serve-churn.md
	SPOOR='$(CURDIR)/$(SPOOR)' bash bench/delta.sh > bench/results/delta.md
	@cat bench/results/delta.md
	SPOOR='$(CURDIR)/$(SPOOR)' bash bench/report_speed.sh > bench/results/report.md
	@cat bench/results/report.md
	bash bench/report.sh

# Stops a `make run` nginx of either build dir first (by its pid file).
clean:
	@for p in build/run/logs/nginx.pid build-san/run/logs/nginx.pid; do \
	  if [ -f $$p ] && kill -0 "$$(cat $$p)" 2>/dev/null; then \
	    echo "stopping nginx $$(cat $$p) ($$p)"; kill -QUIT "$$(cat $$p)"; sleep 0.5; \
	  fi; \
	done
	rm -rf build build-san

FORCE:

# Safety net for a value stamp that is not there (e.g. `make clean all`):
# create it empty; the next run writes its value and rebuilds what depends.
$(FLAGS_STAMP) $(NGX_SRC_STAMP) $(NGX_CFG_STAMP) $(FUZZ_STAMP):
	@mkdir -p $(@D) && touch $@

-include $(wildcard $(OBJ)/*/*.d $(OBJ)/tests/unit/*.d $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/*.d)
