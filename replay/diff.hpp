#pragma once
// Compares the decisions of two journals of the same inputs (two configs, two models).
// Decisions are aligned by (data time, symbol): what each version's strategy and risk
// did on that candle -- its signal (direction, confidence), its intent (side, quantity)
// and the risk decision on it (approved or the reason code), or a protective exit.
// Every key is same, only in A, only in B, or different; the counts add up to the keys.
// Per version: trades, win rate, gross and net PnL, fees, max drawdown, Sharpe and
// exposure, from the portfolio states each journal holds; with [[strategies]], each
// strategy's part (strategy_book.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "replay/session_stats.hpp"
#include "replay/strategy_book.hpp"

namespace trader::replay {

struct Action {
  bool present = false;
  std::string text;        // what it did, for people: "signal long 0.62; buy 0.0123 approved"
  std::string canonical;   // what is compared
};

struct DiffRow {
  std::int64_t ts_ms = 0;
  std::string symbol;
  Action a, b;
};

struct DiffReport {
  std::uint64_t same = 0, only_a = 0, only_b = 0, different = 0;
  std::vector<DiffRow> rows;  // every key that is not "same", in time order
  VersionStats a, b;
  std::vector<StrategyResult> strategies_a, strategies_b;  // by strategy, with [[strategies]] (else empty)
  bool same_inputs = true;    // the two journals saw the same external inputs
};

Result<DiffReport> diff_journals(const std::string& dir_a, const std::string& dir_b);

// A single self-contained HTML page (inline SVG, no scripts, no network): both equity
// curves, the points where decisions differ, the per-version table and the differences.
std::string render_diff_html(const DiffReport& report);

}  // namespace trader::replay
