#include <memory>

#include <fmt/format.h>

#include "journal/journal.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {

void add_compact_command(CLI::App& app, int& exit_code) {
  struct Args {
    std::string dir;
    bool expand = false;
    int level = journal::CompactOptions{}.zstd_level;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "compact", "Rewrite a journal whose sessions have ended into compressed blocks (read-only; --expand undoes it)");
  cmd->add_option("dir", a->dir, "journal directory")->required();
  cmd->add_flag("--expand", a->expand, "restore the records as they were stored, byte for byte");
  cmd->add_option("--level", a->level, "zstd level of the blocks")->check(CLI::Range(1, 22))->capture_default_str();
  cmd->callback([a, &exit_code] {
    // "Not a journal", or one that is already what was asked, is a mistake in the command
    // (exit 2), not a failed compaction; journal::compact refuses them too. A summary that
    // cannot be read is left to the compaction, which verifies first and names the damage.
    const auto mistake = [&]() -> std::string {
      auto reader = journal::Reader::open(a->dir);
      if (!reader) return reader.error().message;
      auto summary = (*reader)->summary();
      if (!summary) return "";
      if (summary->compacted && !a->expand)
        return fmt::format("journal {} is already compacted ('compact --expand' restores its records)", a->dir);
      if (!summary->compacted && a->expand) return fmt::format("journal {} is not compacted: nothing to expand", a->dir);
      if (summary->records == 0)
        return fmt::format("journal {} holds no records: nothing to {}", a->dir, a->expand ? "expand" : "compact");
      return "";
    }();
    if (!mistake.empty()) {
      fmt::print(stderr, "error: {}\n", mistake);
      exit_code = kExitError;
      return;
    }
    journal::CompactOptions options;
    options.zstd_level = a->level;
    auto report = a->expand ? journal::expand(a->dir) : journal::compact(a->dir, options);
    if (!report) {
      fmt::print(stderr, "error: {}\n", report.error().message);
      exit_code = kExitFailed;
      return;
    }
    const auto per_record = [&](std::uint64_t bytes) { return static_cast<double>(bytes) / static_cast<double>(report->records); };
    fmt::print("{} {}: {} records{}, data.mdb {} -> {} bytes ({:.1f} -> {:.1f} bytes a record)\n",
               a->expand ? "expanded" : "compacted", a->dir, report->records,
               a->expand ? "" : fmt::format(" in {} block{}", report->blocks, report->blocks == 1 ? "" : "s"),
               report->bytes_before, report->bytes_after,
               per_record(report->bytes_before), per_record(report->bytes_after));
    fmt::print("    verified: the same records, chain head {}\n", journal::to_hex(report->chain_head));
    exit_code = kExitOk;
  });
}

}  // namespace trader::tools
