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
#include "tools/trader_tools/cli_numbers.hpp"
#include "tools/trader_tools/commands.hpp"

namespace {

// LMDB maps the journal and trusts its pages; a corrupted file can make it fault or
// fail one of its internal assertions (abort). Say so in one line, naming the place. A
// fault elsewhere (a bug) lands here too, so the line says what it knows, no more.
void on_fatal_signal(int sig) {
  char buf[400];
  std::size_t n = 0;
  auto put = [&](const char* s) {
    const std::size_t len = std::strlen(s);
    std::memcpy(buf + n, s, len);
    n += len;
  };
  put(sig == SIGBUS ? "error: trader-tools faulted (SIGBUS)"
      : sig == SIGSEGV ? "error: trader-tools faulted (SIGSEGV)"
                       : "error: trader-tools aborted (SIGABRT)");
  put(" near journal seq ");
  char digits[24];
  int d = 0;
  std::uint64_t seq = trader::journal::last_seq_touched();
  do {
    digits[d++] = static_cast<char>('0' + seq % 10);
    seq /= 10;
  } while (seq != 0);
  while (d > 0) buf[n++] = digits[--d];
  put(": a corrupted journal file does this; run 'trader-tools verify' (if it finds the journal sound, this is "
      "a bug in trader-tools)\n");
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
  trader::tools::add_compact_command(app, exit_code);
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
  trader::tools::require_decimal_integers(app);
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
      std::fprintf(stderr, "error: unknown command '%s'; expected one of: import, dump, stats, verify, compact, explain, export, replay, train, diff, report, ctl, keys, sign, exchange-sim, record, project, sweep\n", argv[1]);
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
