#!/usr/bin/env bash
# The hardening builds CI runs besides the Release build:
#   build-asan/  unit tests, trader-node and trader-tools under AddressSanitizer +
#                UndefinedBehaviorSanitizer (g++)
#   build-tsan/  trader-node and trader-tools under ThreadSanitizer, linked with a CAF core
#                built from Debian's source of the installed version (0.17.6) with
#                -fsanitize=thread, built once per machine into ~/.cache/trader/: TSan
#                reports false races in uninstrumented code that hands memory between
#                threads, which is all CAF does
#   build-fuzz/  libFuzzer targets (clang-14, with ASan + UBSan): the frame decoders
#                (Binance, Coinbase, KuCoin), config loader, journal record decoder
# Then `cmake -S . -B build -DTRADER_CHECKS=ON` registers them as tests (labels sanitize,
# tsan, fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache: paths relative to the checkout, so another clone of the same sources hits too.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# Compile time, measured on this 2-core machine (docs/testing.md, "CI"): the check trees
# are built as unity builds (up to 16 sources of a library in one translation unit, so
# Boost.Beast, CAF and Cap'n Proto headers are parsed once per batch, not once per file:
# a cold Release build took 303 s instead of 673 s), and with line tables only (-g1: a
# sanitizer's report still names file and line; 20-25% less compile time than -g). The
# compiler cache still serves another clone of the same sources: a clean CI right after a
# cold one built the three trees in 508 s (cold, after a message-schema change: 1,673 s).
unity="-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16"
opt="-O2 -g1 -DNDEBUG"
# In a unity batch, g++ sees a header's class holding a type from the batch's anonymous
# namespaces as if it were the main file's, and warns about it: noise in a unity build only.
gnu_unity="-Wno-subobject-linkage"
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $unity \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$opt" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt" \
  -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san $gnu_unity" -DCMAKE_EXE_LINKER_FLAGS="$san" > /dev/null
cmake --build build-asan --target unit_tests trader-node trader-tools journal-fault

tsan="-fsanitize=thread -fno-omit-frame-pointer"
# The instrumented CAF depends only on the pinned tarball and these flags: built once per
# machine and kept in the user's cache, keyed by both (a fresh checkout reuses it).
caf_key=$(echo "e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c $tsan" | sha256sum | cut -c1-16)
caf="${XDG_CACHE_HOME:-$HOME/.cache}/trader/caf-tsan-$caf_key"
if [ ! -f "$caf/lib/libcaf_core_static.a" ]; then
  # The same release libcaf-dev packages, from Debian's archive, checked against its hash.
  mkdir -p build-tsan/caf-src
  tarball=build-tsan/caf-src/actor-framework_0.17.6.orig.tar.gz
  curl -sSfL --retry 3 -o "$tarball" \
    http://deb.debian.org/debian/pool/main/a/actor-framework/actor-framework_0.17.6.orig.tar.gz
  echo "e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c  $tarball" | sha256sum -c --quiet
  tar xzf "$tarball" -C build-tsan/caf-src
  cmake -S build-tsan/caf-src/actor-framework-0.17.6 -B build-tsan/caf-build -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$tsan" -DCMAKE_INSTALL_PREFIX="$caf.part.$$" \
    -DCAF_BUILD_STATIC_ONLY=yes -DCAF_NO_IO=yes -DCAF_NO_OPENSSL=yes -DCAF_NO_OPENCL=yes -DCAF_NO_PYTHON=yes \
    -DCAF_NO_TOOLS=yes -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes > /dev/null
  cmake --build build-tsan/caf-build
  cmake --install build-tsan/caf-build > /dev/null
  mkdir -p "$(dirname "$caf")"
  mv -T "$caf.part.$$" "$caf" 2>/dev/null || rm -rf "$caf.part.$$"  # another run may have put it there first
fi
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $unity -DBUILD_TESTING=OFF -DTRADER_CAF_PREFIX="$caf" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$opt" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt" \
  -DCMAKE_C_FLAGS="$tsan" -DCMAKE_CXX_FLAGS="$tsan $gnu_unity" -DCMAKE_EXE_LINKER_FLAGS="$tsan" > /dev/null
cmake --build build-tsan --target trader-node trader-tools

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $unity -DTRADER_FUZZ=ON \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$opt" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt" \
  -DBUILD_TESTING=OFF -DCMAKE_C_FLAGS="$san -fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS="$san -fsanitize=fuzzer-no-link" > /dev/null
cmake --build build-fuzz --target fuzz_frame_parser fuzz_coinbase_frame fuzz_kucoin_frame fuzz_kucoin_futures_frame fuzz_config \
  fuzz_record_decoder fuzz_block_decoder
