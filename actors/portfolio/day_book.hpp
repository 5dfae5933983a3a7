#pragma once
// A session's portfolio states cut into UTC days of the data's time, exactly: each day's
// net PnL (the change of equity less the starting capital, so capital adopted from a venue
// is not profit), its fills, round trips and fees, and the worst drawdown seen that day.
// Shared by the daily-summary alert and `trader-tools report`.
#include <cstdint>
#include <optional>

#include "messages/message_types.hpp"

namespace trader {

struct DayResult {
  std::int64_t day = 0;                 // days since 1970-01-01 (UTC)
  std::int64_t start_net = 0;           // net PnL when the day began (the last state before it, or its first)
  std::optional<std::int64_t> pnl;      // end net - start net; empty if it does not fit
  std::uint32_t fills = 0, round_trips = 0, wins = 0;  // during the day
  std::int64_t fees = 0;                               // during the day
  std::uint32_t max_drawdown_ppm = 0;   // the worst drawdown of any state that day
  PortfolioState last;                  // the day's last state (its equity, positions)
  std::uint64_t last_seq = 0;           // and its seq
};

class DayBook {
 public:
  // All it remembers, to resume where it was (the projection keeps it with its progress).
  struct State {
    std::optional<DayResult> day;  // the day under way: its day, start_net, max drawdown, last state and seq
    PortfolioState first;          // that day's baseline
  };
  DayBook() = default;
  explicit DayBook(State s) : day_(std::move(s.day)), first_(std::move(s.first)) {}
  State state() const { return {day_, first_}; }

  // A state, in journal order. Returns the day it completed when it is the first of a new day.
  std::optional<DayResult> add(std::uint64_t seq, const PortfolioState& p);
  // The day under way, so far (none before the first state).
  std::optional<DayResult> current() const;

  // Net PnL of a state: equity less starting capital; empty if it does not fit.
  static std::optional<std::int64_t> net_of(const PortfolioState& p);

 private:
  std::optional<DayResult> day_;
  PortfolioState first_;  // the day's baseline (counters and fees at its start)
};

}  // namespace trader
