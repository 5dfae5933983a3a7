// trader-tools: the offline tools around a journal.
#include <csignal>
#include <new>
#include <system_error>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "base/code_version.hpp"
#include "journal/journal.hpp"
#include "tools/trader_tools/commands.hpp"

namespace {

// LMDB maps the journal and trusts its pages; a corrupted file can make it fault or
// fail one of its internal assertions (abort). Say so in one line, naming the place.
void on_fatal_signal(int sig) {
  char buf[160];
  const char* head = "error: the journal file is corrupted: reading it faulted near seq ";
  std::size_t n = std::strlen(head);
  std::memcpy(buf, head, n);
  char digits[24];
  int d = 0;
  std::uint64_t seq = trader::journal::last_seq_touched();
  do {
    digits[d++] = static_cast<char>('0' + seq % 10);
    seq /= 10;
  } while (seq != 0);
  while (d > 0) buf[n++] = digits[--d];
  const char* tail = " (run 'trader-tools verify')\n";
  std::memcpy(buf + n, tail, std::strlen(tail));
  n += std::strlen(tail);
  [[maybe_unused]] auto w = ::write(STDERR_FILENO, buf, n);
  ::_exit(trader::tools::kExitError);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGSEGV, on_fatal_signal);
  std::signal(SIGBUS, on_fatal_signal);
  std::signal(SIGABRT, on_fatal_signal);

  CLI::App app{"trader-tools: import, inspect, verify, export and replay trading journals"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("trader-tools: ") + trader::code_version());
  int exit_code = trader::tools::kExitOk;
  trader::tools::add_import_command(app, exit_code);
  trader::tools::add_dump_command(app, exit_code);
  trader::tools::add_stats_command(app, exit_code);
  trader::tools::add_verify_command(app, exit_code);
  trader::tools::add_explain_command(app, exit_code);
  trader::tools::add_export_command(app, exit_code);
  trader::tools::add_replay_command(app, exit_code);
  trader::tools::add_train_command(app, exit_code);
  trader::tools::add_diff_command(app, exit_code);
  trader::tools::add_report_command(app, exit_code);
  trader::tools::add_ctl_command(app, exit_code);
  trader::tools::add_keys_command(app, exit_code);
  trader::tools::add_sign_command(app, exit_code);
  trader::tools::add_exchange_sim_command(app, exit_code);
  trader::tools::add_record_command(app, exit_code);
  trader::tools::add_project_command(app, exit_code);
  trader::tools::add_sweep_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty()) {
      std::fprintf(stderr, "error: unknown command '%s'; expected one of: import, dump, stats, verify, explain, export, replay, train, diff, report, ctl, keys, sign, exchange-sim, record\n", argv[1]);
      return trader::tools::kExitError;
    }
    std::fprintf(stderr, "error: %s (see 'trader-tools%s --help')\n", e.what(),
                 app.get_subcommands().empty() ? "" : (" " + app.get_subcommands().front()->get_name()).c_str());
    return trader::tools::kExitError;
  } catch (const std::bad_alloc&) {
    // Its real cause, not a journal fault: the journal is fine, the machine ran out.
    std::fprintf(stderr, "error: out of memory\n");
    return trader::tools::kExitFailed;
  } catch (const std::system_error& e) {  // e.g. a write to a full disk (fmt::print throws)
    std::fprintf(stderr, "error: %s\n", e.what());
    return trader::tools::kExitFailed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return trader::tools::kExitFailed;
  }
  return exit_code;
}
