# The two commands a newcomer runs: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

FLIGHTDECK := .build/debug/flightdeck

.PHONY: demo test build deps build-deps fuzz install uninstall install-files uninstall-files

## Open the cockpit on the built-in demo launch: a whole go-live simulated on loopback.
demo: build
	$(FLIGHTDECK) demo

## Build and run every test. At most three at once: the tests run real servers, agents and
## cockpits against the clock on two cores, and Swift Testing's default of twice the cores
## starves the ones that keep time (a poller on a real clock, the demo at 10x).
test: deps
	swift build --build-tests
	swift build --product generate-manual
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=3 swift test

## Quietly: a line to say so, then only errors (the demo's screen is not a build log).
build: build-deps
	@echo "building flightdeck (the first build takes a few minutes)..."
	@swift build -q

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

## Install the binary, its man page and shell completions (bash, zsh, fish) under PREFIX,
## staged under DESTDIR for packagers; `make uninstall` removes them.
PREFIX ?= /usr/local
CONFIGURATION ?= release
BUILT := .build/$(CONFIGURATION)/flightdeck
GENERATE_MANUAL := .build/debug/generate-manual
ROOT := $(DESTDIR)$(PREFIX)
INSTALLED := $(ROOT)/bin/flightdeck $(ROOT)/share/man/man1/flightdeck.1 \
	$(ROOT)/share/bash-completion/completions/flightdeck $(ROOT)/share/zsh/site-functions/_flightdeck \
	$(ROOT)/share/fish/vendor_completions.d/flightdeck.fish

install: build-deps
	swift build -c $(CONFIGURATION) --product flightdeck
	swift build --product generate-manual
	$(MAKE) install-files

uninstall: uninstall-files

## What `install` does once the binary and the manual's generator are built.
install-files:
	install -d $(ROOT)/bin $(ROOT)/share/man/man1 $(ROOT)/share/bash-completion/completions \
	  $(ROOT)/share/zsh/site-functions $(ROOT)/share/fish/vendor_completions.d
	install -m 755 $(BUILT) $(ROOT)/bin/flightdeck
	$(GENERATE_MANUAL) $(BUILT) --output-directory - > $(ROOT)/share/man/man1/flightdeck.1
	$(BUILT) --generate-completion-script bash > $(ROOT)/share/bash-completion/completions/flightdeck
	$(BUILT) --generate-completion-script zsh > $(ROOT)/share/zsh/site-functions/_flightdeck
	$(BUILT) --generate-completion-script fish > $(ROOT)/share/fish/vendor_completions.d/flightdeck.fish

uninstall-files:
	rm -f $(INSTALLED)
