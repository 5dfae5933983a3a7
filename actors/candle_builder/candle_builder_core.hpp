#pragma once
// candle_builder: trades (or aggTrades) and exchange klines -> closed OHLCV candles per
// symbol and interval, by data time.
//
// Policy:
//  - A trade belongs to the interval containing its exchange trade time (T). A candle
//    closes when a trade of a later interval arrives, or when a ClockTick's time passes
//    the interval's end plus `close_grace_ms` (quiet markets; ticks are receive time).
//  - An interval with no trades still closes as a flat candle: open = high = low = close
//    = the previous close, volume 0, trades 0, vwap = that price. Nothing is emitted for
//    a symbol before its first trade.
//  - A gap longer than `max_flat_candles` intervals (a node resumed after days away, two
//    capture days far apart) is not filled: one `candle_gap` error record says which
//    intervals have no candle, and the next candle opens where the data resumes. The work
//    one input can cause stays bounded.
//  - A trade or kline for an interval already closed (late beyond the grace) is not added,
//    so published candles never change; it is reported as an `error` record (late_trade,
//    late_kline).
//  - Closed exchange klines (x=true) of interval I are published as candles of interval I
//    (from_exchange) when I is configured, and rolled up into every configured interval
//    that is a multiple of I; such a candle closes when its last kline arrives. Open
//    klines (x=false) are ignored. VWAP = quote volume / volume when both are known and
//    their quotient fits in 64 bits, else the typical price (high + low + close) / 3.
//  - The candles a history kline (a live session's warm-up) closes are marked history:
//    the strategies learn from them, nobody trades on them.
//  - Candles are emitted in ascending interval order, then time order.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/actor_core.hpp"

namespace trader {

struct CandleBuilderConfig {
  std::vector<std::uint32_t> intervals_s{60};  // ascending
  bool use_agg_trades = false;                 // aggregate aggTrade instead of trade
  std::int64_t close_grace_ms = 2000;
  std::int64_t max_flat_candles = 1440;  // per symbol and interval, in one gap
};

class CandleBuilderCore final : public ActorCore {
 public:
  explicit CandleBuilderCore(CandleBuilderConfig config);
  Actor id() const override { return Actor::candle_builder; }
  void on(const Delivery& in, Outbox& out) override;
  // Market data answers; a clock tick only from the earliest time one of its intervals
  // closes (plus the grace), which only market data moves.
  Quiet quiet() const override;
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;

  // Where history for the symbol may start without being late or counted twice: after
  // every candle it published and after the shortest interval's open one if it has data.
  // nullopt: nothing of the symbol yet.
  std::optional<std::int64_t> history_resume_ms(const std::string& symbol) const;

 private:
  struct Bucket {
    std::int64_t open_time_ms = 0;  // start of the interval being filled
    bool has_data = false;          // at least one trade/kline in it
    bool started = false;           // the symbol has had a first trade
    std::int64_t open = 0, high = 0, low = 0, close = 0, volume = 0, quote_volume = 0;
    std::uint64_t trades = 0;
    bool from_exchange = false;
    bool quote_known = true;
    std::int64_t last_close = 0;
  };
  struct Piece {  // a trade, or a kline rolled up
    std::int64_t time_ms;
    std::int64_t open, high, low, close, volume, quote_volume;
    std::uint64_t trades;
    bool from_exchange, quote_known;
  };

  void add(const std::string& symbol, std::uint32_t interval_s, Bucket& b, const Piece& p, const Delivery& in,
           Outbox& out);
  void close_until(const std::string& symbol, std::uint32_t interval_s, Bucket& b, std::int64_t now_ms,
                   const Delivery& in, Outbox& out);
  void emit(const std::string& symbol, std::uint32_t interval_s, Bucket& b, Outbox& out);
  void on_trade(const std::string& symbol, std::int64_t price, std::int64_t qty, std::int64_t trade_ts_ms,
                const Delivery& in, Outbox& out);
  void on_kline(const Kline& k, const Delivery& in, Outbox& out);
  bool late(const std::string& symbol, const char* what, std::int64_t time_ms, const Delivery& in, Outbox& out) const;

  CandleBuilderConfig config_;
  // symbol -> interval -> bucket. std::map: iteration order is part of the output order.
  std::map<std::string, std::map<std::uint32_t, Bucket>> buckets_;
};

}  // namespace trader
