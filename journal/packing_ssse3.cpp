// Built with -mssse3 (journal/CMakeLists.txt) and called only where the CPU has SSSE3
// (packing.cpp asks it once): a word's bytes moved into place (unpacking) or gathered
// (packing) by one pshufb from a table of 256 controls, instead of eight dependent steps.
#include <tmmintrin.h>

#include <array>

#include "journal/packing_loops.hpp"

namespace trader::journal::packing_internal {
namespace {

struct Controls {
  // unpack[tag]: bytes 0-7 pick each output byte from the tag's bytes, or 0x80 (zero);
  // pack[tag]: bytes 0-7 gather the tag's bytes. count[tag]: how many there are.
  alignas(16) std::array<std::array<std::uint8_t, 16>, 256> unpack{}, pack{};
  std::array<std::uint8_t, 256> count{};
  Controls() {
    for (unsigned tag = 0; tag < 256; ++tag) {
      unsigned n = 0;
      for (unsigned i = 0; i < kWord; ++i) {
        unpack[tag][i] = 0x80;
        if (tag >> i & 1U) {
          unpack[tag][i] = static_cast<std::uint8_t>(n);
          pack[tag][n++] = static_cast<std::uint8_t>(i);
        }
      }
      count[tag] = static_cast<std::uint8_t>(n);
    }
  }
};
const Controls kControls;

__m128i control(const std::array<std::uint8_t, 16>& c) { return _mm_load_si128(reinterpret_cast<const __m128i*>(c.data())); }

struct Shuffled {
  static std::uint8_t pack_word(const std::uint8_t* in, std::uint8_t*& o) {
    const __m128i w = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
    // Bit i of the tag: byte i is not zero.
    const auto tag = static_cast<std::uint8_t>(~_mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_setzero_si128())) & 0xff);
    *o++ = tag;
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o), _mm_shuffle_epi8(w, control(kControls.pack[tag])));
    o += kControls.count[tag];
    return tag;
  }
  static std::size_t unpack_word(std::uint8_t tag, const std::uint8_t* in, std::uint8_t* out) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi8(bytes, control(kControls.unpack[tag])));
    return kControls.count[tag];
  }
};

}  // namespace

void pack_piece_ssse3(std::span<const std::uint8_t> piece, std::vector<std::uint8_t>& out) {
  pack_loop<Shuffled>(piece, out);
}

bool unpack_exact_ssse3(std::span<const std::uint8_t> packed, std::size_t& at, std::uint8_t* dst, std::size_t bytes) {
  return unpack_loop<Shuffled>(packed, at, dst, bytes);
}

}  // namespace trader::journal::packing_internal
