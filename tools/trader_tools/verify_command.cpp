#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "journal/journal.hpp"
#include "replay/replay.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {

void add_verify_command(CLI::App& app, int& exit_code) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("verify", "Check every record's checksum, seq continuity and the batch hash chain");
  cmd->add_option("dir", *dir, "journal directory")->required();
  cmd->callback([dir, &exit_code] {
    auto reader = journal::Reader::open(*dir);  // distinguishes "not a journal" from "corrupt"
    if (!reader) {
      fmt::print(stderr, "error: {}\n", reader.error().message);
      exit_code = kExitError;
      return;
    }
    reader->reset();
    auto report = journal::verify(*dir);
    if (!report) {
      fmt::print(stderr, "corrupt: {}\n", report.error().message);
      exit_code = kExitFailed;
      return;
    }
    auto again = journal::Reader::open(*dir);
    if (!again) {
      fmt::print(stderr, "error: {}\n", again.error().message);
      exit_code = kExitError;
      return;
    }
    if (auto st = replay::check_session_configs(**again); !st) {
      fmt::print(stderr, "corrupt: {}\n", st.error().message);
      exit_code = kExitFailed;
      return;
    }
    fmt::print("ok: {} records in {} batches, chain head {}\n", report->records, report->batches,
               journal::to_hex(report->chain_head));
    fmt::print("    {} meta values, snapshots and session records under the chain", report->attested);
    if (report->unattested.empty()) {
      fmt::print("\n");
    } else {
      // Written before attestations existed, or after the last commit of a crashed run.
      fmt::print("; {} outside it: {}{}\n", report->unattested.size(),
                 fmt::join(report->unattested.begin(),
                           report->unattested.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(report->unattested.size(), 5)),
                           ", "),
                 report->unattested.size() > 5 ? ", ..." : "");
    }
    exit_code = kExitOk;
  });
}

}  // namespace trader::tools
