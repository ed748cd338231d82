# Tessera: the commands of the README and of the contract (section 1).
BUILD_DIR   ?= build
ASAN_DIR    ?= build-asan
TSAN_DIR    ?= build-tsan
FUZZ_DIR    ?= build-fuzz
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: setup configure build run test test-unit test-asan test-tsan lint lint-format fuzz fuzz-smoke bench soak clean \
        format deb

setup:
	scripts/setup

configure:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: setup build
	./$(BUILD_DIR)/tessera serve --demo

# All tests: the format and clang-tidy checks, the Release build, a short smoke of every fuzz
# target, every suite under ThreadSanitizer, then every suite again under ASan+UBSan (so CTest's
# summary closes the run).
test: setup build
	$(MAKE) lint
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
	$(MAKE) fuzz-smoke
	$(MAKE) test-tsan
	$(MAKE) test-asan

# The style the build declares: clang-format (.clang-format) leaves every tracked .h/.cc as it
# is (lint-format), and clang-tidy (.clang-tidy, warnings as errors) passes on every source
# under src/, with the Release build's compile_commands.json (built first: the generated headers
# are needed), one clang-tidy per core. -Wno-unknown-warning-option: GCC's flags that clang does
# not know. make test runs both (lint).
lint-format:
	git ls-files '*.h' '*.cc' | xargs clang-format --dry-run -Werror

lint: build lint-format
	run-clang-tidy -p $(BUILD_DIR) -j $(JOBS) -quiet -extra-arg=-Wno-unknown-warning-option \
	  '^$(CURDIR)/src/.*\.cc$$'

# Every suite under ASan+UBSan but the console's browser tests (label "browser": Release only,
# see test-tsan).
test-asan:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTESSERA_SANITIZE=ON \
	  -DTESSERA_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) -LE browser

# Every suite under ThreadSanitizer, RelWithDebInfo (the Python suites drive a server several
# times slower than Release under TSan). Each test's environment sets TSAN_OPTIONS (top
# CMakeLists.txt): the first report stops the process with a failing status, and the Python
# helpers fail a test whose server reported a race. Third-party false positives only are
# suppressed, in tests/tsan.supp. Not run here: hardening_soak_smoke, whose bound is on the
# server's RSS growth, which under TSan is the sanitizer's shadow and history memory growing
# with every address touched (Release and ASan run it; the races it could meet are those of the
# token path, which the integration suites drive here). Nor the console's browser tests (label
# "browser", tests/console): they run in the Release ctest only, here and under ASan alike, since
# chromium and Node are not what the sanitizers check and the server paths they drive are the
# integration suites' too.
TSAN_EXCLUDE ?= -E '^hardening_soak_smoke$$' -LE browser
test-tsan:
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTESSERA_TSAN=ON \
	  -DTESSERA_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(TSAN_DIR) -j $(JOBS)
	ctest --test-dir $(TSAN_DIR) --output-on-failure -j $(JOBS) $(TSAN_EXCLUDE)

# libFuzzer targets (clang). FUZZ_SECONDS per target; `make fuzz` runs long, fuzz-smoke briefly.
FUZZ_SECONDS ?= 300
fuzz-build:
	CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DTESSERA_FUZZ=ON -DTESSERA_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_targets

fuzz: setup fuzz-build
	tests/fuzz/run $(FUZZ_DIR) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	tests/fuzz/run $(FUZZ_DIR) 10

bench: setup build
	bench/run $(BUILD_DIR)

# The soak test: bench/soak at half of the peak for SOAK_SECONDS, with the server's RSS and p99
# every SOAK_INTERVAL seconds (default 5); fails on RSS growth of 5% or more after warm-up, or
# on any error. CTest runs a 30 s smoke of it after a 15 s peak (hardening_soak_smoke).
SOAK_SECONDS ?= 300
soak: setup configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target tessera token_load
	SOAK_SECONDS=$(SOAK_SECONDS) bench/soak $(BUILD_DIR)

# Debian packages into $(BUILD_DIR)/deb: tessera_<version>_<arch>.deb (the server as a systemd
# service) and libtessera-dev_<version>_<arch>.deb (headers, libraries, CMake and pkg-config).
deb: setup build
	packaging/deb/build-debs $(BUILD_DIR) $(BUILD_DIR)/deb

format:
	find src include tests bench examples -name '*.h' -o -name '*.cc' 2>/dev/null | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
