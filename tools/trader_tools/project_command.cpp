#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "base/progress.hpp"
#include "journal/journal.hpp"
#include "projection/projector.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {

namespace {

struct ProjectArgs {
  std::string dir, db;
  std::int64_t from = 0;  // signed: "-1" is an error, not 2^64-1
  std::int64_t batch = 50'000;
  bool follow = false, candles = false;
};

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

// Following: look again shortly, or sooner when asked to stop. True when asked to stop.
bool pause_or_stop() {
  for (int i = 0; i < 10 && !g_stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return g_stop != 0;
}

// A follower started beside a node can find its journal before the first commit, and a
// journal's identity is its first session or batch: it waits for one instead of failing.
// An exit code when it must end first (stopped, or the journal is unreadable).
std::optional<int> wait_for_first_commit(journal::Reader& reader, const std::string& dir) {
  bool said = false;
  for (;;) {
    auto summary = reader.summary();
    if (!summary) {
      fmt::print(stderr, "error: {}\n", summary.error().message);
      return kExitError;
    }
    if (summary->batches > 0) return std::nullopt;
    if (!said) {
      fmt::print("{}: no committed record yet, waiting for the first\n", dir);
      std::fflush(stdout);
      said = true;
    }
    if (pause_or_stop()) {
      fmt::print("stopped: nothing was committed\n");
      return kExitOk;
    }
  }
}

int run_project(const ProjectArgs& a) {
  if (a.from < 0 || a.batch < 1) {
    fmt::print(stderr, "error: --from takes a seq of 1 or more, --batch a record count of 1 or more\n");
    return kExitError;
  }
  auto reader = journal::Reader::open(a.dir);
  if (!reader) {
    fmt::print(stderr, "error: {}\n", reader.error().message);
    return kExitError;
  }
  auto store = projection::open_store(a.db);
  if (!store) {
    fmt::print(stderr, "error: {}\n", store.error().message);
    return kExitError;
  }
  if (a.follow) {
    std::signal(SIGINT, on_stop);
    std::signal(SIGTERM, on_stop);
    if (auto stopped = wait_for_first_commit(**reader, a.dir)) return *stopped;
  }
  projection::ProjectOptions options;
  options.from_seq = static_cast<std::uint64_t>(a.from);
  options.batch_records = static_cast<std::size_t>(a.batch);
  options.rows.candles = a.candles;
  auto projector = projection::Projector::open(**reader, **store, a.dir, options);
  if (!projector) {
    fmt::print(stderr, "error: {}\n", projector.error().message);
    return kExitError;
  }
  const auto where = (*store)->describe();
  fmt::print("journal {} into {}, projected up to seq {}\n", projector->journal_id(), where, projector->progress());
  std::fflush(stdout);
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    Progress bar("project", 0, "records");
    auto done = projector->catch_up([&bar](std::uint64_t read, std::uint64_t total) {
      bar.set_total(total);
      bar.update(read);
    });
    bar.clear();
    if (!done) {
      fmt::print(stderr, "error: {} (the rows before it are kept: projected up to seq {})\n", done.error().message,
                 projector->progress());
      return kExitFailed;
    }
    if (done->records > 0 || !a.follow) {
      const auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (done->records > 0)
        fmt::print("seq {}..{}: {} records, {} rows in {} transaction(s), {:.3f} s\n", done->first_seq,
                   done->last_seq, done->records, done->rows, done->batches, s);
      else
        fmt::print("nothing new: up to date at seq {}\n", projector->progress());
      std::fflush(stdout);
    }
    if (!a.follow) return kExitOk;
    // A new read transaction sees the writer's latest commit.
    if (pause_or_stop()) {
      if (auto last = projector->catch_up(); !last) {
        fmt::print(stderr, "error: {}\n", last.error().message);
        return kExitFailed;
      }
      fmt::print("stopped: projected up to seq {}\n", projector->progress());
      return kExitOk;
    }
  }
}

}  // namespace

void add_project_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ProjectArgs>();
  auto* cmd = app.add_subcommand(
      "project", "Keep SQL tables of a journal's decisions, fills, orders and equity up to date (SQLite or "
                 "PostgreSQL): resumable, exactly once, and able to follow a live node");
  cmd->add_option("dir", a->dir, "journal directory")->required();
  cmd->add_option("--db", a->db, "sqlite:FILE (created if missing) or postgresql://[user@]host[:port]/dbname")
      ->required();
  cmd->add_flag("--follow", a->follow, "keep following the journal as the node writes it, until SIGINT or SIGTERM");
  cmd->add_option("--from", a->from, "project from this seq (default: resume after what the database holds)");
  cmd->add_flag("--candles", a->candles, "also project candles (many rows; rebuilt from market data anyway)");
  cmd->add_option("--batch", a->batch, "records per transaction at most (default 50000)");
  cmd->callback([a, &exit_code] { exit_code = run_project(*a); });
}

}  // namespace trader::tools
