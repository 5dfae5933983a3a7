#pragma once
// Shared by the benchmark parts: results, timing, temporary directories, real data.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/node_config.hpp"
#include "messages/message_types.hpp"

namespace trader::bench {

struct Options {
  bool smoke = false;          // tiny sizes: checks that everything runs, measures nothing
  std::string data_dir;        // the shared real data (captures, klines)
  std::string work_dir;        // scratch space
  std::string pg_url;          // an empty PostgreSQL database the projection part may use ("": skipped)
};

// Ordered: the JSON lists keys in a stable order.
using Results = std::map<std::string, double>;

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The first file in the data dir whose name starts with `prefix` (the shared data's full
// files, or the test slices for --smoke); "" if none.
std::string data_file(const Options& o, const std::string& prefix);

// A fresh directory under the work dir.
std::string fresh_dir(const Options& o, const std::string& name);

// Real trades of the shared BTCUSDT and ETHUSDT captures, repeated with shifted ids and
// times until there are `n`.
std::vector<Trade> real_trades(const Options& o, std::size_t n);

// The benchmarks' node config (paper, the rule strategy, nosync journal) with `overrides`.
Result<NodeConfig> bench_config(const std::vector<std::string>& overrides, ConfigUse use = ConfigUse::replay);

// The 3-week kline file, repeated `rounds` times back to back (times shifted), as an
// import journal; returns its directory.
Result<std::string> repeated_klines(const Options& o, int rounds, std::size_t limit);

// The shell's floor (bench_shell_floor.cpp): microseconds per delivery and its answer
// between two actors on one scheduler thread, with no work on either side: as the node
// delivers (a message each way), and as a CAF request and its response.
double caf_round_trip_us(std::size_t round_trips);
double caf_request_round_trip_us(std::size_t round_trips);

// A 1-minute candle as the node delivers them: the body the shell and idle-penalty
// figures time.
inline Candle sample_candle() {
  return Candle{"BTCUSDC", 60, 1677628800000, 1677628859999, 2'345'678'000'000, 2'346'000'000'000,
                2'345'000'000'000, 2'345'900'000'000, 123'456'789, 289'000'000'000'000};
}

// The median nanoseconds a candle's flat body takes to decode and encode again, each time
// after spinning idle for `idle` (bench_idle_penalty.cpp), over `samples` times.
double codec_after_idle_ns(std::chrono::nanoseconds idle, int samples);

void bench_journal(const Options& o, Results& r);   // append (nosync, sync), read, bytes per trade
void bench_import(const Options& o, Results& r);    // import vs bare simdjson
void bench_compact(const Options& o, Results& r);   // a compacted journal's bytes a message vs zstd -19 of the JSON
void bench_replay(const Options& o, Results& r);    // replay --verify of a >= 1M-event journal
void bench_node_vs_replay(const Options& o, Results& r);  // the CAF node vs what-if, same config and data
void bench_latency(const Options& o, Results& r);   // tick-to-order in the live CAF node
void bench_projection(const Options& o, Results& r);
void bench_sweep(const Options& o, Results& r);  // the same sweep on 2 workers against 1  // project into SQLite (and PostgreSQL) vs bare bulk inserts

}  // namespace trader::bench
