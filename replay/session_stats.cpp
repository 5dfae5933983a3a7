#include "replay/session_stats.hpp"

#include <cmath>

#include <fmt/format.h>

#include "messages/fixed_point_display.hpp"

namespace trader::replay {
void StatsBuilder::add(const PortfolioState& p) {
  equity_.push_back({p.ts_ms, fixed_to_double(p.equity)});
  ++marks_;
  if (!p.positions.empty()) ++exposed_;
  const std::int64_t this_hour = p.ts_ms / 3'600'000;
  if (this_hour != hour_) {
    hourly_.push_back(fixed_to_double(p.equity));
    hour_ = this_hour;
  } else {
    hourly_.back() = fixed_to_double(p.equity);
  }
  last_ = p;
  have_last_ = true;
}

void StatsBuilder::finish(VersionStats& st) const {
  st.equity = equity_;
  if (!have_last_) return;
  const PortfolioState& last = last_;
  st.quote_asset = last.quote_asset;
  st.fills = last.fills;
  st.round_trips = last.round_trips;
  st.wins = last.winning_round_trips;
  st.win_rate = last.round_trips ? static_cast<double>(last.winning_round_trips) / last.round_trips : 0.0;
  st.fees = fixed_to_double(last.fees);
  st.net_pnl = fixed_to_double(last.equity - last.starting_cash);
  st.gross_pnl = st.net_pnl + st.fees;
  st.max_drawdown = last.max_drawdown_ppm / 1e6;
  st.exposure = marks_ ? static_cast<double>(exposed_) / static_cast<double>(marks_) : 0.0;
  std::vector<double> returns;
  for (std::size_t i = 1; i < hourly_.size(); ++i)
    if (hourly_[i - 1] > 0) returns.push_back(hourly_[i] / hourly_[i - 1] - 1.0);
  if (returns.size() > 1) {
    double mean = 0, var = 0;
    for (double r : returns) mean += r;
    mean /= static_cast<double>(returns.size());
    for (double r : returns) var += (r - mean) * (r - mean);
    const double sd = std::sqrt(var / static_cast<double>(returns.size() - 1));
    st.sharpe = sd > 0 ? mean / sd * std::sqrt(24.0 * 365.0) : 0.0;
    st.sharpe_defined = sd > 0;
  }
}

std::optional<double> win_rate_of(const VersionStats& stats) {
  return stats.round_trips ? std::optional(stats.win_rate) : std::nullopt;
}

std::optional<double> sharpe_of(const VersionStats& stats) {
  return stats.sharpe_defined ? std::optional(stats.sharpe) : std::nullopt;
}

std::string win_rate_text(const VersionStats& stats) {
  const auto w = win_rate_of(stats);
  return w ? fmt::format("{:.1f}%", *w * 100) : "n/a";
}

std::string win_rate_text(std::uint64_t wins, std::uint64_t round_trips) {
  VersionStats s;
  s.round_trips = round_trips;
  s.win_rate = round_trips ? static_cast<double>(wins) / static_cast<double>(round_trips) : 0;
  return win_rate_text(s);
}

std::string sharpe_text(const VersionStats& stats) {
  const auto s = sharpe_of(stats);
  return s ? fmt::format("{:.2f}", *s) : "n/a";
}

std::string decided_by(const VersionStats& stats) {
  if (stats.strategy_ids.empty()) return "model " + stats.model_id;
  std::string out = "strategies ";
  for (std::size_t i = 0; i < stats.strategy_ids.size(); ++i) out += (i ? ", " : "") + stats.strategy_ids[i];
  return out;
}

}  // namespace trader::replay
