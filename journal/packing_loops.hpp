#pragma once
// Internal to journal/packing*.cpp: the packing loops, written once over how one word is
// packed and unpacked (a Step), and instantiated by each file with its own compile flags
// (packing_ssse3.cpp is built for SSSE3, and only called on CPUs that have it).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace trader::journal::packing_internal {

constexpr std::size_t kWord = 8;
constexpr std::size_t kMaxRun = 255;  // words after a tag of 0x00 or 0xff: a one-byte count

inline std::uint64_t word_at(const std::uint8_t* p) {
  std::uint64_t w;
  std::memcpy(&w, p, kWord);
  return w;
}

// Step::pack_word(in, o): writes the tag of the word at `in` and its nonzero bytes at `o`
// (with at least 9 bytes of room), moves `o` past them, and returns the tag.
// Step::unpack_word(tag, in, out): writes the word of `tag` whose bytes are at `in` (at
// least 8 of them readable) to `out`, and returns how many bytes it took.
template <class Step>
void pack_loop(std::span<const std::uint8_t> piece, std::vector<std::uint8_t>& out) {
  const std::uint8_t* in = piece.data();
  const std::uint8_t* const end = in + piece.size();
  // At most 10 bytes a word (tag, 8 bytes, a count), written through a pointer into room
  // made once, then cut to what was written.
  const std::size_t start = out.size();
  out.resize(start + piece.size() / kWord * 10 + 2);
  std::uint8_t* o = out.data() + start;
  while (in < end) {
    // A tag byte says which of the word's 8 bytes are nonzero; those bytes follow it.
    const std::uint8_t tag = Step::pack_word(in, o);
    in += kWord;
    if (tag == 0) {  // a zero word: then the count of zero words after it
      const std::uint8_t* limit = in + std::min<std::size_t>(static_cast<std::size_t>(end - in), kMaxRun * kWord);
      const std::uint8_t* run = in;
      while (run < limit && word_at(run) == 0) run += kWord;
      *o++ = static_cast<std::uint8_t>((run - in) / kWord);
      in = run;
    } else if (tag == 0xff) {
      // A full word: then the count of words after it, taken as they are, that have at
      // most one zero byte (at two, packing wins again), and those words.
      const std::uint8_t* limit = in + std::min<std::size_t>(static_cast<std::size_t>(end - in), kMaxRun * kWord);
      const std::uint8_t* run = in;
      while (run < limit) {
        unsigned zeros = 0;
        for (unsigned i = 0; i < kWord; ++i) zeros += run[i] == 0;
        if (zeros >= 2) break;
        run += kWord;
      }
      *o++ = static_cast<std::uint8_t>((run - in) / kWord);
      std::memcpy(o, in, static_cast<std::size_t>(run - in));
      o += run - in;
      in = run;
    }
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
}

template <class Step>
bool unpack_loop(std::span<const std::uint8_t> packed, std::size_t& at_out, std::uint8_t* dst, std::size_t bytes) {
  // A local position, given back however this ends: the bytes written through `out` may
  // alias `at_out`, so the compiler would reload it after every word.
  std::size_t at = at_out;
  struct GiveBack {
    std::size_t& to;
    const std::size_t& from;
    ~GiveBack() { to = from; }
  } give_back{at_out, at};
  std::uint8_t* out = dst;
  std::uint8_t* const end = dst + bytes;
  const std::size_t size = packed.size();
  while (out < end) {
    if (at >= size) return false;
    const std::uint8_t tag = packed[at++];
    if (size - at >= kWord) {  // the usual case: the tag's bytes are all there
      at += Step::unpack_word(tag, packed.data() + at, out);
    } else {
      for (unsigned i = 0; i < kWord; ++i) {
        if ((tag & (1U << i)) == 0) {
          out[i] = 0;
          continue;
        }
        if (at >= size) return false;
        out[i] = packed[at++];
      }
    }
    out += kWord;
    if (tag != 0 && tag != 0xff) continue;
    if (at >= size) return false;
    const std::size_t run = std::size_t{packed[at++]} * kWord;
    if (run > static_cast<std::size_t>(end - out)) return false;
    if (tag == 0) {
      std::memset(out, 0, run);
    } else {
      if (run > size - at) return false;
      std::memcpy(out, packed.data() + at, run);
      at += run;
    }
    out += run;
  }
  return true;
}

// packing_ssse3.cpp (x86-64 builds only): the loops with one byte shuffle a word.
void pack_piece_ssse3(std::span<const std::uint8_t> piece, std::vector<std::uint8_t>& out);
bool unpack_exact_ssse3(std::span<const std::uint8_t> packed, std::size_t& at, std::uint8_t* dst, std::size_t bytes);

}  // namespace trader::journal::packing_internal
