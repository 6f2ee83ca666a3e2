# The two commands a newcomer runs: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

FLIGHTDECK := .build/debug/flightdeck

.PHONY: demo test build deps

## Open the cockpit on the local rehearsal plan (the built-in demo launch replaces it once it exists).
demo: build
	$(FLIGHTDECK) Examples/local.yaml

## Build and run every test.
test: deps
	swift build --build-tests
	swift test

build: deps
	swift build

deps:
	@scripts/install-deps
