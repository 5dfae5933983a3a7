#pragma once
// The flat form of the messages a journal mostly holds (trades, aggregate trades, book
// tickers, klines, candles, clock ticks: a symbol, numbers and bools), written straight
// into words from the struct layout the compiled-in schema gives, without a Cap'n Proto
// builder, and read back from them without a reader. The bytes are exactly those
// encode_body_flat's builder writes (the unit tests hold every covered type to it); what
// is saved is the builder itself: arena, root, struct and text allocation, and the
// segment table it makes again on output. Recording market data is mostly this, and the
// node's actors send each other mostly these.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "messages/message_types.hpp"

namespace trader {

// The first segment of the builders whose bytes this matches, in words: a message that
// needs more goes to the builder, which would give it a second segment.
inline constexpr std::size_t kFlatFirstSegmentWords = 128;

// Writes the flat message of `message` (segment table, then its one segment) into `words`,
// replacing what it held, and returns true when its type is written this way. Otherwise
// returns false and leaves `words` as it was: encode it with a builder.
bool write_flat_market(const Message& message, std::vector<std::uint64_t>& words);

// Reads a flat message of `type_id` back when its words are laid out exactly as
// write_flat_market lays them out (this build's struct sizes, the symbol right after the
// struct): the same value Cap'n Proto's reader would give, without a reader. Anything
// else (another build's sizes, another layout, damage) is none: read it with Cap'n Proto,
// which checks it. Never reads outside `words`.
std::optional<Message> read_flat_market(std::uint16_t type_id, std::span<const std::uint64_t> words);

}  // namespace trader
