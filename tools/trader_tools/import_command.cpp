#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "exchange/capture_check.hpp"
#include "tools/trader_tools/capture_import.hpp"
#include "tools/trader_tools/import_ledger.hpp"
#include "base/code_version.hpp"
#include "base/progress.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {

struct ImportArgs {
  std::vector<std::string> files;
  std::string journal;
  std::string durability = "sync";
  std::string snapshot_symbol;
  bool strict = false;
  bool again = false;
  VenueId venue = VenueId::binance;
};

// The node resumes its last session by replaying the journal from that session's last
// snapshot to the end and continuing its feed after its last input: records imported
// after the session would stand in that replay, and keep it from ever being resumed (a
// crashed node, whose orders may still be open at the venue, included).
Status refuse_after_node_session(const std::string& dir, const std::vector<journal::SessionInfo>& sessions) {
  if (sessions.empty() || sessions.back().config_hash.empty()) return {};  // empty, or an import's last
  const auto& last = sessions.back();
  return fail(fmt::format("journal {} ends with session {} of node {} (from seq {}, {}), which the node resumes by "
                          "continuing it after its last input; records imported after it would keep it from ever "
                          "being resumed. Import into another journal",
                          dir, last.id, last.node_id, last.start_seq,
                          last.end_reason.empty() ? "not ended: it crashed, or is running" : "ended: " + last.end_reason));
}

// Checked under the writer's lock before anything is written: a file whose bytes the
// journal holds already (import_ledger.hpp), unless `again`; a node session at its end.
Status check_journal_takes(journal::Writer& writer, const std::string& dir, const std::vector<CaptureFileId>& files,
                           bool again) {
  auto reader = writer.reader();
  auto meta = reader->meta();
  if (!meta) return tl::unexpected(meta.error());
  auto sessions = reader->sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  if (auto st = refuse_after_node_session(dir, *sessions); !st) return st;
  return again ? Status{} : refuse_imported_again(*meta, *sessions, files);
}

std::string capture_command(VenueId venue) {
  std::string name = fmt::format("{}-capture", venue_name(venue));
  std::replace(name.begin(), name.end(), '_', '-');  // binance_usdm -> binance-usdm-capture
  return name;
}

// Every file must be a capture of the subcommand's venue before anything is written; for
// one that is not, the subcommands that do read it.
Status check_captures_of(VenueId venue, const std::vector<CaptureFileId>& files, const std::string& snapshot_symbol) {
  for (const auto& file : files) {
    auto st = check_holds_messages(file.path, venue, snapshot_symbol);
    if (st) continue;
    std::string readers;
    for (const VenueId other : venues_reading(file.path, venue))
      readers += fmt::format("{}'import {}'", readers.empty() ? "" : " or ", capture_command(other));
    return fail(fmt::format("{}. Nothing was imported{}", st.error().message,
                            readers.empty() ? "" : fmt::format("; it reads as a capture for {}", readers)));
  }
  return {};
}

