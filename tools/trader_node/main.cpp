// trader-node: runs the node from a config file until its feed ends or SIGINT/SIGTERM.
#include <atomic>
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "base/code_version.hpp"
#include "actors/node/node_runtime.hpp"
#include "actors/portfolio/portfolio_core.hpp"
#include "journal/journal.hpp"
#include "config/node_config.hpp"
#include "replay/session_stats.hpp"
#include "replay/strategy_book.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"
#include "messages/type_registry.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_stop_signal(int) { g_stop.store(true); }

void print_summary(const trader::NodeConfig& c, const trader::node::RunSummary& s) {
  using trader::format_checked;
  using trader::format_fixed;
  const auto& p = s.portfolio;
  const std::uint64_t records = s.last_seq >= s.first_seq && s.first_seq ? s.last_seq - s.first_seq + 1 : 0;
  if (s.resumed)
    fmt::print("resumed session {} ({}) from {}: {} records replayed and matched, {} completed after the crash\n",
               s.resumed_session, s.resumed_session_end.empty() ? "it had crashed" : "it ended: " + s.resumed_session_end,
               s.resumed_from_snapshot ? fmt::format("the snapshot at seq {}", s.resumed_from_snapshot) : "its start",
               s.recovery_replayed, s.recovery_completed);
  fmt::print("session {} {}: journal {}, seq {}..{} ({} records) in {:.2f} s\n", s.session_id, s.end_reason,
             c.journal_path, s.first_seq, s.last_seq, records, s.wall_seconds);
  fmt::print("  feed          {} items, {} malformed, {} of unknown streams, {} gaps, {} implausible times, {} stale ids\n",
             s.feed_items, s.malformed_lines, s.unknown_stream_lines, s.gaps, s.implausible_times, s.stale_ids);
  std::string by_source;
  for (const auto& [actor, n] : s.by_source) by_source += fmt::format("{}{} {}", by_source.empty() ? "" : ", ", trader::actor_name(actor), n);
  fmt::print("  messages      {}\n", by_source);
  auto count = [&](std::uint16_t type) { auto it = s.by_type.find(type); return it == s.by_type.end() ? 0 : it->second; };
  fmt::print("  decisions     {} candles, {} signals, {} intents, {} risk decisions, {} orders{}\n",
             count(trader::Candle::kTypeId), count(trader::Signal::kTypeId), count(trader::OrderIntent::kTypeId),
             count(trader::RiskDecision::kTypeId), count(trader::OrderRequest::kTypeId) - s.cancels,
             s.cancels > 0 ? fmt::format(", {} cancels", s.cancels) : std::string());
  const std::int64_t start = p.starting_cash ? p.starting_cash : c.portfolio.starting_cash;
  const std::int64_t equity = p.starting_cash ? p.equity : start;
  fmt::print("  trades        {} fills, {} round trips, win rate {}\n", p.fills, p.round_trips,
             trader::replay::win_rate_text(p.winning_round_trips, p.round_trips));
  // Funding (perpetuals) is named only when there was any: net = realized + unrealized - fees + funding.
  fmt::print("  pnl           {} {} net (realized {}, unrealized {}), fees {}{}\n", format_fixed(equity - start),
             c.portfolio.quote_asset, format_fixed(p.realized_pnl), format_fixed(p.unrealized_pnl), format_fixed(p.fees),
             p.funding != 0 ? ", funding " + format_fixed(p.funding) : std::string());
  if (s.unvalued_fee_fills > 0)
    fmt::print("  fees not valued in {} fill(s): charged in an asset that is neither the symbol's base nor {} (BNB?), "
               "left out of the fees and the PnL (trader-tools report sums them)\n",
               s.unvalued_fee_fills, c.portfolio.quote_asset);
  fmt::print("  max drawdown  {:.2f}%\n", static_cast<double>(p.max_drawdown_ppm) / 1e4);
  // Testnet and live start from the venue's account (the portfolio adopts it), paper from the config.
  fmt::print("  final equity  {} {} (started with {}{})\n", format_fixed(equity), c.portfolio.quote_asset,
             format_fixed(start),
             c.order_mode == trader::OrderMode::paper ? "" : ", the venue's balances at the start and what they were valued at");
  fmt::print("  decision hash {} ({} decisions, {} snapshots)\n", s.decision_hash, s.decisions, s.snapshots);
  if (c.strategies.empty()) return;
  // Several strategies: each one's part, read back from the journal (replay/strategy_book.hpp).
  auto book = trader::replay::read_strategy_book(c.journal_path, 1, s.last_seq);
  if (!book) {
    fmt::print("  by strategy   (not read: {})\n", book.error().message);
    return;
  }
  const char* label = "  by strategy   ";
  for (const auto& st : book->results()) {
    fmt::print("{}{}: {} signals, {} intents, {} fills, net PnL {} (fees {})\n", label, st.strategy, st.signals,
               st.intents, st.fills, format_checked(st.net()), format_fixed(st.fees));
    label = "                ";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"trader-node: an event-sourced trading node; every message is journaled before delivery"};
  std::string config_path;
  std::vector<std::string> overrides;
  app.add_option("--config", config_path, "TOML config file (see config/paper.toml)")->required();
  app.add_option("--set", overrides, "override a config key: --set key=value (TOML value; bare words are strings)");
  bool confirm_live = false;
  app.add_flag("--confirm-live", confirm_live,
               "required with order.mode = \"live\": confirms that this run sends real orders with real money");
  bool print_config = false;
  app.add_flag("--print-config", print_config,
               "print the effective config as TOML, each value with its source (default, FILE:LINE or --set), and exit");
  app.set_version_flag("--version", std::string("trader-node: ") + trader::code_version());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s (see 'trader-node --help')\n", e.what());
    return 2;
  }

  auto config = trader::load_node_config(config_path, overrides);
  if (!config) {
    std::fprintf(stderr, "error: %s\n", config.error().message.c_str());
    return 2;
  }
  if (print_config) {
    fmt::print("{}", trader::render_effective_config(*config));
    return 0;
  }
  std::string venues = config->venue.rest_url;  // where orders go: "A", or "A and at B" with other venues
  for (const auto& o : config->other_venues) venues += " and at " + o.venue.rest_url;
  if (config->order_mode == trader::OrderMode::live && !confirm_live) {
    std::fprintf(stderr,
                 "error: order.mode = \"live\" sends real orders with real money to %s; add --confirm-live to the "
                 "command line to confirm (or use order.mode = \"testnet\")\n",
                 venues.c_str());
    return 2;
  }
  if (config->order_mode != trader::OrderMode::live && confirm_live) {
    std::fprintf(stderr, "error: --confirm-live given, but order.mode is \"%s\", not \"live\"\n", std::string(trader::name(config->order_mode)).c_str());
    return 2;
  }
  auto logger = spdlog::stderr_color_mt("node");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config->log_level));

  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  // "strategy rule:ema-momentum-v1", or "strategies ema-1m (rule, 60s), xgb-5m (xgboost models/m5-1h.json, 300s);
  // combined by k_of_n 2"
  const auto strategies_of = [](const trader::NodeConfig& c) -> std::string {
    if (c.strategies.empty())
      return "strategy " + (c.strategy_kind == trader::StrategyKind::xgboost ? "xgboost " + c.model_path : c.strategy.name);
    std::string list;
    for (const auto& e : c.strategies)
      list += fmt::format("{}{} ({}{}, {}s)", list.empty() ? "" : ", ", e.id, trader::name(e.kind),
                          e.kind == trader::StrategyKind::xgboost ? " " + e.model_path : "", e.rule.interval_s);
    return fmt::format("strategies {}; combined by {}{}", list, trader::mode_name(trader::kCombinePolicies, c.combine.policy),
                       c.combine.policy == trader::CombinePolicy::k_of_n ? fmt::format(" {}", c.combine.k) : "");
  };
  std::string feed = trader::is_live(config->feed_source) ? "live " + config->feed_url
                                                          : std::to_string(config->feed_files.size()) + " capture file(s)";
  for (const auto& o : config->other_venues) feed += " and " + o.feed_url;
  spdlog::info("node {} starting: journal {}, orders {}, feed {}, {}", config->node_id, config->journal_path,
               config->order_mode == trader::OrderMode::paper ? std::string("on paper")
                                                              : std::string(trader::name(config->order_mode)) + " at " + venues,
               feed, strategies_of(*config));
  for (const auto& warning : trader::paper_fee_warnings(*config)) spdlog::warn("{}", warning);
  auto summary = trader::node::run_node(*config, g_stop);
  if (!summary) {
    std::fprintf(stderr, "error: %s\n", summary.error().message.c_str());
    return 1;
  }
  print_summary(*config, *summary);
  if (!summary->feed_failure.empty()) {
    std::fprintf(stderr, "error: the feed failed: %s (everything before it is journaled)\n",
                 summary->feed_failure.c_str());
    return 1;
  }
  if (!summary->lost_book.empty()) {
    fmt::print(stderr, "error: {}\n",
               trader::PortfolioCore::lost_book_failure(summary->lost_book.size(), summary->lost_book.front()));
    return 1;
  }
  if (config->compact_at_end) {
    // The session has ended and its writer is closed: the journal is sealed.
    auto compacted = trader::journal::compact(config->journal_path);
    if (!compacted) {
      std::fprintf(stderr, "error: the session ended, but its journal was not compacted: %s\n",
                   compacted.error().message.c_str());
      return 1;
    }
    fmt::print("  compacted     data.mdb {} -> {} bytes (journal.compact_at_end; read-only now)\n",
               compacted->bytes_before, compacted->bytes_after);
  }
  return 0;
}
