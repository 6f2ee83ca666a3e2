# The two commands a newcomer runs: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

FLIGHTDECK := .build/debug/flightdeck

.PHONY: demo test build deps build-deps fuzz

## Open the cockpit on the built-in demo launch: a whole go-live simulated on loopback.
demo: build
	$(FLIGHTDECK) demo

## Build and run every test.
test: deps
	swift build --build-tests
	swift test

build: build-deps
	swift build

## What building needs; `deps` adds the servers and tools the tests run.
build-deps:
	@scripts/install-deps --build

deps:
	@scripts/install-deps

## Fuzz every reader of outside bytes for FUZZ_SECONDS each (default 60): libFuzzer with
## the address sanitizer, in a build directory of its own.
FUZZ_SECONDS ?= 60
fuzz: build-deps
	swift build --product flightdeck-fuzz --scratch-path .build-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address
	scripts/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)
