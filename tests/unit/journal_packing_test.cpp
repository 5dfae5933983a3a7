// The journal's own packing (journal/packing.hpp) against Cap'n Proto's: the same bytes
// out, the same words back, the same inputs refused.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
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

// The dispatched functions (a byte shuffle where the CPU has one) and the bytewise ones.
struct Packing {
  const char* name;
  void (*pack)(std::span<const std::uint8_t>, std::vector<std::uint8_t>&);
  bool (*unpack)(std::span<const std::uint8_t>, std::size_t&, std::uint8_t*, std::size_t);
};
const Packing kPackings[] = {{"dispatched", pack_piece, unpack_exact},
                             {"bytewise", detail::pack_piece_bytewise, detail::unpack_exact_bytewise}};

// `piece` packed by `impl` after the bytes `before` already in the output: Cap'n Proto's
// bytes follow them untouched, and unpacking from there gives the words back, all of it read.
void check_round_trip(const Packing& impl, const std::vector<std::uint8_t>& piece,
                      const std::vector<std::uint8_t>& before, const std::string& what) {
  std::vector<std::uint8_t> ours = before;
  impl.pack(piece, ours);
  REQUIRE_MESSAGE(std::vector<std::uint8_t>(ours.begin() + static_cast<std::ptrdiff_t>(before.size()), ours.end()) ==
                      capnp_pack(piece),
                  impl.name << ": " << what);
  CHECK(std::equal(before.begin(), before.end(), ours.begin()));
  std::vector<std::uint8_t> back(piece.size());
  std::size_t at = before.size();
  REQUIRE(impl.unpack(ours, at, back.data(), back.size()));
  CHECK(at == ours.size());
  CHECK(back == piece);
}

}  // namespace

TEST_CASE("packing writes Cap'n Proto's bytes, and unpacking reads its words back, for words of every density") {
  for (const auto& impl : kPackings) {
    std::mt19937_64 rng(20261206);
    for (double zero : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      for (std::size_t words : {1u, 2u, 7u, 64u, 255u, 256u, 257u, 600u}) {
        check_round_trip(impl, random_words(rng, words, zero), {},
                         std::to_string(words) + " words, zero bytes " + std::to_string(zero));
      }
    }
  }
}

TEST_CASE("packing and unpacking agree with Cap'n Proto on every tag, after any prefix in the output") {
  // Each of the 256 tags: a word whose bytes are zero exactly where the tag's bits are not,
  // alone and between other words, packed into a buffer that already holds bytes.
  for (const auto& impl : kPackings) {
    std::mt19937_64 rng(256);
    for (unsigned tag = 0; tag < 256; ++tag) {
      std::vector<std::uint8_t> bytes(3 * 8);
      for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = i / 8 == 1 && !(tag >> (i % 8) & 1U) ? 0 : static_cast<std::uint8_t>(1 + rng() % 255);
      for (const auto& piece : {std::vector<std::uint8_t>(bytes.begin() + 8, bytes.begin() + 16), bytes})
        check_round_trip(impl, piece, {0xab, 0xcd}, "tag " + std::to_string(tag));
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
    std::vector<std::uint8_t> theirs;
    const bool capnp_ok = capnp_unpack(packed, ask, theirs);
    for (const auto& impl : kPackings) {
      std::vector<std::uint8_t> ours(ask);
      std::size_t at = 0;
      const bool ok = impl.unpack(packed, at, ours.data(), ask);
      REQUIRE_MESSAGE(ok == capnp_ok, impl.name << ": round " << round);
      if (ok) {
        CHECK(ours == theirs);
        ++read;
      } else {
        ++refused;
      }
    }
  }
  CHECK(refused > 100);  // both kinds of outcome were tried, by both
  CHECK(read > 100);
}