int run_import(const ImportArgs& args) {
  auto files = identify_capture_files(args.files);
  if (!files) {
    fmt::print(stderr, "error: {}\n", files.error().message);
    return kExitError;
  }
  if (auto st = check_captures_of(args.venue, *files, args.snapshot_symbol); !st) {
    fmt::print(stderr, "error: {}\n", st.error().message);
    return kExitError;
  }
  journal::Options options;
  options.durability = args.durability == "nosync" ? journal::Durability::nosync : journal::Durability::sync;
  auto writer = journal::Writer::open(args.journal, options);
  if (!writer) {
    fmt::print(stderr, "error: {}\n", writer.error().message);
    return kExitError;
  }
  if (auto st = check_journal_takes(**writer, args.journal, *files, args.again); !st) {
    fmt::print(stderr, "error: {}\n", st.error().message);
    return kExitError;
  }
  const auto wall_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  journal::SessionInfo session;
  session.node_id = "import";
  session.start_ts_ns = wall_ns();
  session.code_version = code_version();
  auto session_id = (*writer)->begin_session(session);
  if (!session_id) {
    fmt::print(stderr, "error: {}\n", session_id.error().message);
    return kExitError;
  }
  // Recorded first: an import that fails part way still says the file's records are here.
  if (auto st = record_imported(**writer, *session_id, *files); !st) {
    (void)(*writer)->end_session(*session_id, wall_ns(), "error: " + st.error().message);
    fmt::print(stderr, "error: {}\n", st.error().message);
    return kExitError;
  }

  constexpr std::uint64_t kShownMalformed = 50;
  std::uint64_t malformed_seen = 0;
  ImportOptions opts;
  opts.files = args.files;
  opts.strict = args.strict;
  opts.snapshot_symbol = args.snapshot_symbol;
  opts.venue = args.venue;
  opts.on_malformed = [&](const std::string& what) {
    if (++malformed_seen <= kShownMalformed) fmt::print(stderr, "malformed: {}\n", what);
  };
  Progress bar("import", 0, "lines");
  opts.on_progress = [&bar](std::uint64_t lines) { bar.update(lines); };
  const auto start = std::chrono::steady_clock::now();
  auto report = import_captures(**writer, opts);
  bar.clear();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto now_ns = wall_ns();
  if (!report) {
    (void)(*writer)->end_session(*session_id, now_ns, "error: " + report.error().message);
    fmt::print(stderr, "error: {} (records read before it are committed)\n", report.error().message);
    return kExitError;
  }
  const auto& r = *report;
  auto ended = (*writer)->end_session(*session_id, now_ns, r.stopped_early ? "stopped: malformed line (--strict)" : "completed");
  if (!ended) {
    fmt::print(stderr, "error: {}\n", ended.error().message);
    return kExitError;
  }
  if (malformed_seen > kShownMalformed)
    fmt::print(stderr, "malformed: {} more not shown\n", malformed_seen - kShownMalformed);

  fmt::print("imported {} records from {} lines of {} file(s) into {} (seq {}..{}) in {:.2f} s, {:.0f} lines/s\n",
             r.records, r.lines, args.files.size(), args.journal, r.first_seq, r.last_seq, secs,
             secs > 0 ? static_cast<double>(r.lines) / secs : 0.0);
  for (const auto& [type, n] : r.by_type) fmt::print("  {:<16} {:>10}\n", type, n);
  if (r.unknown_streams.empty()) {
    fmt::print("unknown streams: none\n");
  } else {
    for (const auto& [stream, n] : r.unknown_streams) fmt::print("unknown stream: {:<24} {:>8} lines (not imported)\n", stream, n);
  }
  fmt::print("malformed lines: {}{}\n", r.malformed, r.malformed ? " (journaled as error records)" : "");
  if (r.stopped_early) {
    fmt::print(stderr, "stopped at the first malformed line (--strict)\n");
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

void add_import_command(CLI::App& app, int& exit_code) {
  auto* import = app.add_subcommand("import", "Import recorded market data into a journal");
  import->require_subcommand(1);
  auto args = std::make_shared<ImportArgs>();
  // One subcommand per venue's capture format; their options are the same.
  auto add_capture = [&](const char* what, VenueId venue) {
    auto* cmd = import->add_subcommand(capture_command(venue), what);
    cmd->add_option("files", args->files, "capture files")->required()->check(CLI::ExistingFile);
    cmd->add_option("--journal", args->journal, "journal directory (created if missing)")->required();
    cmd->add_option("--durability", args->durability, "sync: fsync each commit; nosync: survive process crash only")
        ->check(CLI::IsMember({"sync", "nosync"}));
    cmd->add_flag("--strict", args->strict, "stop at the first malformed line (exit 1)");
    cmd->add_flag("--again", args->again,
                  "import files whose bytes the journal holds already (refused without it: their records would be "
                  "there twice)");
    cmd->callback([args, venue, &exit_code] {
      args->venue = venue;
      exit_code = run_import(*args);
    });
    return cmd;
  };
  add_capture("Raw Binance combined-stream captures: one line '<receive_ns> <frame>' each, gzip or plain",
              VenueId::binance)
      ->add_option("--snapshot-symbol", args->snapshot_symbol,
                   "symbol for REST depth snapshots (default: the symbol of the frames before them)");
  add_capture("Raw Binance USDⓈ-M futures combined-stream captures (trade, aggTrade, bookTicker, depth): instruments "
              "named SYMBOL@binance_usdm",
              VenueId::binance_usdm)
      ->add_option("--snapshot-symbol", args->snapshot_symbol,
                   "symbol for REST depth snapshots (default: the symbol of the frames before them)");
  add_capture("Raw Coinbase Advanced Trade WebSocket captures: one line '<receive_ns> <frame>' each, gzip or "
              "plain; a file holds one connection's frames",
              VenueId::coinbase);
  add_capture("Raw KuCoin spot WebSocket captures: one line '<receive_ns> <frame>' each, gzip or plain, REST order "
              "books ({\"code\":\"200000\",\"data\":{...}}) among them",
              VenueId::kucoin)
      ->add_option("--snapshot-symbol", args->snapshot_symbol, "symbol for REST order books, e.g. BTC-USDT (default: the symbol of the frames before them)");
  add_capture("Raw KuCoin Futures WebSocket captures: one line '<receive_ns> <frame>' each, gzip or plain, each "
              "contract's REST answer ({\"code\":\"200000\",\"data\":{\"symbol\",\"multiplier\",...}}) before its "
              "frames (sizes are in its lots); instruments named SYMBOL@kucoin_futures",
              VenueId::kucoin_futures);
}

}  // namespace trader::tools
