#include <memory>

#include <fmt/format.h>

#include "base/file_write.hpp"
#include "journal/journal.hpp"
#include "replay/report.hpp"
#include "tools/trader_tools/commands.hpp"
#include "tools/trader_tools/output_path.hpp"

namespace trader::tools {

namespace {
struct ReportArgs {
  std::string dir, html;
};
}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "A finished session from its journal: totals, each UTC day exactly, the "
                                           "trades on the price, each strategy's decisions; as text, or one HTML file");
  cmd->add_option("dir", a->dir, "journal directory")->required();
  cmd->add_option("--html", a->html, "also write the report as one self-contained HTML file (written whole or not at all)");
  cmd->callback([a, &exit_code] {
    if (!a->html.empty())
      if (auto can = check_output_path(a->html); !can) {
        fmt::print(stderr, "error: --html: {}\n", can.error().message);
        exit_code = kExitError;
        return;
      }
    auto reader = journal::Reader::open(a->dir);
    if (!reader) {  // not there, or not a journal: the input is wrong
      fmt::print(stderr, "error: {}\n", reader.error().message);
      exit_code = kExitError;
      return;
    }
    auto report = replay::build_report(**reader, a->dir);
    if (!report) {  // a damaged record, met while reading: as dump, stats and verify say
      fmt::print(stderr, "error: {}\n", report.error().message);
      exit_code = kExitFailed;
      return;
    }
    if (!*report) {
      fmt::print(stderr, "error: {}\n", replay::nothing_to_report(a->dir));
      exit_code = kExitError;
      return;
    }
    fmt::print("{}", replay::render_report_text(**report));
    if (a->html.empty()) return;
    if (auto written = write_file_atomically(a->html, replay::render_report_html(**report)); !written) {
      fmt::print(stderr, "error: {}\n", written.error().message);
      exit_code = kExitError;
      return;
    }
    fmt::print("report: {}\n", a->html);
  });
}

}  // namespace trader::tools
