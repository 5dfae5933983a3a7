#include "actors/portfolio/day_book.hpp"

#include <algorithm>

#include "base/time_format.hpp"
#include "messages/fixed_point.hpp"

namespace trader {

std::optional<std::int64_t> DayBook::net_of(const PortfolioState& p) {
  return narrow_checked(static_cast<__int128>(p.equity) - p.starting_cash);
}

std::optional<DayResult> DayBook::add(std::uint64_t seq, const PortfolioState& p) {
  const std::int64_t day = utc_day_number(p.ts_ms);
  std::optional<DayResult> done;
  if (day_ && day != day_->day) {
    done = current();
    // The new day starts where the last one ended.
    first_ = day_->last;
    day_ = DayResult{day, net_of(first_).value_or(0)};
  }
  if (!day_) {  // the first state: the day starts from it
    first_ = p;
    day_ = DayResult{day, net_of(p).value_or(0)};
  }
  day_->last = p;
  day_->last_seq = seq;
  day_->max_drawdown_ppm = std::max(day_->max_drawdown_ppm, p.drawdown_ppm);
  return done;
}

std::optional<DayResult> DayBook::current() const {
  if (!day_) return std::nullopt;
  DayResult d = *day_;
  const auto end = net_of(d.last);
  d.pnl = end ? narrow_checked(static_cast<__int128>(*end) - d.start_net) : std::nullopt;
  d.fills = d.last.fills - first_.fills;
  d.round_trips = d.last.round_trips - first_.round_trips;
  d.wins = d.last.winning_round_trips - first_.winning_round_trips;
  d.fees = d.last.fees - first_.fees;
  return d;
}

}  // namespace trader
