#pragma once
// `trader-tools sweep`: what-if over a grid of config values (or N of its points drawn at
// random). Each point is one task (one what-if of the same recorded inputs); a walk-forward
// trains a model per fold and runs each point on the fold's training and test windows.
// A sweep is planned once; its steps run on a pool of worker threads, as Slurm array
// elements or as a --resume, each leaving a result file, and the results are read back
// from those files in task order, so they do not depend on where, how many at once or in
// which order the steps ran. A task's decision hash is the one a `replay --what-if` with
// the same values (and window and model) gives alone.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "config/node_config.hpp"
#include "replay/session_stats.hpp"

namespace trader::replay {

struct GridAxis {
  std::string key;
  std::vector<std::string> values;  // TOML literals ("2.0", "\"m1.json\"")
};

// "risk.stop_loss_pct=[1, 2, 3]": a key and a non-empty TOML array. The error names the
// argument and what was expected.
Result<GridAxis> parse_grid_axis(std::string_view arg);

// Every combination, the first axis varying slowest; each as "key=value" overrides.
std::vector<std::vector<std::string>> grid_points(const std::vector<GridAxis>& axes);
// The value of one such override: "risk.stop_loss_pct=2.0" -> "2.0".
std::string grid_value(const std::string& override_kv);

// --random N --seed S: N of the grid's points drawn without replacement by a generator
// with that seed (the same on every machine), kept in grid order. All of them when N is at
// least the grid's size.
std::vector<std::size_t> random_points(std::size_t grid_size, std::size_t n, std::uint64_t seed);

// --walk-forward TRAIN:TEST:STEP, e.g. "3d:1d:1d": train a model on a window of TRAIN,
// judge every configuration on the TEST after it, move on by STEP, repeat.
struct WalkForward {
  std::int64_t train_ns = 0, test_ns = 0, step_ns = 0;
};
Result<WalkForward> parse_walk_forward(std::string_view arg);

struct Fold {
  std::size_t number = 0;                                  // 1, 2, ...
  std::int64_t train_from_ns = 0, test_from_ns = 0, test_to_ns = 0;  // [train_from, test_from), [test_from, test_to)
};
// The folds over data received in [first_ns, last_ns]: the first starts at first_ns rounded
// down to the coarsest unit (day, hour, minute, second) of which TRAIN, TEST and STEP are
// whole multiples; a fold is kept when its test window ends by the data's end.
std::vector<Fold> walk_forward_folds(const WalkForward& wf, std::int64_t first_ns, std::int64_t last_ns);

enum class Keep { summary, journal };

struct SweepOptions {
  std::string source_dir;                 // the recorded inputs
  std::string config_path;
  std::vector<std::string> base_overrides;  // --set, for every task
  std::vector<GridAxis> axes;
  std::string out_dir;                    // must not exist, or be empty
  unsigned workers = 1;
  Keep keep = Keep::summary;
  std::string rank_by = "net_pnl";  // a sweep_metric name: how the report ranks
  std::optional<std::size_t> random;  // --random N: that many of the grid's points
  std::uint64_t seed = 1;             // --seed
  std::optional<WalkForward> walk_forward;
  // Walk-forward training: the label horizon, rounds and seed, as `train` takes them.
  std::string train_horizon = "15m";
  int train_rounds = 150;
  std::uint64_t train_seed = 7;
};

// What a what-if is run on: the whole journal, or one fold's training or test window.
enum class Window { whole, in_sample, out_of_sample };
std::string_view window_name(Window w);  // "all", "in", "out"

struct TaskResult {
  std::size_t index = 0;               // the task's number - 1, in task order
  std::size_t point = 0;               // its configuration: the index of its point in the whole grid
  std::vector<std::string> overrides;  // the grid's values for this task
  std::size_t fold = 0;                // walk-forward: its fold's number (0: none)
  Window window = Window::whole;
  std::string model_id;                // walk-forward: the fold's model
  std::string error;                   // "" when it ran
  std::string decision_hash;
  std::uint64_t decisions = 0, records = 0;
  std::string net_pnl;                 // exact: equity - starting cash of the last state
  std::optional<std::int64_t> net_pnl_units;  // the same in fixed-point units
  VersionStats stats;
};

// A walk-forward fold as it ran: its windows and its model.
struct FoldResult {
  Fold fold;
  std::string model_path, model_id, error;  // error: training failed
};

struct SweepResults {
  std::vector<TaskResult> tasks;
  std::vector<FoldResult> folds;  // walk-forward only
};

// ---- the plan and its steps (sweep_plan.cpp, sweep_steps.cpp) --------------------------
// A sweep is planned once from its options, the journal and the config: a walk-forward's
// models, then its tasks. Every way of running it (the local pool, one element of a Slurm
// job array, --resume) runs steps of that plan, and each step leaves a result file in the
// out dir; the results are always read back from those files, so a sweep gives the same
// results wherever its steps ran.
struct ModelStep {
  Fold fold;
  std::size_t config = 0;  // the configuration whose training inputs it uses
  std::string path;        // models/fold-NN.json (fold-NN-K.json when a fold has several)
};
struct TaskStep {
  TaskResult task;                    // what identifies it: index, point, values, fold, window
  std::optional<std::size_t> model;   // walk-forward: its model step
  std::uint64_t from_seq = 1, to_seq = UINT64_MAX;  // the records it replays (from > to: none)
};
struct SweepPlan {
  SweepOptions options;             // paths made absolute
  std::string cwd;                  // where the config's own relative paths resolve
  std::string config_sha256, journal_head;  // what it was planned from
  std::vector<Fold> folds;
  std::vector<std::size_t> points;  // the grid points it runs
  std::vector<NodeConfig> configs;  // theirs, checked (walk-forward: with a stand-in model path)
  std::vector<ModelStep> models;
  std::vector<TaskStep> tasks;
};

// Checks everything before anything is written: the journal, the grid, every task's
// config; a walk-forward's spec, strategy and folds. It does not look at the out dir.
Result<SweepPlan> plan_sweep(const SweepOptions& options);

// The plan's inputs in the out dir (sweep.json): its options, cwd and the hashes of the
// config and the journal it was planned from.
Status write_plan_file(const SweepPlan& plan);
struct PlanFile {
  SweepOptions options;
  std::string cwd, config_sha256, journal_head;
};
Result<PlanFile> read_plan_file(const std::string& out_dir);
// The same plan again, from the current directory (the file's cwd); refused when the
// config or the journal is no longer what the sweep was planned from.
Result<SweepPlan> replan(const PlanFile& file);

enum class StepKind { model, task };
// Runs step `index` (0-based) and writes its result file; a failed step writes one too
// (the error), and returns the error. A task whose model failed fails with its error.
Status run_step(const SweepPlan& plan, StepKind kind, std::size_t index);
// The steps that have no result file, or a failed one: what --resume runs again.
std::vector<std::size_t> pending_steps(const SweepPlan& plan, StepKind kind);
// Every step's result, read back from its file; a step with none failed ("no result").
SweepResults collect_results(const SweepPlan& plan);

// Runs the pending steps on a pool of `workers` threads: models first, then tasks.
// `on_done(finished, total)` is called with 0 first, then as each step ends.
using StepProgress = std::function<void(std::size_t, std::size_t)>;
void run_steps_locally(const SweepPlan& plan, unsigned workers, const StepProgress& on_done = {});

// A new sweep: its out dir new or empty, its plan, and the plan file written there.
Result<SweepPlan> start_sweep(const SweepOptions& options);

// A whole sweep on this machine: start_sweep, every step, the results. For a walk-forward, each fold's model is trained by the same code as
// `train --since --until` on the fold's training window; every configuration then runs a
// what-if with it on the training window (in sample) and on the test window (out of sample).
Result<SweepResults> run_sweep(const SweepOptions& options, const StepProgress& on_done = {});

// A task's figure by name, larger is better: net_pnl, sharpe, win_rate, max_drawdown
// (negated) or fees (negated). None where the task has no such figure: a win rate without
// a round trip, a Sharpe ratio without returns that vary (a 0 there would rank a task
// that never traded above every losing one).
std::optional<double> sweep_metric(const TaskResult& result, std::string_view name);
// The tasks that ran, best first by that metric (ties in task order), then those without it.
std::vector<const TaskResult*> ranked_tasks(const std::vector<TaskResult>& results, std::string_view metric);

// A configuration across a walk-forward's folds: its metric in and out of sample, per fold
// and on average, and its exact out-of-sample net PnL over all folds.
struct ConfigAcrossFolds {
  std::size_t point = 0;
  std::vector<std::string> overrides;
  std::vector<std::optional<double>> in_sample, out_of_sample;  // per fold (none: failed, or no such figure)
  double in_mean = 0, out_mean = 0;                             // over the folds where both ran
  std::size_t folds_ran = 0;
  std::optional<std::int64_t> out_net_pnl_units;                // summed, checked
};
std::vector<ConfigAcrossFolds> across_folds(const SweepResults& results, std::string_view metric);
// Those that ran in at least one fold, best mean out of sample first (ties in task order).
std::vector<const ConfigAcrossFolds*> ranked_configs(const std::vector<ConfigAcrossFolds>& configs);

// The guard against overfitting, per fold: the configuration best in sample, and where it
// ranks out of sample among those that ran (1 = best).
struct FoldVerdict {
  std::size_t fold = 0;
  const ConfigAcrossFolds* best_in_sample = nullptr;
  std::size_t out_rank = 0, ranked = 0;
  // Out of sample it did worse than half the configurations: choosing in sample failed here.
  bool lower_half() const { return best_in_sample && 2 * out_rank > ranked; }
};
std::vector<FoldVerdict> fold_verdicts(const std::vector<ConfigAcrossFolds>& configs, std::size_t folds);

// results.csv and results.json in the out dir, one row per task in task order, and
// report.html (sweep_report.hpp).
Status write_sweep_results(const SweepOptions& options, const SweepResults& results);

}  // namespace trader::replay
