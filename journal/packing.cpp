#include "journal/packing.hpp"

#include "journal/packing_loops.hpp"

namespace trader::journal {
namespace {
using namespace packing_internal;

// A byte at a time: eight dependent steps a word.
struct Bytewise {
  static std::uint8_t pack_word(const std::uint8_t* in, std::uint8_t*& o) {
    std::uint8_t* tag_at = o++;
    std::uint8_t tag = 0;
    for (unsigned i = 0; i < kWord; ++i) {
      *o = in[i];
      const bool nonzero = in[i] != 0;
      tag |= static_cast<std::uint8_t>(nonzero << i);
      o += nonzero;
    }
    *tag_at = tag;
    return tag;
  }
  static std::size_t unpack_word(std::uint8_t tag, const std::uint8_t* in, std::uint8_t* out) {
    const std::uint8_t* const start = in;
    for (unsigned i = 0; i < kWord; ++i) {
      const bool nonzero = (tag >> i) & 1U;
      out[i] = nonzero ? *in : 0;
      in += nonzero;
    }
    return static_cast<std::size_t>(in - start);
  }
};

#if defined(TRADER_PACKING_SSSE3)
// Asked during static initialization, which may run before the runtime's own CPU probe:
// hence the explicit init.
const bool kShuffles = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("ssse3") != 0;
}();
#else
constexpr bool kShuffles = false;
#endif

}  // namespace

namespace detail {
void pack_piece_bytewise(std::span<const std::uint8_t> piece, std::vector<std::uint8_t>& out) {
  pack_loop<Bytewise>(piece, out);
}
bool unpack_exact_bytewise(std::span<const std::uint8_t> packed, std::size_t& at, std::uint8_t* dst, std::size_t bytes) {
  return unpack_loop<Bytewise>(packed, at, dst, bytes);
}
}  // namespace detail

void pack_piece(std::span<const std::uint8_t> piece, std::vector<std::uint8_t>& out) {
#if defined(TRADER_PACKING_SSSE3)
  if (kShuffles) return pack_piece_ssse3(piece, out);
#endif
  detail::pack_piece_bytewise(piece, out);
}

bool unpack_exact(std::span<const std::uint8_t> packed, std::size_t& at, std::uint8_t* dst, std::size_t bytes) {
#if defined(TRADER_PACKING_SSSE3)
  if (kShuffles) return unpack_exact_ssse3(packed, at, dst, bytes);
#endif
  return detail::unpack_exact_bytewise(packed, at, dst, bytes);
}

}  // namespace trader::journal
