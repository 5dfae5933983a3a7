#include <algorithm>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "base/progress.hpp"
#include "replay/sweep.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {

namespace {

struct SweepArgs {
  std::string dir, config, out, keep = "summary", rank_by = "net_pnl";
  std::vector<std::string> grid, overrides;
  int jobs = 0;  // 0: one per core
};

int run(const SweepArgs& a) {
  replay::SweepOptions o;
  o.source_dir = a.dir;
  o.config_path = a.config;
  o.base_overrides = a.overrides;
  o.out_dir = a.out;
  o.workers = a.jobs > 0 ? static_cast<unsigned>(a.jobs) : std::max(1u, std::thread::hardware_concurrency());
  o.keep = a.keep == "journal" ? replay::Keep::journal : replay::Keep::summary;
  o.rank_by = a.rank_by;
  for (const auto& g : a.grid) {
    auto axis = replay::parse_grid_axis(g);
    if (!axis) {
      fmt::print(stderr, "error: {}\n", axis.error().message);
      return kExitError;
    }
    o.axes.push_back(std::move(*axis));
  }
  const auto total = replay::grid_points(o.axes).size();
  Progress bar("sweep", total, "tasks");
  auto results = replay::run_sweep(o, [&bar](std::size_t done, std::size_t) { bar.update(done); });
  bar.clear();
  if (!results) {
    fmt::print(stderr, "error: {}\n", results.error().message);
    return kExitError;
  }
  if (auto st = replay::write_sweep_results(o, *results); !st) {
    fmt::print(stderr, "error: {}\n", st.error().message);
    return kExitError;
  }
  const auto ranked = replay::ranked_tasks(*results, a.rank_by);
  fmt::print("sweep: {} task(s) on {} worker(s), {} failed; results in {}/results.csv, results.json and report.html\n",
             results->size(), o.workers, results->size() - ranked.size(), a.out);
  fmt::print("ranked by {}:\n  task  {:>14}  {:>6}  {:>7}  {:>9}  {:>7}  values\n", a.rank_by, "net PnL", "fills",
             "win", "drawdown", "Sharpe");
  for (const auto* r : ranked)
    fmt::print("  {:>4}  {:>14}  {:>6}  {:>6.1f}%  {:>8.2f}%  {:>7.2f}  {}\n", r->index + 1, r->net_pnl, r->stats.fills,
               100 * r->stats.win_rate, 100 * r->stats.max_drawdown, r->stats.sharpe, fmt::join(r->overrides, " "));
  int failed = 0;
  for (const auto& r : *results)
    if (!r.error.empty()) {
      fmt::print(stderr, "task {} ({}) failed: {}\n", r.index + 1, fmt::join(r.overrides, " "), r.error);
      ++failed;
    }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand("sweep", "What-if over a grid of config values, on a pool of workers: one task per "
                                          "combination, results ranked and written as CSV and JSON");
  cmd->add_option("dir", a->dir, "journal of the recorded inputs")->required();
  cmd->add_option("--config", a->config, "the config every task starts from")->required();
  cmd->add_option("--grid", a->grid, "KEY=[VALUE, ...]: a TOML array of values for one key (repeat for more keys)")
      ->required();
  cmd->add_option("--set", a->overrides, "a fixed override for every task, key=value");
  cmd->add_option("--out", a->out, "a new (or empty) directory for the results")->required();
  cmd->add_option("-j,--jobs", a->jobs, "workers (default: one per core)")->check(CLI::Range(1, 256));
  cmd->add_option("--keep", a->keep, "summary (default: results only) or journal (each task's journal too)")
      ->check(CLI::IsMember({"summary", "journal"}));
  cmd->add_option("--rank-by", a->rank_by, "net_pnl (default), sharpe, win_rate, max_drawdown or fees")
      ->check(CLI::IsMember({"net_pnl", "sharpe", "win_rate", "max_drawdown", "fees"}));
  cmd->callback([a, &exit_code] { exit_code = run(*a); });
}

}  // namespace trader::tools
