#pragma once
// Internal: Cap'n Proto's packed encoding, written and read in one pass over the journal's
// own buffers. The bytes are exactly capnp::writePackedMessage's and the words exactly what
// capnp's PackedInputStream reads (the unit tests hold both to Cap'n Proto's own code);
// what is saved are its stream layers around the packing loop itself: a virtual call per
// chunk, a heap segment table per message and an 8 KiB staging buffer (bench/README.md).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace trader::journal {

// Appends the packed form of `piece` (whole words: a segment table or one segment; Cap'n
// Proto packs each on its own, so no run crosses from one into the next).
void pack_piece(std::span<const std::uint8_t> piece, std::vector<std::uint8_t>& out);

// Unpacks exactly `bytes` bytes (whole words) from `packed` at `at` into `dst`, moving `at`
// past what it read. False when the input ends first, or when a run goes past `bytes`
// (a message's pieces end where a run ends; Cap'n Proto refuses that too).
bool unpack_exact(std::span<const std::uint8_t> packed, std::size_t& at, std::uint8_t* dst, std::size_t bytes);

// The same a byte at a time: what the two above do on a CPU without SSSE3's byte shuffle
// (and on other architectures). The unit tests hold both to Cap'n Proto.
namespace detail {
void pack_piece_bytewise(std::span<const std::uint8_t> piece, std::vector<std::uint8_t>& out);
bool unpack_exact_bytewise(std::span<const std::uint8_t> packed, std::size_t& at, std::uint8_t* dst, std::size_t bytes);
}  // namespace detail

}  // namespace trader::journal
