#!/usr/bin/env bash
# The hardening builds CI runs besides the Release build:
#   build-asan/  unit tests, trader-node and trader-tools under AddressSanitizer +
#                UndefinedBehaviorSanitizer (g++)
#   build-fuzz/  libFuzzer targets (clang-14, with ASan + UBSan): frame parser, config
#                loader, journal record decoder
# Then `cmake -S . -B build -DTRADER_CHECKS=ON` registers them as tests (labels sanitize, fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" > /dev/null
cmake --build build-asan --target unit_tests trader-node trader-tools journal-fault
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRADER_FUZZ=ON \
  -DBUILD_TESTING=OFF -DCMAKE_C_FLAGS="$san -fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS="$san -fsanitize=fuzzer-no-link" > /dev/null
cmake --build build-fuzz --target fuzz_frame_parser fuzz_config fuzz_record_decoder
