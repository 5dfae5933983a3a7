#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "base/progress.hpp"
#include "base/time_format.hpp"
#include "messages/fixed_point_display.hpp"
#include "replay/sweep.hpp"
#include "tools/trader_tools/slurm_array.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {

namespace {
namespace fs = std::filesystem;

struct SweepArgs {
  std::string dir, config, out, keep = "summary", rank_by = "net_pnl", walk_forward, train_horizon = "15m";
  std::vector<std::string> grid, overrides;
  int jobs = 0;  // 0: one per core
  std::size_t random = 0;  // 0: the whole grid
  std::uint64_t seed = 1, train_seed = 7;
  int train_rounds = 150;
  bool slurm = false, resume = false;
  std::vector<std::string> sbatch;
  std::vector<std::string> planning_given;  // options that shape the plan, as given (--resume takes none)
};

unsigned workers_of(const SweepArgs& a) {
  return a.jobs > 0 ? static_cast<unsigned>(a.jobs) : std::max(1u, std::thread::hardware_concurrency());
}

void print_ranked(const std::vector<const replay::TaskResult*>& ranked, const std::string& rank_by) {
  fmt::print("ranked by {}:\n  task  {:>14}  {:>6}  {:>7}  {:>9}  {:>7}  values\n", rank_by, "net PnL", "fills",
             "win", "drawdown", "Sharpe");
  for (const auto* r : ranked)
    fmt::print("  {:>4}  {:>14}  {:>6}  {:>7}  {:>8.2f}%  {:>7}  {}\n", r->index + 1, r->net_pnl, r->stats.fills,
               replay::win_rate_text(r->stats), 100 * r->stats.max_drawdown, replay::sharpe_text(r->stats),
               fmt::join(r->overrides, " "));
}

// Walk-forward: each fold's verdict, then the configurations by their mean out of sample.
void print_walk_forward(const replay::SweepResults& results, const std::string& rank_by) {
  const auto configs = replay::across_folds(results, rank_by);
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
  fmt::print("configurations by mean {} out of sample:\n  config  {:>12}  {:>12}  {:>16}  values\n", rank_by,
             "mean in", "mean out", "net PnL out");
  for (const auto* c : replay::ranked_configs(configs))
    fmt::print("  {:>6}  {:>12.4f}  {:>12.4f}  {:>16}  {}\n", c->point + 1, c->in_mean, c->out_mean,
               format_checked(c->out_net_pnl_units), fmt::join(c->overrides, " "));
}

// The options of a new sweep, from the command line; an error is a usage error.
Result<replay::SweepOptions> options_of(const SweepArgs& a) {
  if (a.dir.empty() || a.config.empty() || a.grid.empty())
    return fail("a sweep takes DIR, --config, --grid and --out (or --resume --out DIR to complete one)");
  replay::SweepOptions o;
  o.source_dir = a.dir;
  o.config_path = a.config;
  o.base_overrides = a.overrides;
  o.out_dir = a.out;
  o.workers = workers_of(a);
  o.keep = a.keep == "journal" ? replay::Keep::journal : replay::Keep::summary;
  o.rank_by = a.rank_by;
  if (a.random > 0) o.random = a.random;
  o.seed = a.seed;
  o.train_horizon = a.train_horizon;
  o.train_rounds = a.train_rounds;
  o.train_seed = a.train_seed;
  if (!a.walk_forward.empty()) {
    auto wf = replay::parse_walk_forward(a.walk_forward);
    if (!wf) return tl::unexpected(wf.error());
    o.walk_forward = *wf;
  }
  for (const auto& g : a.grid) {
    auto axis = replay::parse_grid_axis(g);
    if (!axis) return tl::unexpected(axis.error());
    o.axes.push_back(std::move(*axis));
  }
  return o;
}

// The plan: a new sweep's, written to its out dir; or, with --resume, the one planned there.
Result<replay::SweepPlan> plan_of(const SweepArgs& a) {
  if (a.resume) {
    if (!a.planning_given.empty())
      return fail(fmt::format("--resume completes the sweep planned in --out DIR as it was planned: give only --out, "
                              "-j, --slurm and --sbatch (not {})", fmt::join(a.planning_given, ", ")));
    auto file = replay::read_plan_file(a.out);
    if (!file) return tl::unexpected(file.error());
    if (std::error_code ec; fs::current_path(file->cwd, ec), ec)
      return fail(fmt::format("the sweep was planned in {}, which is no more: {}", file->cwd, ec.message()));
    return replay::replan(*file);
  }
  auto o = options_of(a);
  if (!o) return tl::unexpected(o.error());
  return replay::start_sweep(*o);
}

// The pending steps on the Slurm cluster: the models' array, then the tasks'.
Status run_on_slurm(const replay::SweepPlan& plan, const std::vector<std::string>& sbatch_args) {
  for (auto kind : {replay::StepKind::model, replay::StepKind::task}) {
    const auto steps = replay::pending_steps(plan, kind);
    if (steps.empty()) continue;
    auto run = run_slurm_array(plan, kind, steps, sbatch_args);
    if (!run) return tl::unexpected(run.error());
    fmt::print("slurm: {} {}(s) ran as array job {}\n", steps.size(), kind == replay::StepKind::model ? "model" : "task",
               run->job_id);
  }
  return {};
}

int run(const SweepArgs& a) {
  if (!a.sbatch.empty() && !a.slurm) {
    fmt::print(stderr, "error: --sbatch passes options to sbatch: it goes with --slurm\n");
    return kExitError;
  }
  auto plan = plan_of(a);
  if (!plan) {
    fmt::print(stderr, "error: {}\n", plan.error().message);
    return kExitError;
  }
  const auto& o = plan->options;
  if (a.resume)
    fmt::print("resume: {} of {} model(s) and {} of {} task(s) to run\n",
               replay::pending_steps(*plan, replay::StepKind::model).size(), plan->models.size(),
               replay::pending_steps(*plan, replay::StepKind::task).size(), plan->tasks.size());
  if (a.slurm) {
    if (auto st = run_on_slurm(*plan, a.sbatch); !st) {
      fmt::print(stderr, "error: {}\n", st.error().message);
      return kExitFailed;
    }
  } else {
    std::optional<Progress> bar;
    replay::run_steps_locally(*plan, workers_of(a), [&](std::size_t done, std::size_t total) {
      if (!bar) bar.emplace("sweep", total, o.walk_forward ? "models and tasks" : "tasks");
      bar->update(done);
    });
  }
  const auto results = replay::collect_results(*plan);
  if (auto st = replay::write_sweep_results(o, results); !st) {
    fmt::print(stderr, "error: {}\n", st.error().message);
    return kExitError;
  }
  const auto ranked = replay::ranked_tasks(results.tasks, o.rank_by);
  fmt::print("sweep: {} task(s) {}, {} failed; results in {}/results.csv, results.json and report.html\n",
             results.tasks.size(), a.slurm ? std::string("on Slurm") : fmt::format("on {} worker(s)", workers_of(a)),
             results.tasks.size() - ranked.size(), a.out);
  if (o.walk_forward) print_walk_forward(results, o.rank_by);
  else print_ranked(ranked, o.rank_by);
  // What failed, and where its output is.
  auto log_of = [&](replay::StepKind kind, std::size_t index) {
    const std::string log = slurm_step_log(*plan, kind, index);
    std::error_code ec;
    return fs::exists(log, ec) ? " (log " + log + ")" : std::string();
  };
  for (std::size_t i = 0; i < plan->models.size(); ++i)
    for (const auto& f : results.folds)
      if (f.model_path == plan->models[i].path && !f.error.empty())
        fmt::print(stderr, "fold {}: its model was not trained: {}{}\n", f.fold.number, f.error,
                   log_of(replay::StepKind::model, i));
  int failed = 0;
  for (const auto& r : results.tasks)
    if (!r.error.empty()) {
      fmt::print(stderr, "task {} ({}{}) failed: {}{}\n", r.index + 1, fmt::join(r.overrides, " "),
                 r.fold ? fmt::format(", fold {} {} of sample", r.fold, r.window == replay::Window::in_sample ? "in" : "out")
                        : "",
                 r.error, log_of(replay::StepKind::task, r.index));
      ++failed;
    }
  return failed ? kExitFailed : kExitOk;
}

struct StepArgs {
  std::string out;
  std::size_t model = 0, task = 0;  // 1-based
};

// One step of a planned sweep: what each element of a Slurm array runs.
int run_step(const StepArgs& a) {
  if ((a.model == 0) == (a.task == 0)) {
    fmt::print(stderr, "error: sweep-step takes one of --model K or --task K\n");
    return kExitError;
  }
  auto file = replay::read_plan_file(a.out);
  if (!file) {
    fmt::print(stderr, "error: {}\n", file.error().message);
    return kExitError;
  }
  if (std::error_code ec; fs::current_path(file->cwd, ec), ec) {
    fmt::print(stderr, "error: the sweep was planned in {}: {}\n", file->cwd, ec.message());
    return kExitError;
  }
  auto plan = replay::replan(*file);
  if (!plan) {
    fmt::print(stderr, "error: {}\n", plan.error().message);
    return kExitError;
  }
  const auto kind = a.model ? replay::StepKind::model : replay::StepKind::task;
  const std::size_t index = (a.model ? a.model : a.task) - 1;
  if (const std::size_t steps = a.model ? plan->models.size() : plan->tasks.size(); index >= steps) {
    fmt::print(stderr, "error: --{} {}: the sweep in {} has {} {}(s)\n", a.model ? "model" : "task", index + 1, a.out,
               steps, a.model ? "model" : "task");
    return kExitError;
  }
  if (auto st = replay::run_step(*plan, kind, index); !st) {
    fmt::print(stderr, "{} {} failed: {}\n", a.model ? "model" : "task", index + 1, st.error().message);
    return kExitFailed;
  }
  fmt::print("{} {} done\n", a.model ? "model" : "task", index + 1);
  return kExitOk;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand("sweep", "What-if over a grid of config values, on a pool of workers: one task per "
                                          "combination, results ranked and written as CSV and JSON");
  cmd->add_option("dir", a->dir, "journal of the recorded inputs");
  cmd->add_option("--config", a->config, "the config every task starts from");
  cmd->add_option("--grid", a->grid, "KEY=[VALUE, ...]: a TOML array of values for one key (repeat for more keys)");
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
  cmd->add_flag("--slurm", a->slurm,
                "run the steps as Slurm job arrays (sbatch --wait) instead of on this machine; the out dir, the "
                "journal, the config and trader-tools at the same paths on every node");
  cmd->add_option("--sbatch", a->sbatch, "an option for sbatch with --slurm, e.g. --sbatch=--partition=research "
                                         "(repeat for more)");
  cmd->add_flag("--resume", a->resume,
                "complete the sweep planned in --out: run again only the steps with no result or a failed one");
  cmd->callback([a, cmd, &exit_code] {
    for (const char* name : {"dir", "--config", "--grid", "--set", "--keep", "--rank-by", "--random", "--seed",
                             "--walk-forward", "--train-horizon", "--train-rounds", "--train-seed"})
      if (cmd->count(name) > 0) a->planning_given.emplace_back(std::string_view(name) == "dir" ? "DIR" : name);
    exit_code = run(*a);
  });

  auto s = std::make_shared<StepArgs>();
  auto* step = app.add_subcommand("sweep-step", "Run one step of a sweep planned in OUT (what each element of a "
                                               "sweep --slurm job array runs)");
  step->add_option("out", s->out, "the sweep's out dir")->required();
  step->add_option("--model", s->model, "the model step to run (1-based)")->check(CLI::PositiveNumber);
  step->add_option("--task", s->task, "the task to run (1-based)")->check(CLI::PositiveNumber);
  step->callback([s, &exit_code] { exit_code = run_step(*s); });
}

}  // namespace trader::tools
