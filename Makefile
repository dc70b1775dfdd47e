# linli — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
BUILD ?= build
ASAN_BUILD ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
LINLI_WERROR ?= OFF
DB ?= sqlite:data/linli.db
LISTEN ?= 127.0.0.1:8080
JOBS ?= $(shell nproc)

.PHONY: run test build web deps bench test-unit test-e2e test-asan format format-check clean fuzz soak

deps:
	@scripts/install-deps.sh --browser

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DLINLI_WERROR=$(LINLI_WERROR)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web: web/node_modules/.package-lock.json
	cd web && npm run build

# Builds everything, loads the demo city into an empty embedded database once,
# and serves it. Demo accounts are listed in README.md and data/accounts.json.
run: build web
	@mkdir -p data
	@if [ ! -f data/linli.db ]; then \
	  echo "==> loading the demo city into data/linli.db"; \
	  $(BUILD)/linli demo --db $(DB) --accounts-json data/accounts.json; fi
	@echo "==> linli at http://$(LISTEN)  (Ctrl-C to stop)"
	$(BUILD)/linli serve --db $(DB) --listen $(LISTEN) --web web/dist

# Every test: unit and API tests on SQLite and a throwaway PostgreSQL, then the
# browser tests against a real server with the demo city.
# The server logs of the whole run are kept in $(BUILD)/test-logs and scanned
# for phone and ID numbers, tokens and keys (scripts/scan-logs.sh).
TEST_LOGS := $(CURDIR)/$(BUILD)/test-logs
test: build web
	rm -rf $(TEST_LOGS)
	LINLI_TEST_LOG_DIR=$(TEST_LOGS) scripts/with-postgres.sh ctest --test-dir $(BUILD) --output-on-failure -j 2
	LINLI_TEST_LOG_DIR=$(TEST_LOGS) scripts/e2e.sh $(BUILD)/linli
	scripts/scan-logs.sh $(TEST_LOGS)

test-unit: build
	scripts/with-postgres.sh ctest --test-dir $(BUILD) --output-on-failure -j 2

test-e2e: build web
	scripts/e2e.sh $(BUILD)/linli

# Unit and API tests once more under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLINLI_SANITIZE=ON -DLINLI_WERROR=$(LINLI_WERROR)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  scripts/with-postgres.sh ctest --test-dir $(ASAN_BUILD) --output-on-failure -j 2

# The loopback cluster of docs/SCALING.md (nginx → two nodes → PostgreSQL
# primary + streaming replica, deploy/local-cluster.sh) and its tests.
.PHONY: test-cluster
test-cluster: build
	tests/cluster/run.sh $(BUILD)/linli

# libFuzzer targets (fuzz/) built with clang in build-fuzz/, each run for
# FUZZ_SECONDS on the committed seed corpus; a crash fails (scripts/fuzz.sh).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CXX ?= clang++-16
fuzz: deps
	CXX=$(FUZZ_CXX) cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLINLI_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# A steady mixed workload for SOAK_MINUTES on loopback; reports RSS growth
# (must stay under 5%) and non-2xx answers (scripts/soak.sh). Not in CI.
SOAK_MINUTES ?= 30
soak: build
	SOAK_MINUTES=$(SOAK_MINUTES) scripts/soak.sh $(BUILD)/linli

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp')

format-check:
	clang-format --dry-run --Werror $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) web/dist

# Benchmarks: a synthetic city, wrk at 64 connections, one table (bench/run.sh,
# docs/PERFORMANCE.md). BENCH_CASES=10000000 for the 10M-case figures; BENCH_PG=1
# adds PostgreSQL side by side; bench/import.sh times the resident import (20k,
# 100k, 1M rows; IMPORT_ROWS). Reports figures, never fails on a time.
bench:
	@scripts/install-deps.sh --bench
	bench/run.sh
	bench/import.sh
