#include <memory>

#include <fmt/format.h>

#include "actors/portfolio/portfolio_core.hpp"
#include "base/progress.hpp"
#include "config/node_config.hpp"
#include "journal/directory.hpp"
#include "journal/journal.hpp"
#include "messages/fixed_point.hpp"
#include "replay/replay.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {

struct ReplayArgs {
  std::string dir;
  bool verify = false, what_if = false;
  std::uint64_t from = 1, to = std::numeric_limits<std::uint64_t>::max();
  std::string day;
  std::string config, out;
  std::vector<std::string> overrides;
};

// Records of the range read so far, for the progress line (drawn only on a terminal).
replay::ProgressFn progress_of(Progress& bar, const replay::Range& range) {
  if (!Progress::wanted()) return {};
  return [&bar, from = range.from_seq](std::uint64_t seq, std::uint64_t last) {
    bar.set_total(last >= from ? last - from + 1 : 0);
    bar.update(seq >= from ? seq - from + 1 : 0);
  };
}

// After a divergence or a wrong snapshot in a session another build recorded.
void print_other_build(const replay::VerifyReport& r) {
  if (r.other_build.empty()) return;
  fmt::print("note: {}. A build whose decisions changed since diverges from a faithful record too: verify the "
             "session with the build that recorded it ('trader-tools stats' names each session's build).\n",
             r.other_build);
}

int print_verify(const replay::VerifyReport& r) {
  const double rate = r.seconds > 0 ? static_cast<double>(r.messages) / r.seconds : 0.0;
  if (r.divergence) {
    fmt::print("{}", replay::describe(*r.divergence));
    fmt::print("({} messages identical before it, {:.2f} s)\n", r.messages, r.seconds);
    print_other_build(r);
    return kExitFailed;
  }
  if (!r.bad_snapshot.empty()) {
    fmt::print("snapshot wrong: {}\n({} messages identical before it, {:.2f} s)\n", r.bad_snapshot, r.messages, r.seconds);
    print_other_build(r);
    return kExitFailed;
  }
  if (r.sessions == 0) {
    fmt::print(stderr, "error: nothing to replay: no node session in the range ({} session(s) without actors, e.g. "
                       "imports)\n", r.sessions_skipped);
    return kExitError;
  }
  fmt::print("identical: {} messages, decision hash {}\n", r.messages, r.decision_hash);
  fmt::print("  {} decisions, {} external inputs, {} session(s){}, {} snapshot(s) checked, {:.2f} s, {:.0f} messages/s\n",
             r.decisions, r.inputs, r.sessions,
             r.snapshot_seq ? fmt::format(", from the snapshot at seq {}", r.snapshot_seq) : "", r.snapshots_checked,
             r.seconds, rate);
  if (r.unrecorded > 0)
    fmt::print("  the last session stopped in the middle of a cascade (it crashed, or ended with an error): after seq "
               "{}, {} consequence(s) of its last input were never journaled; resuming the node regenerates them\n",
               r.cut_after_seq, r.unrecorded);
  return kExitOk;
}

