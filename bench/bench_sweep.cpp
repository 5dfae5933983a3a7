// Sweep scaling: the same sweep on 2 workers against 1, in the same run. Each task is a
// what-if of the 3-week kline file with its own position size and entry threshold.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "bench/bench_common.hpp"
#include "replay/sweep.hpp"

namespace trader::bench {
namespace fs = std::filesystem;

void bench_sweep(const Options& o, Results& r) {
  auto klines = repeated_klines(o, 1, o.smoke ? 3000 : 1'000'000);
  if (!klines) {
    std::fprintf(stderr, "sweep bench: %s\n", klines.error().message.c_str());
    return;
  }
  // The config every task starts from: the benchmarks' own, written out (sweep reads a file).
  const std::string config_path = (fs::path(o.work_dir) / "sweep-bench.toml").string();
  if (std::FILE* f = std::fopen(config_path.c_str(), "wb")) {
    std::fputs("[candles]\nintervals = [\"1m\", \"5m\", \"1h\"]\n[portfolio]\nquote_asset = \"USDC\"\n"
               "[journal]\ndurability = \"nosync\"\nsnapshot_every = 100000\n[logging]\nlevel = \"off\"\n",
               f);
    std::fclose(f);
  }
  replay::SweepOptions s;
  s.source_dir = *klines;
  s.config_path = config_path;
  s.axes = {{"strategy.position_fraction", {"0.1", "0.2", "0.3", "0.4"}}, {"strategy.entry_momentum_bps", {"3.0", "5.0"}}};
  double best[3] = {0, 0, 0};  // tasks per second, by workers
  std::size_t tasks = 0;
  for (int round = 0; round < (o.smoke ? 1 : 2); ++round) {  // alternating; the better run of each
    for (unsigned workers : {1u, 2u}) {
      s.workers = workers;
      s.out_dir = fresh_dir(o, fmt::format("sweep-{}-{}", workers, round));
      fs::remove_all(s.out_dir);
      const auto t0 = std::chrono::steady_clock::now();
      auto results = replay::run_sweep(s);
      const double secs = seconds_since(t0);
      if (!results) {
        std::fprintf(stderr, "sweep bench: %s\n", results.error().message.c_str());
        return;
      }
      for (const auto& t : results->tasks)
        if (!t.error.empty()) {
          std::fprintf(stderr, "sweep bench: task %zu: %s\n", t.index + 1, t.error.c_str());
          return;
        }
      tasks = results->tasks.size();
      best[workers] = std::max(best[workers], static_cast<double>(tasks) / secs);
    }
  }
  r["sweep_tasks"] = static_cast<double>(tasks);
  r["sweep_tasks_per_s_1_worker"] = best[1];
  r["sweep_tasks_per_s_2_workers"] = best[2];
  r["sweep_scaling_2_workers"] = best[1] > 0 ? best[2] / best[1] : 0;
}

}  // namespace trader::bench
