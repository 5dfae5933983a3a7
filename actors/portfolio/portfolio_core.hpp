#pragma once
// portfolio: cash, positions, average entry, realized and unrealized PnL, fees, equity,
// peak equity and drawdown, from fills (OrderEvent) and marks (candles of one interval).
// Publishes PortfolioState after every fill and every mark candle.
//
// Accounting (spot, fees in the quote asset): a buy adds to the position at a
// quantity-weighted average entry and costs qty*price + fee; a sell realises
// (price - average entry) * qty and returns qty*price - fee. A round trip is a position
// opened from flat and closed back to flat; it wins when its realised PnL net of all its
// fees is positive. All arithmetic is fixed point in 128-bit intermediates.
#include <cstdint>
#include <map>
#include <string>

#include "actors/actor_core.hpp"

namespace trader {

struct PortfolioConfig {
  std::string quote_asset = "USDT";
  std::int64_t starting_cash = 10000 * 100000000LL;
  std::uint32_t mark_interval_s = 60;  // candles of this interval mark positions to market
  // Holdings below this (less than one lot: what a venue's base-asset commission leaves
  // after the lots are sold) count in equity but are not positions to trade.
  std::int64_t dust_below = 0;
};

class PortfolioCore final : public ActorCore {
 public:
  explicit PortfolioCore(PortfolioConfig config);
  Actor id() const override { return Actor::portfolio; }
  void on(const Delivery& in, Outbox& out) override;
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;

  const PortfolioState& state() const { return state_; }

 private:
  struct Holding {
    std::int64_t qty = 0, avg_entry = 0, last_price = 0, realized = 0;
    std::int64_t trip_net = 0;  // realized minus fees since the position opened
  };
  void on_fill(const OrderEvent& e, Outbox& out);
  void publish(std::int64_t ts_ms, Outbox& out);

  PortfolioConfig config_;
  std::map<std::string, Holding> holdings_;
  PortfolioState state_;
};

}  // namespace trader
