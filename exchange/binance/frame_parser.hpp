#pragma once
// Parses Binance spot market-data JSON into message values: combined-stream frames
// ({"stream":"<symbol>@<channel>","data":{...}}) for trade, aggTrade, bookTicker,
// depth (diff and partial book), kline and USDⓈ-M's markPrice, plus the REST depth snapshot
// ({"lastUpdateId":...,"bids":...,"asks":...}). Exchange ids and timestamps are kept;
// prices and quantities become fixed point exactly or the frame is malformed.
// The same parser serves capture import and the live WebSocket feed, and Binance USDⓈ-M
// futures (the same frames; its instruments are named "BTCUSDT@binance_usdm").
#include <cstddef>
#include <memory>
#include <string>

#include "exchange/frame_decoder.hpp"
#include "messages/message_types.hpp"

namespace trader::binance {

using ParsedFrame = trader::ParsedFrame;

class FrameParser final : public FrameDecoder {
 public:
  // venue: binance (symbols bare) or binance_usdm (symbols named for it).
  explicit FrameParser(VenueId venue = VenueId::binance);
  ~FrameParser() override;

  // `json` must stay readable for `capacity` bytes, with capacity >= len + 64
  // (simdjson's padding); the bytes past `len` are never interpreted.
  ParsedFrame parse(const char* json, std::size_t len, std::size_t capacity);
  // For callers without padding: copies into an internal padded buffer first.
  ParsedFrame parse(std::string_view json);

  // REST depth snapshots carry no symbol; they take this one (set from the stream
  // frames around them, or by the caller).
  void set_snapshot_symbol(std::string symbol) override;

  void decode(const char* json, std::size_t len, std::size_t capacity, std::vector<ParsedFrame>& out) override;

  FrameParser(const FrameParser&) = delete;
  FrameParser& operator=(const FrameParser&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "1m" -> 60, "4h" -> 14400, "1M" -> 2592000 (30 days). 0 when not an interval.
std::uint32_t interval_seconds(std::string_view interval);

// USDⓈ-M's mark price streams ("markPrice", every 3 s; "markPrice@1s"): the channels whose
// frames the parser reads as marks.
bool is_mark_price_channel(std::string_view channel);

}  // namespace trader::binance
