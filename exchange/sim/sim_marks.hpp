#pragma once
// exchange-sim's perpetual mark price streams (personalities binance_usdm, kucoin_futures): the bundled
// perpetual captures hold trades and books but no markPrice frames, so the sim makes
// them as Binance publishes them (<symbol>@markPrice@1s, markPriceUpdate): the mark is the
// book's mid (toward zero), at every `every_ms` of the stream's time for each symbol with
// a book, announcing a configured funding rate for the next funding time (a multiple of
// `funding_interval_ms` since the epoch, UTC, as Binance's 00:00, 08:00, 16:00).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trader::sim {

struct MarkSchedule {
  std::int64_t every_ms = 1000;
  std::int64_t funding_rate = 10'000;            // fixed point: 0.0001
  std::int64_t funding_interval_ms = 28'800'000;  // 8 h
  bool kucoin_futures = false;                    // KuCoin Futures' frames instead (below)
};

// kucoin_futures: per symbol ("XBTUSDTM"), /contract/instrument:SYMBOL's mark.index.price
// (the mid, a JSON number; index = mark) at each boundary, its funding.rate (the configured
// rate) at each minute, and at each funding time /contract/announcement's funding.begin at
// that rate, ahead of that time's mark (the venue settles at the mark it had).
struct MarkFrame {
  std::string stream, text;  // "btcusdt@markPrice@1s" (or the KuCoin topic subscribed), the frame
};

class SimMarks {
 public:
  explicit SimMarks(MarkSchedule schedule) : schedule_(schedule) {}

  // A book's best prices, `symbol` as the venue writes it ("BTCUSDT").
  void on_book(const std::string& symbol, std::int64_t bid, std::int64_t ask);

  // The frames due by `now_ms` (the stream's time, as its frames say it): for each
  // `every_ms` boundary passed since the last call, one per symbol with a book, in symbol
  // order. The first call starts the clock and returns nothing.
  std::vector<MarkFrame> due(std::int64_t now_ms);

 private:
  void kucoin_futures_frames(const std::string& symbol, std::int64_t mid, std::int64_t t, std::int64_t next_funding,
                             std::vector<MarkFrame>& out) const;
  MarkSchedule schedule_;
  std::map<std::string, std::int64_t> mid_;
  std::int64_t last_ms_ = 0;
};

}  // namespace trader::sim
