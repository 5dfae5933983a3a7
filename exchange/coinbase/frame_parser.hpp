#pragma once
// Coinbase Advanced Trade WebSocket frames ({"channel", "timestamp", "sequence_num",
// "events": [...]}) as messages, the instrument written "PRODUCT@coinbase":
//  - market_trades: a trade each, in ascending trade id (a subscription's snapshot lists
//    the newest first). `side` is the taker's: "SELL" means the buyer was the maker.
//  - l2_data (the level2 channel): "snapshot" -> depth_snapshot, "update" -> depth_update,
//    the quantities absolute (0 removes the level). Coinbase numbers frames, not book
//    updates, so their update ids are 0 and the feed core checks no book continuity.
//  - ticker, ticker_batch: book_ticker (best bid and ask).
//  - candles: kline of 300 s, never closed (Coinbase updates a candle until it is over
//    and never says it is; candles are built from trades).
//  - heartbeats, subscriptions: nothing.
// `sequence_num` counts the frames of one connection across all its channels, so only
// the connection sees a gap: a jump becomes a FeedStatus gap on stream "sequence_num"
// ahead of the frame's messages, an input (not a feed-core decision: the frames that
// carry the numbers, heartbeats included, are not journaled). A number below the
// expected one is a new connection (a capture recorded across reconnects).
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "exchange/frame_decoder.hpp"

namespace trader::coinbase {

// The FeedStatus stream name of a connection's frame-number gaps.
inline constexpr const char* kSequenceStream = "sequence_num";

class FrameParser final : public FrameDecoder {
 public:
  FrameParser();
  ~FrameParser() override;
  void decode(const char* json, std::size_t len, std::size_t capacity, std::vector<ParsedFrame>& out) override;
  void reset() override { expected_.reset(); }
  using FrameDecoder::decode;  // decode(string_view), for callers without padding

  FrameParser(const FrameParser&) = delete;
  FrameParser& operator=(const FrameParser&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::optional<std::uint64_t> expected_;  // the next sequence_num on this connection
};

// RFC 3339 UTC ("2026-04-07T14:30:02.789012Z") -> milliseconds since 1970; nullopt when
// it is not one, or before 1970 or past 2262 (what 64-bit nanoseconds hold).
std::optional<std::int64_t> parse_time_ms(std::string_view text);

}  // namespace trader::coinbase
