#include <algorithm>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "base/progress.hpp"
#include "base/time_format.hpp"
#include "messages/fixed_point_display.hpp"
#include "replay/sweep.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {

namespace {

struct SweepArgs {
  std::string dir, config, out, keep = "summary", rank_by = "net_pnl", walk_forward, train_horizon = "15m";
  std::vector<std::string> grid, overrides;
  int jobs = 0;  // 0: one per core
  std::size_t random = 0;  // 0: the whole grid
  std::uint64_t seed = 1, train_seed = 7;
  int train_rounds = 150;
};

void print_ranked(const std::vector<const replay::TaskResult*>& ranked, const std::string& rank_by) {
  fmt::print("ranked by {}:\n  task  {:>14}  {:>6}  {:>7}  {:>9}  {:>7}  values\n", rank_by, "net PnL", "fills",
             "win", "drawdown", "Sharpe");
  for (const auto* r : ranked)
    fmt::print("  {:>4}  {:>14}  {:>6}  {:>6.1f}%  {:>8.2f}%  {:>7.2f}  {}\n", r->index + 1, r->net_pnl, r->stats.fills,
               100 * r->stats.win_rate, 100 * r->stats.max_drawdown, r->stats.sharpe, fmt::join(r->overrides, " "));
}

// Walk-forward: each fold's verdict, then the configurations by their mean out of sample.
void print_walk_forward(const replay::SweepResults& results, const std::string& rank_by) {
  const auto configs = replay::across_folds(results, results.folds.size(), rank_by);
  const auto verdicts = replay::fold_verdicts(configs, results.folds.size());
  std::size_t lower_half = 0, judged = 0;
  for (std::size_t f = 0; f < results.folds.size(); ++f) {
    const auto& fold = results.folds[f].fold;
    const auto& v = verdicts[f];
    fmt::print("fold {}: trained on {} to {}, tested to {}: ", fold.number, format_utc_minute(fold.train_from_ns),
               format_utc_minute(fold.test_from_ns), format_utc_minute(fold.test_to_ns));
    if (!v.best_in_sample) {
      fmt::print("no configuration ran\n");
      continue;
    }
    ++judged;
    if (v.lower_half()) ++lower_half;
    fmt::print("best in sample configuration {} ranks {} of {} out of sample\n", v.best_in_sample->point + 1,
               v.out_rank, v.ranked);
  }
  fmt::print("the best in sample ranked in the lower half out of sample in {} of {} fold(s)\n", lower_half, judged);
  std::vector<const replay::ConfigAcrossFolds*> ranked;
  for (const auto& c : configs)
    if (c.folds_ran) ranked.push_back(&c);
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto* x, const auto* y) { return x->out_mean > y->out_mean; });
  fmt::print("configurations by mean {} out of sample:\n  config  {:>12}  {:>12}  {:>16}  values\n", rank_by,
             "mean in", "mean out", "net PnL out");
  for (const auto* c : ranked)
    fmt::print("  {:>6}  {:>12.4f}  {:>12.4f}  {:>16}  {}\n", c->point + 1, c->in_mean, c->out_mean,
               format_checked(c->out_net_pnl_units), fmt::join(c->overrides, " "));
}

int run(const SweepArgs& a) {
  replay::SweepOptions o;
  o.source_dir = a.dir;
  o.config_path = a.config;
  o.base_overrides = a.overrides;
  o.out_dir = a.out;
  o.workers = a.jobs > 0 ? static_cast<unsigned>(a.jobs) : std::max(1u, std::thread::hardware_concurrency());
  o.keep = a.keep == "journal" ? replay::Keep::journal : replay::Keep::summary;
  o.rank_by = a.rank_by;
  if (a.random > 0) o.random = a.random;
  o.seed = a.seed;
  o.train_horizon = a.train_horizon;
  o.train_rounds = a.train_rounds;
  o.train_seed = a.train_seed;
  if (!a.walk_forward.empty()) {
    auto wf = replay::parse_walk_forward(a.walk_forward);
    if (!wf) {
      fmt::print(stderr, "error: {}\n", wf.error().message);
      return kExitError;
    }
    o.walk_forward = *wf;
  }
  for (const auto& g : a.grid) {
    auto axis = replay::parse_grid_axis(g);
    if (!axis) {
      fmt::print(stderr, "error: {}\n", axis.error().message);
      return kExitError;
    }
    o.axes.push_back(std::move(*axis));
  }
  std::optional<Progress> bar;
  auto results = replay::run_sweep(o, [&](std::size_t done, std::size_t total) {
    if (!bar) bar.emplace("sweep", total, o.walk_forward ? "models and tasks" : "tasks");
    bar->update(done);
  });
  if (bar) bar->clear();
  if (!results) {
    fmt::print(stderr, "error: {}\n", results.error().message);
    return kExitError;
  }
  if (auto st = replay::write_sweep_results(o, *results); !st) {
    fmt::print(stderr, "error: {}\n", st.error().message);
    return kExitError;
  }
  const auto ranked = replay::ranked_tasks(results->tasks, a.rank_by);
  fmt::print("sweep: {} task(s) on {} worker(s), {} failed; results in {}/results.csv, results.json and report.html\n",
             results->tasks.size(), o.workers, results->tasks.size() - ranked.size(), a.out);
  if (o.walk_forward) print_walk_forward(*results, a.rank_by);
  else print_ranked(ranked, a.rank_by);
  for (const auto& f : results->folds)
    if (!f.error.empty()) fmt::print(stderr, "fold {}: its model was not trained: {}\n", f.fold.number, f.error);
  int failed = 0;
  for (const auto& r : results->tasks)
    if (!r.error.empty()) {
      fmt::print(stderr, "task {} ({}{}) failed: {}\n", r.index + 1, fmt::join(r.overrides, " "),
                 r.fold ? fmt::format(", fold {} {} of sample", r.fold, r.window == replay::Window::in_sample ? "in" : "out")
                        : "",
                 r.error);
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
  cmd->add_option("--random", a->random, "run N of the grid's points, drawn at random (see --seed)")
      ->check(CLI::Range(1, 1'000'000));
  cmd->add_option("--seed", a->seed, "the seed --random draws with (default 1): the same seed, the same points");
  cmd->add_option("--walk-forward", a->walk_forward,
                  "TRAIN:TEST:STEP, e.g. 3d:1d:1d: train an XGBoost model per fold on TRAIN, judge every "
                  "configuration on the TEST after it, step by STEP");
  cmd->add_option("--train-horizon", a->train_horizon, "walk-forward: the label horizon, as train --horizon (default 15m)");
  cmd->add_option("--train-rounds", a->train_rounds, "walk-forward: boosting rounds, as train --rounds (default 150)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--train-seed", a->train_seed, "walk-forward: the training seed, as train --seed (default 7)");
  cmd->callback([a, &exit_code] { exit_code = run(*a); });
}

}  // namespace trader::tools
