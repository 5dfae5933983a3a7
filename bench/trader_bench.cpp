// trader-bench: speed figures of the journal, import, replay and the live node, each
// against a baseline measured in the same run (machines here are shared and noisy).
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/bench_common.hpp"

int main(int argc, char** argv) {
  CLI::App app{"trader-bench: journal, import, replay and tick-to-order, as ratios to baselines from the same run"};
  trader::bench::Options o;
  bool json = false;
  std::string only;
  o.data_dir = "../shared/data";
  app.add_flag("--json", json, "print one JSON object (keys in bench/README.md)");
  app.add_flag("--smoke", o.smoke, "tiny sizes: checks that every part runs (numbers mean nothing)");
  app.add_option("--data", o.data_dir, "the shared real data: captures and klines");
  app.add_option("--pg", o.pg_url, "an empty PostgreSQL database (libpq URI) for the projection part; without it, "
                                   "only SQLite is measured");
  app.add_option("--work", o.work_dir, "scratch directory (default: a temporary one, removed after)");
  app.add_option("--only", only,
                 "run one part: journal, import, compact, replay, node-vs-replay, tick-to-order, projection or sweep")
      ->check(CLI::IsMember({"journal", "import", "compact", "replay", "node-vs-replay", "tick-to-order", "projection", "sweep"}));
  CLI11_PARSE(app, argc, argv);
  namespace fs = std::filesystem;
  if (!fs::is_directory(o.data_dir) || trader::bench::data_file(o, "btcusdt_20240808").empty() ||
      trader::bench::data_file(o, "ethusdt_20240808").empty() || trader::bench::data_file(o, "btcusdc_kline1m_").empty()) {
    std::fprintf(stderr, "error: --data %s: expected the real data files btcusdt_20240808*.gz, ethusdt_20240808*.gz and "
                         "btcusdc_kline1m_*.gz (the shared data, or tests/data for --smoke)\n", o.data_dir.c_str());
    return 2;
  }
  bool remove_work = false;
  if (o.work_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "trader-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return 2;
    o.work_dir = tmpl;
    remove_work = true;
  }
  fs::create_directories(o.work_dir);
  trader::bench::Results r;
  const auto t0 = std::chrono::steady_clock::now();
  const std::pair<const char*, void (*)(const trader::bench::Options&, trader::bench::Results&)> parts[] = {
      {"journal", trader::bench::bench_journal},
      {"import", trader::bench::bench_import},
      {"compact", trader::bench::bench_compact},
      {"replay", trader::bench::bench_replay},
      {"node-vs-replay", trader::bench::bench_node_vs_replay},
      {"tick-to-order", trader::bench::bench_latency},
      {"projection", trader::bench::bench_projection},
      {"sweep", trader::bench::bench_sweep},
  };
  for (const auto& [name, run] : parts) {
    if (!only.empty() && only != name) continue;
    const auto t = std::chrono::steady_clock::now();
    run(o, r);
    if (!json) std::fprintf(stderr, "%s: %.1f s\n", name, trader::bench::seconds_since(t));
  }
  r["bench_seconds"] = trader::bench::seconds_since(t0);
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : r) {
    out += fmt::format("{}\"{}\":{}", first ? "" : ",", k, std::isfinite(v) ? fmt::format("{:.6g}", v) : "null");
    first = false;
  }
  out += "}\n";
  if (json) {
    std::fputs(out.c_str(), stdout);
  } else {
    for (const auto& [k, v] : r) std::printf("  %-36s %14.6g\n", k.c_str(), v);
  }
  if (remove_work) fs::remove_all(o.work_dir);
  return 0;
}
