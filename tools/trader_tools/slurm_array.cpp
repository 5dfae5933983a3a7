#include "tools/trader_tools/slurm_array.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

extern char** environ;

namespace trader::tools {
namespace fs = std::filesystem;
namespace {

std::string_view kind_name(replay::StepKind kind) { return kind == replay::StepKind::model ? "model" : "task"; }

// One argument for the shell of the array's batch script.
std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `argv` with stdout and stderr appended to `log`; its exit code.
Result<int> run_logged(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail(fmt::format("cannot run {}: {} (is this a Slurm submit host?)", argv[0], std::strerror(rc)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return fail(fmt::format("waiting for {}: {}", argv[0], std::strerror(errno)));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// The lines sbatch appended to the log after `from` bytes.
std::string read_from(const std::string& path, std::uintmax_t from) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(from));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::string array_spec(const std::vector<std::size_t>& steps) {
  std::string out;
  for (std::size_t i = 0; i < steps.size();) {
    std::size_t j = i;
    while (j + 1 < steps.size() && steps[j + 1] == steps[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + (j == i ? std::to_string(steps[i] + 1)
                                              : fmt::format("{}-{}", steps[i] + 1, steps[j] + 1));
    i = j + 1;
  }
  return out;
}

std::string slurm_step_log(const replay::SweepPlan& plan, replay::StepKind kind, std::size_t index) {
  return (fs::path(plan.options.out_dir) / "logs" / fmt::format("{}-{}.log", kind_name(kind), index + 1)).string();
}

Result<ArrayRun> run_slurm_array(const replay::SweepPlan& plan, replay::StepKind kind,
                                 const std::vector<std::size_t>& steps, const std::vector<std::string>& sbatch_args) {
  std::error_code ec;
  const fs::path logs = fs::path(plan.options.out_dir) / "logs";
  fs::create_directories(logs, ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", logs.string(), ec.message()));
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return fail(fmt::format("cannot find this program's path: {}", ec.message()));
  const std::string log = (logs / "sbatch.out").string();
  const std::uintmax_t before = fs::exists(log, ec) ? fs::file_size(log, ec) : 0;
  std::vector<std::string> argv{"sbatch", "--wait", "--parsable",
                                fmt::format("--job-name=trader-sweep-{}s", kind_name(kind)),
                                "--array=" + array_spec(steps),
                                "--output=" + (logs / fmt::format("{}-%a.log", kind_name(kind))).string(),
                                "--chdir=" + plan.cwd};
  argv.insert(argv.end(), sbatch_args.begin(), sbatch_args.end());
  argv.push_back(fmt::format("--wrap=exec {} sweep-step {} --{} \"$SLURM_ARRAY_TASK_ID\"", shell_quoted(exe.string()),
                             shell_quoted(plan.options.out_dir), kind_name(kind)));
  auto rc = run_logged(argv, log);
  if (!rc) return tl::unexpected(rc.error());
  const std::string said = read_from(log, before);
  ArrayRun run{said.substr(0, said.find_first_not_of("0123456789")), *rc};
  if (run.job_id.empty()) {
    std::string why = said.substr(0, said.find('\n'));
    return fail(fmt::format("sbatch did not submit the {}s (exit {}): {}", kind_name(kind), *rc,
                            why.empty() ? "no output" : why));
  }
  return run;
}

}  // namespace trader::tools