int run_replay(const ReplayArgs& a) {
  if (a.verify == a.what_if) {
    fmt::print(stderr, "error: replay needs exactly one of --verify or --what-if (see 'trader-tools replay --help')\n");
    return kExitError;
  }
  if (a.from > a.to) {
    fmt::print(stderr, "error: --from {} is after --to {}; expected --from <= --to\n", a.from, a.to);
    return kExitError;
  }
  // A missing directory or one that is not a journal is bad input (exit 2); damage found
  // while replaying is a failed verification (exit 1).
  auto reader = journal::Reader::open(a.dir);
  if (!reader) {
    fmt::print(stderr, "error: {}\n", reader.error().message);
    return kExitError;
  }
  // (A summary that cannot be read is left to the replay, which names the damage.)
  if (auto summary = (*reader)->summary(); summary && summary->records > 0 && a.from > summary->last_seq) {
    fmt::print(stderr, "error: --from {} is after the journal's last record, seq {} (its records are seq {}..{})\n",
               a.from, summary->last_seq, summary->first_seq, summary->last_seq);
    return kExitError;
  }
  reader->reset();  // replay opens the journal itself
  replay::Range range{a.from, a.to};
  if (!a.day.empty()) {
    auto day = replay::day_range(a.dir, a.day);
    if (!day) {
      fmt::print(stderr, "error: {}\n", day.error().message);
      return kExitError;
    }
    range = *day;
  }
  if (a.verify) {
    if (!a.config.empty() || !a.out.empty()) {
      fmt::print(stderr, "error: --verify replays the recorded config; --config and --out go with --what-if\n");
      return kExitError;
    }
    Progress bar("verify", 0, "records");
    auto report = replay::verify(a.dir, range, replay::node_cores, progress_of(bar, range));
    bar.clear();
    if (!report) {
      fmt::print(stderr, "error: {}\n", report.error().message);
      return kExitFailed;  // a damaged journal is a failed verification
    }
    return print_verify(*report);
  }
  if (a.config.empty() || a.out.empty()) {
    fmt::print(stderr, "error: --what-if needs --config FILE and --out DIR\n");
    return kExitError;
  }
  auto config = load_node_config_for_what_if(a.config, a.overrides);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().message);
    return kExitError;
  }
  if (auto st = journal::check_new_journal_dir(a.out); !st) {  // a mistake in the command, before any work
    fmt::print(stderr, "error: --out: {}\n", st.error().message);
    return kExitError;
  }
  for (const auto& warning : paper_fee_warnings(*config)) fmt::print(stderr, "warning: {}\n", warning);  // as the node says
  Progress bar("what-if", 0, "records");
  auto report = replay::what_if(a.dir, range, *config, a.out, replay::node_cores, progress_of(bar, range));
  bar.clear();
  if (!report) {
    fmt::print(stderr, "error: {}\n", report.error().message);
    return kExitFailed;
  }
  const auto& r = *report;
  const auto& p = r.portfolio;
  fmt::print("what-if: {} inputs -> {} records in {} in {:.2f} s\n", r.inputs, r.records, a.out, r.seconds);
  fmt::print("  decision hash {} ({} decisions)\n", r.decision_hash, r.decisions);
  if (p.starting_cash)
    fmt::print("  {} fills, {} round trips, pnl {} {}, fees {}, max drawdown {:.2f}%, final equity {}\n", p.fills,
               p.round_trips, format_fixed(p.equity - p.starting_cash), p.quote_asset, format_fixed(p.fees),
               p.max_drawdown_ppm / 1e4, format_fixed(p.equity));
  if (!r.lost_book.empty()) {  // as the node fails on it
    fmt::print(stderr, "error: {}\n", PortfolioCore::lost_book_failure(r.lost_book.size(), r.lost_book.front()));
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

void add_replay_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand("replay", "Re-run recorded sessions through the node's cores: --verify or --what-if");
  cmd->add_option("dir", args->dir, "journal directory")->required();
  cmd->add_flag("--verify", args->verify,
                "re-drive every actor with its recorded inputs and compare every output; exit 1 at the first divergence");
  cmd->add_flag("--what-if", args->what_if,
                "feed the recorded external inputs through the cores of --config, writing a new journal to --out");
  cmd->add_option("--from", args->from, "first seq");
  cmd->add_option("--to", args->to, "last seq");
  cmd->add_option("--day", args->day, "only records received on this UTC day (YYYY-MM-DD)");
  cmd->add_option("--config", args->config, "what-if: the config to run");
  cmd->add_option("--set", args->overrides, "what-if: override a config key, key=value");
  cmd->add_option("--out", args->out, "what-if: the new journal's directory");
  cmd->callback([args, &exit_code] { exit_code = run_replay(*args); });
}

}  // namespace trader::tools
