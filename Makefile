# The two commands a newcomer runs: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

FLIGHTDECK := .build/debug/flightdeck

.PHONY: demo test build deps build-deps

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
