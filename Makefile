# The two commands of the README: `make run` and `make test`.

GO ?= go

.PHONY: run test build fuzz bench

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

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
