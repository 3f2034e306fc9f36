# The two commands of the README: `make run` and `make test`.

GO ?= go

.PHONY: run test build fuzz bench bench-smoke

run:
	$(GO) run ./cmd/cairn serve

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

build:
	$(GO) build -o bin/cairn ./cmd/cairn

# Short fuzzing runs of every parser of outside input.
fuzz:
	$(GO) test ./internal/misp -run '^$$' -fuzz FuzzNormalizeValidate -fuzztime 30s
	$(GO) test ./internal/misp -run '^$$' -fuzz FuzzDecodeLenient -fuzztime 30s

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The load tool's short profile against a Cairn it starts itself: on SQLite, then on
# PostgreSQL when CAIRN_TEST_POSTGRES_URL names a server (in a database the tool creates
# there and drops). It fails on any failed request, timeout, scenario that did not run or
# event not whole on the server; it never judges speed. Reports go to BENCH_OUT, by default
# a new temporary directory.
BENCH_OUT ?=
BENCH_SMOKE_FLAGS ?= --profile short --check --timeout 30s

bench-smoke: build
	@set -e; \
	out="$(BENCH_OUT)"; [ -n "$$out" ] || out="$$(mktemp -d "$${TMPDIR:-/tmp}/cairn-bench-smoke.XXXXXX")"; \
	echo "bench-smoke: reports in $$out"; \
	start=$$(date +%s); \
	bin/cairn bench --start $(BENCH_SMOKE_FLAGS) --out "$$out/sqlite"; \
	echo "bench-smoke: SQLite passed in $$(( $$(date +%s) - start )) s"; \
	if [ -z "$$CAIRN_TEST_POSTGRES_URL" ]; then \
		if [ -n "$$CAIRN_REQUIRE_POSTGRES" ]; then \
			echo "bench-smoke: CAIRN_REQUIRE_POSTGRES is set but CAIRN_TEST_POSTGRES_URL is not" >&2; \
			exit 1; \
		fi; \
		echo "bench-smoke: CAIRN_TEST_POSTGRES_URL is unset: no PostgreSQL run"; \
		exit 0; \
	fi; \
	start=$$(date +%s); \
	bin/cairn bench --start-postgres-url "$$CAIRN_TEST_POSTGRES_URL" $(BENCH_SMOKE_FLAGS) \
		--out "$$out/postgres"; \
	echo "bench-smoke: PostgreSQL passed in $$(( $$(date +%s) - start )) s"
