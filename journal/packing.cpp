#include "journal/packing.hpp"

#include <algorithm>
#include <cstring>

namespace trader::journal {
namespace {
constexpr std::size_t kWord = 8;
constexpr std::size_t kMaxRun = 255;  // words after a tag of 0x00 or 0xff: a one-byte count

std::uint64_t word_at(const std::uint8_t* p) {
  std::uint64_t w;
  std::memcpy(&w, p, kWord);
  return w;
}
}  // namespace

void pack_piece(std::span<const std::uint8_t> piece, std::vector<std::uint8_t>& out) {
  const std::uint8_t* in = piece.data();
  const std::uint8_t* const end = in + piece.size();
  // At most 10 bytes a word (tag, 8 bytes, a count), written through a pointer into room
  // made once, then cut to what was written.
  const std::size_t start = out.size();
  out.resize(start + piece.size() / kWord * 10 + 2);
  std::uint8_t* o = out.data() + start;
  while (in < end) {
    // A tag byte says which of the word's 8 bytes are nonzero; those bytes follow it.
    std::uint8_t* tag_at = o++;
    std::uint8_t tag = 0;
    for (unsigned i = 0; i < kWord; ++i) {
      *o = in[i];
      const bool nonzero = in[i] != 0;
      tag |= static_cast<std::uint8_t>(nonzero << i);
      o += nonzero;
    }
    *tag_at = tag;
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

bool unpack_exact(std::span<const std::uint8_t> packed, std::size_t& at, std::uint8_t* dst, std::size_t bytes) {
  std::uint8_t* out = dst;
  std::uint8_t* const end = dst + bytes;
  const std::size_t size = packed.size();
  while (out < end) {
    if (at >= size) return false;
    const std::uint8_t tag = packed[at++];
    if (size - at >= kWord) {  // the usual case: the tag's bytes are all there
      const std::uint8_t* in = packed.data() + at;
      for (unsigned i = 0; i < kWord; ++i) {
        const bool nonzero = (tag >> i) & 1u;
        out[i] = nonzero ? *in : 0;
        in += nonzero;
      }
      at = static_cast<std::size_t>(in - packed.data());
    } else {
      for (unsigned i = 0; i < kWord; ++i) {
        if ((tag & (1u << i)) == 0) {
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

}  // namespace trader::journal
