#pragma once
// Each trader-tools subcommand registers itself on the app; the callback it installs
// stores the exit code in `exit_code`.
#include <CLI/CLI.hpp>

namespace trader::tools {

// Exit codes shared by all subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the check ran and found a problem (verify, --strict)
inline constexpr int kExitError = 2;   // bad input: usage, missing or unreadable journal/files

void add_import_command(CLI::App& app, int& exit_code);
void add_dump_command(CLI::App& app, int& exit_code);
void add_stats_command(CLI::App& app, int& exit_code);
void add_verify_command(CLI::App& app, int& exit_code);
void add_compact_command(CLI::App& app, int& exit_code);
void add_explain_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_replay_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_ctl_command(CLI::App& app, int& exit_code);
void add_keys_command(CLI::App& app, int& exit_code);
void add_sign_command(CLI::App& app, int& exit_code);
void add_exchange_sim_command(CLI::App& app, int& exit_code);
void add_record_command(CLI::App& app, int& exit_code);
void add_project_command(CLI::App& app, int& exit_code);
void add_sweep_command(CLI::App& app, int& exit_code);

}  // namespace trader::tools
