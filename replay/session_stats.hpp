#pragma once
// A session's figures from its portfolio states, in journal order: trades, win rate,
// gross and net PnL, fees, max drawdown, Sharpe and exposure. What `diff` tabulates per
// version and `report` shows for one journal. Ratios are doubles (for display); the
// exact amounts stay in the last state.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/message_types.hpp"

namespace trader::replay {

struct EquityPoint {
  std::int64_t ts_ms;
  double equity;
};

struct VersionStats {
  std::string label, dir, model_id;
  std::vector<std::string> strategy_ids;  // the [[strategies]] that decided (empty: one strategy, model_id)
  std::uint64_t fills = 0, round_trips = 0, wins = 0;
  double win_rate = 0;
  double gross_pnl = 0, net_pnl = 0, fees = 0;  // quote asset
  double max_drawdown = 0;                       // fraction of peak equity
  double sharpe = 0;      // hourly equity returns, annualised by sqrt(24 * 365)
  bool sharpe_defined = false;  // at least two hourly returns that vary (else there is no Sharpe to give)
  double exposure = 0;    // share of mark intervals with an open position
  std::string quote_asset;
  std::vector<EquityPoint> equity;  // one point per portfolio state
};

// Who decided: "model ID", or "strategies A, B, C".
std::string decided_by(const VersionStats& stats);

// The win rate and the Sharpe ratio where there is one: none without a round trip, and
// none with fewer than two hourly returns or returns that never vary. Never a 0 that
// reads as "every trip lost" or "no edge" (nor ranks a session that never traded).
std::optional<double> win_rate_of(const VersionStats& stats);
std::optional<double> sharpe_of(const VersionStats& stats);

// The same as people read them: "n/a" where there is none. `win_rate_text` gives one
// decimal, "55.0%".
std::string win_rate_text(const VersionStats& stats);
std::string win_rate_text(std::uint64_t wins, std::uint64_t round_trips);  // the same from the counts
std::string sharpe_text(const VersionStats& stats);

class StatsBuilder {
 public:
  void add(const PortfolioState& p);
  // The figures so far, into `stats` (its label, dir and model id are kept).
  void finish(VersionStats& stats) const;
  bool empty() const { return !have_last_; }
  const PortfolioState& last() const { return last_; }

 private:
  std::vector<EquityPoint> equity_;
  PortfolioState last_;
  bool have_last_ = false;
  std::uint64_t marks_ = 0, exposed_ = 0;
  std::int64_t hour_ = -1;
  std::vector<double> hourly_;  // the last equity of each hour
};

}  // namespace trader::replay
