#pragma once
// `trader-tools sweep`: what-if over a grid of config values. Each point of the grid is one
// task (one what-if of the same recorded inputs); tasks run on a pool of worker threads
// and their results are kept in task order, so the results do not depend on how many
// workers ran them or in which order they finished. A task's decision hash is the one a
// `replay --what-if` with the same values gives alone.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
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
};

struct TaskResult {
  std::size_t index = 0;
  std::vector<std::string> overrides;  // the grid's values for this task
  std::string error;                   // "" when it ran
  std::string decision_hash;
  std::uint64_t decisions = 0, records = 0;
  std::string net_pnl;                 // exact: equity - starting cash of the last state
  VersionStats stats;
};

// Checks every task's config before running any (a bad value stops the sweep before it
// writes anything), then runs them. `on_done(finished, total)` is called as tasks end.
Result<std::vector<TaskResult>> run_sweep(const SweepOptions& options,
                                          const std::function<void(std::size_t, std::size_t)>& on_done = {});

// A task's figure by name, larger is better: net_pnl, sharpe, win_rate, max_drawdown
// (negated) or fees (negated).
double sweep_metric(const TaskResult& result, std::string_view name);
// The tasks that ran, best first by that metric (ties in task order).
std::vector<const TaskResult*> ranked_tasks(const std::vector<TaskResult>& results, std::string_view metric);

// results.csv and results.json in the out dir, one row per task in task order, and
// report.html (sweep_report.hpp).
Status write_sweep_results(const SweepOptions& options, const std::vector<TaskResult>& results);

}  // namespace trader::replay
