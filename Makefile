# Tessera: the commands of the README and of the contract (section 1).
BUILD_DIR   ?= build
ASAN_DIR    ?= build-asan
FUZZ_DIR    ?= build-fuzz
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: setup configure build run test test-unit test-asan fuzz fuzz-smoke bench soak clean format deb

setup:
	scripts/setup

configure:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: setup build
	./$(BUILD_DIR)/tessera serve --demo

# All tests: the Release build, then a short smoke of every fuzz target, then every suite again
# under ASan+UBSan (so CTest's summary closes the run).
test: setup build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
	$(MAKE) fuzz-smoke
	$(MAKE) test-asan

test-asan:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTESSERA_SANITIZE=ON \
	  -DTESSERA_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

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
# on any error. CTest runs a 30 s smoke of it (hardening_soak_smoke).
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
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
