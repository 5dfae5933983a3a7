#include <memory>

#include <fmt/format.h>

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
    exit_code = kExitOk;
  });
}

}  // namespace trader::tools
