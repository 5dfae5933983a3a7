#pragma once
// `trader-tools report`: one journal's session(s) told from the journal alone. The totals
// (as `diff` tabulates them), each UTC day of the data exactly (actors/portfolio/
// day_book.hpp), the fills on the price of their symbol, and what each strategy decided.
// Rendered as text or as one self-contained HTML page (inline SVG, no script, no network).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/portfolio/day_book.hpp"
#include "base/result.hpp"
#include "journal/journal.hpp"
#include "replay/session_stats.hpp"
#include "replay/strategy_book.hpp"

namespace trader::replay {

struct ReportFill {
  std::uint64_t seq = 0;
  std::int64_t ts_ms = 0;
  std::string symbol, client_order_id, fee_asset;
  Side side = Side::buy;
  std::int64_t qty = 0, price = 0, fee = 0;
};

struct PricePoint {
  std::int64_t ts_ms = 0, close = 0;
};

// Fees the book could not value (PortfolioCore::FeeBooking::unvalued: BNB, say): left out
// of the fees and the PnL, so a report says how much of which asset they were.
struct UnvaluedFees {
  std::optional<std::int64_t> amount = 0;  // std::nullopt: the sum leaves 64 bits
  std::uint64_t fills = 0;
};

struct SessionReport {
  std::string dir;
  VersionStats stats;          // the totals, as diff gives them
  PortfolioState last;         // the exact figures of the last state
  std::vector<std::pair<std::int64_t, std::uint32_t>> drawdown;  // (ts_ms, ppm) per state
  std::vector<DayResult> days;                                  // the last one may be partial
  std::map<std::string, std::vector<PricePoint>> prices;        // by symbol: its shortest candles' closes
  std::map<std::string, std::uint32_t> price_interval_s;        // which interval that was
  std::vector<ReportFill> fills;
  std::map<std::string, UnvaluedFees> unvalued_fees;  // by asset
  std::vector<StrategyResult> strategies;  // strategy_book.hpp: who decided what, and whose PnL
  std::uint64_t sessions = 0;
};

// The report of the journal `reader` reads (`dir` names it in the report); std::nullopt
// when it holds no portfolio state (market data only: nothing to report on). Errors: a
// record cannot be read (naming the seq). Opening the journal is the caller's, so that a
// journal that is not there and one damaged inside stay two different failures.
Result<std::optional<SessionReport>> build_report(journal::Reader& reader, const std::string& dir);
// What std::nullopt above means, said of `dir`.
std::string nothing_to_report(const std::string& dir);
// The journal at `dir` opened, reported and closed again; every failure is an error,
// nothing to report included (a sweep's task fails on any).
Result<SessionReport> build_report(const std::string& dir);
// The fees among `fills` the book could not value, by asset.
std::map<std::string, UnvaluedFees> unvalued_fees(const std::vector<ReportFill>& fills, const std::string& quote_asset);
// The unrealized PnL of what the last state values but lists as no position (a remainder
// below one lot: dust; a spot holding oversold below zero): with its positions' it adds up
// to the state's unrealized PnL exactly. std::nullopt when the difference leaves 64 bits.
std::optional<std::int64_t> unlisted_unrealized(const PortfolioState& last);
std::string render_report_text(const SessionReport& report);
std::string render_report_html(const SessionReport& report);

}  // namespace trader::replay
