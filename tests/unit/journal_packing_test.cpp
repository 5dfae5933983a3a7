// The journal's own packing (journal/packing.hpp) against Cap'n Proto's: the same bytes
// out, the same words back, the same inputs refused.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <capnp/serialize-packed.h>
#include <kj/io.h>

#include "journal/packing.hpp"

using namespace trader::journal;

namespace {

// Words whose bytes are zero with probability `zero`, with long runs of zero words and of
// full words now and then (the cases where a run count stops at 255).
std::vector<std::uint8_t> random_words(std::mt19937_64& rng, std::size_t words, double zero) {
  std::vector<std::uint8_t> out(words * 8);
  std::bernoulli_distribution is_zero(zero), run(0.02);
  std::uniform_int_distribution<int> byte(1, 255), run_words(1, 300), kind(0, 1);
  for (std::size_t w = 0; w < words;) {
    if (run(rng)) {
      const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(run_words(rng)), words - w);
      const bool full = kind(rng) == 1;
      for (std::size_t i = 0; i < n * 8; ++i)
        out[w * 8 + i] = full ? static_cast<std::uint8_t>(byte(rng)) : 0;
      w += n;
      continue;
    }
    for (std::size_t i = 0; i < 8; ++i) out[w * 8 + i] = is_zero(rng) ? 0 : static_cast<std::uint8_t>(byte(rng));
    ++w;
  }
  return out;
}

std::vector<std::uint8_t> capnp_pack(const std::vector<std::uint8_t>& bytes) {
  kj::VectorOutputStream sink;
  {
    capnp::_::PackedOutputStream packed(sink);
    packed.write(bytes.data(), bytes.size());
  }
  auto out = sink.getArray();
  return {out.begin(), out.end()};
}

// Cap'n Proto's reader asked for exactly `bytes`: the words, or nothing when it refuses.
bool capnp_unpack(const std::vector<std::uint8_t>& packed, std::size_t bytes, std::vector<std::uint8_t>& out) {
  out.assign(bytes, 0);
  try {
    kj::ArrayInputStream raw(kj::ArrayPtr<const kj::byte>(packed.data(), packed.size()));
    capnp::_::PackedInputStream in(raw);
    return in.tryRead(out.data(), bytes, bytes) == bytes;
  } catch (const kj::Exception&) {
    return false;
  }
}

}  // namespace

TEST_CASE("packing writes Cap'n Proto's bytes, and unpacking reads its words back, for words of every density") {
  std::mt19937_64 rng(20261206);
  for (double zero : {0.0, 0.1, 0.5, 0.9, 1.0}) {
    for (std::size_t words : {1u, 2u, 7u, 64u, 255u, 256u, 257u, 600u}) {
      const auto bytes = random_words(rng, words, zero);
      std::vector<std::uint8_t> ours;
      pack_piece(bytes, ours);
      REQUIRE_MESSAGE(ours == capnp_pack(bytes), words << " words, zero bytes " << zero);
      std::vector<std::uint8_t> back(bytes.size());
      std::size_t at = 0;
      REQUIRE(unpack_exact(ours, at, back.data(), back.size()));
      CHECK(at == ours.size());
      CHECK(back == bytes);
    }
  }
}

TEST_CASE("unpacking refuses what Cap'n Proto refuses: input ending early, a run past the words asked for") {
  std::mt19937_64 rng(7);
  std::size_t refused = 0, read = 0;
  for (int round = 0; round < 300; ++round) {
    const auto bytes = random_words(rng, 1 + rng() % 40, round % 3 == 0 ? 0.9 : 0.3);
    std::vector<std::uint8_t> packed;
    pack_piece(bytes, packed);
    // Cut short, with a byte changed, or asked for fewer words than were packed.
    if (round % 3 == 0) packed.resize(rng() % packed.size());
    if (round % 3 == 1 && !packed.empty()) packed[rng() % packed.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    const std::size_t ask = round % 3 == 2 ? 8 * (1 + rng() % (bytes.size() / 8)) : bytes.size();
    std::vector<std::uint8_t> theirs, ours(ask);
    const bool capnp_ok = capnp_unpack(packed, ask, theirs);
    std::size_t at = 0;
    const bool ok = unpack_exact(packed, at, ours.data(), ask);
    REQUIRE_MESSAGE(ok == capnp_ok, "round " << round);
    if (ok) {
      CHECK(ours == theirs);
      ++read;
    } else {
      ++refused;
    }
  }
  CHECK(refused > 50);  // both kinds of outcome were tried
  CHECK(read > 50);
}
