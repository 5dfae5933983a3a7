#pragma once
// KuCoin spot WebSocket frames ({"type", "topic", "subject", "data"}) as messages, the
// instrument written "SYMBOL@kucoin":
//  - /market/match (trade.l3match): a trade. `side` is the taker's ("sell": the buyer was
//    the maker); `time` is in nanoseconds. Its id is `tradeId` (today the match's book
//    sequence, so ids rise but skip: the feed core checks them for order, not for gaps);
//    an old-style hexadecimal tradeId falls back to `sequence`.
//  - /market/ticker (trade.ticker): book_ticker (best bid and ask), update id `sequence`.
//  - /market/level2 (trade.l2update): depth_update with update ids sequenceStart ..
//    sequenceEnd (each message starts where the last ended + 1, which the feed core
//    checks), quantities absolute (0 removes the level).
//  - the REST order book (GET /api/v1/market/orderbook/level2_100, as the live stream and
//    `record` hand it on: {"code":"200000","data":{"symbol","sequence","bids","asks"}}):
//    depth_snapshot of data.symbol (which the live stream writes in, since KuCoin's answer
//    names none), else of the snapshot symbol (`--snapshot-symbol`), else of the symbol
//    of the frames before it; last update id `sequence`.
//  - welcome, ack, ping, pong: nothing. An error frame is malformed, with KuCoin's code
//    and reason; any other topic is an unknown stream.
// Decimals may carry more than 8 places when the digits past the 8th are zeros (KuCoin
// has written "0.08200000000000000000"); anything finer is malformed, never rounded.
//
// KuCoin Futures (the same protocol; instruments "XBTUSDTM@kucoin_futures"). Sizes are in
// lots of the contract's multiplier (XBTUSDTM: 0.001 XBT), made base units here, so they
// need the contract first:
//  - the contract (GET /api/v1/contracts/{symbol}, as the live stream and `record` hand it
//    on ahead of the frames: {"code":"200000","data":{"symbol","multiplier","isInverse",...}}):
//    its multiplier, kept; nothing else. An inverse contract is malformed (not traded).
//  - /contractMarket/execution (match): a trade; size in lots, `ts` in nanoseconds, id
//    `tradeId` (the feed core checks it for order, as on spot).
//  - /contractMarket/tickerV2 (tickerV2): book_ticker, sizes in lots, update id `sequence`.
//  - /contract/instrument (mark.index.price): a venue mark_price carrying the funding rate
//    the last funding.rate frame of that topic announced (funding.rate itself makes none).
//  - /contract/announcement (funding.begin): the venue's funding at `fundingTime` and
//    `fundingRate`, valued at the last mark of the symbol (none yet: malformed);
//    funding.end: nothing.
// KuCoin Futures writes marks, rates and multipliers as JSON numbers: each is read as the
// shortest decimal that is the same double (the digits KuCoin wrote), then exactly.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exchange/frame_decoder.hpp"

namespace trader::kucoin {

class FrameParser final : public FrameDecoder {
 public:
  // venue: kucoin (spot) or kucoin_futures.
  explicit FrameParser(VenueId venue = VenueId::kucoin);
  ~FrameParser() override;
  void decode(const char* json, std::size_t len, std::size_t capacity, std::vector<ParsedFrame>& out) override;
  void set_snapshot_symbol(std::string symbol) override { snapshot_symbol_ = std::move(symbol); }
  using FrameDecoder::decode;  // decode(string_view), for callers without padding

  FrameParser(const FrameParser&) = delete;
  FrameParser& operator=(const FrameParser&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  VenueId venue_;
  std::string snapshot_symbol_;  // "BTC-USDT": whose REST order books the capture holds...
  std::string last_symbol_;      // ...or, if not given, the symbol of the frames before them
};

}  // namespace trader::kucoin
