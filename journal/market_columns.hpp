#pragma once
// Internal: the market records of a compacted block (trades, aggregate trades, book
// tickers, depth updates),
// column by column. Each field goes to its own stream as a zigzag varint, most of them as
// the difference from the same field of the symbol's previous record (prices, ids, the
// first level of each side) or of the record itself (exchange time against receive time,
// a level against the level before it), so that zstd sees long runs of small numbers
// where the stored records hold scattered 8-byte words. A record is written here only
// when its header and message encode back into exactly its stored bytes
// (BlockEncoder checks), so the decoder's output is the record itself.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "messages/message_types.hpp"

namespace trader::journal {

// Whether a message is one these columns hold.
bool is_market_column_type(std::uint16_t type_id);

enum class MarketStream : std::uint8_t {
  // plain varints
  header, symbol, counts,
  // signed differences (zigzag varints)
  recv_ts, exchange_ts, ids,
  // signed differences in units of the stream's greatest common divisor in the block
  // (prices move in ticks, quantities in lots), written before them
  trade_prices, trade_quantities, ticker_prices, ticker_quantities, depth_prices, depth_quantities,
  count_
};
inline constexpr std::size_t kMarketStreams = static_cast<std::size_t>(MarketStream::count_);

// The per-symbol values the next record's differences are taken from.
struct MarketSymbolState {
  std::uint64_t trade_price = 0, trade_id = 0;
  std::uint64_t agg_id = 0, agg_last_trade = 0;
  std::uint64_t ticker_id = 0, ticker_bid = 0;
  std::uint64_t depth_id = 0, depth_bid = 0, depth_ask = 0;
};

class MarketColumnEncoder {
 public:
  // Adds a record of a type is_market_column_type accepts (seq is implied by its place).
  void add(const EnvelopeHeader& header, const Message& message);
  // The streams, each prefixed by its length; empties the encoder.
  void finish(std::vector<std::uint8_t>& out);

 private:
  std::uint32_t symbol_index(const std::string& symbol);
  std::array<std::vector<std::uint64_t>, kMarketStreams> values_;
  std::vector<std::uint8_t> flags_;       // a byte a record: its type, and a trade's buyer_maker
  std::vector<std::uint8_t> dictionary_;  // each symbol in order of first use: varint length, bytes
  std::vector<std::string> symbols_;
  std::vector<MarketSymbolState> state_;
  EnvelopeHeader last_{};
};

class MarketColumnDecoder {
 public:
  // Reads the streams finish() wrote.
  Status load(std::span<const std::uint8_t> bytes);
  // The next market record, given the seq of its place in the block.
  Status next(std::uint64_t seq, EnvelopeHeader& header, Message& message);

 private:
  struct Stream {
    std::span<const std::uint8_t> bytes;
    std::size_t at = 0;
    std::uint64_t unit = 1;  // a scaled stream's divisor
  };
  // The next value of a stream as add() put it; false when the stream ends.
  bool read(MarketStream s, std::uint64_t& v);
  std::array<Stream, kMarketStreams> streams_;
  Stream flags_, dictionary_;
  std::vector<std::string> symbols_;
  std::vector<MarketSymbolState> state_;
  EnvelopeHeader last_{};
};

}  // namespace trader::journal
