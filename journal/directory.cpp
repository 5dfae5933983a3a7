#include "journal/directory.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "journal/journal.hpp"

namespace trader::journal {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kOwnFiles[] = {"data.mdb", "lock.mdb", "writer.lock"};

// An exclusive hold on the writer lock while the directory is archived or replaced.
class LockHold {
 public:
  ~LockHold() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status take(const std::string& dir) {
    auto fd = take_writer_lock(dir);
    if (!fd) return fail(fd.error().message + "; it is left as it is");
    fd_ = *fd;
    return {};
  }

 private:
  int fd_ = -1;
};

std::uint64_t records_in(const std::string& dir) {
  auto reader = Reader::open(dir);
  if (!reader) return 0;
  auto s = (*reader)->summary();
  return s ? s->records : 0;
}

}  // namespace

bool is_own_file(std::string_view name) {
  return std::find(std::begin(kOwnFiles), std::end(kOwnFiles), name) != std::end(kOwnFiles);
}

Status refuse_own_file(const std::string& path) {
  std::error_code ec;
  for (const fs::path& p : {fs::path(path), fs::weakly_canonical(path, ec)}) {
    if (p.empty() || !is_own_file(p.filename().string())) continue;
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (fs::exists(dir / "data.mdb", ec))
      return fail(fmt::format("cannot write {}: it is a file of the journal in {}, and writing it would destroy the "
                              "journal; give another path", path, dir.string()));
  }
  return {};
}

Result<int> take_writer_lock(const std::string& dir) {
  const std::string path = dir + "/writer.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    const auto pid = writer_lock_holder(dir);
    return fail(fmt::format("journal {} is already open for writing by {}", dir,
                            pid.empty() ? "another process" : "process " + pid));
  }
  return fd;
}

std::string writer_lock_holder(const std::string& dir) {
  const int fd = ::open((dir + "/writer.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string pid;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    char buf[32] = {};
    const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) pid.assign(buf, static_cast<std::size_t>(n));
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  }
  ::close(fd);
  return pid;
}

Result<std::string> files_not_of_a_journal(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> foreign;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (!is_own_file(name)) foreign.push_back(name + (e.is_directory() ? "/" : ""));
  }
  if (ec) return fail(fmt::format("cannot list {}: {}", dir, ec.message()));
  std::sort(foreign.begin(), foreign.end());
  std::string listed;
  for (std::size_t i = 0; i < foreign.size() && i < 5; ++i) listed += (i ? ", " : "") + foreign[i];
  if (foreign.size() > 5) listed += fmt::format(" and {} more", foreign.size() - 5);
  return listed;
}

Status check_new_journal_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return {};
  if (!fs::is_directory(dir, ec)) return fail(fmt::format("{} is not a directory (a journal is a directory)", dir));
  if (fs::exists(fs::path(dir) / "data.mdb", ec))
    return fail(fmt::format("{} already holds a journal; a new journal is made only in a new or empty directory", dir));
  auto foreign = files_not_of_a_journal(dir);
  if (!foreign) return tl::unexpected(foreign.error());
  if (!foreign->empty())
    return fail(fmt::format("{} is not a journal (it holds {}); a new journal is made only in a new or empty "
                            "directory",
                            dir, *foreign));
  return {};
}

Result<std::string> make_room(const std::string& dir, Existing how) {
  std::error_code ec;
  if (dir.empty()) return fail("journal.path is empty: name the journal's directory");
  if (!fs::exists(dir, ec)) return std::string();
  if (!fs::is_directory(dir, ec)) return fail(fmt::format("journal.path {} exists and is not a directory", dir));
  auto foreign = files_not_of_a_journal(dir);
  if (!foreign) return tl::unexpected(foreign.error());
  const std::string& listed = *foreign;

  if (!fs::exists(fs::path(dir) / "data.mdb", ec)) {
    if (listed.empty()) return std::string();  // nothing recorded here
    return fail(fmt::format("journal.path {} is not a journal (it holds {}); choose another path", dir, listed));
  }
  switch (how) {
    case Existing::error:
      return fail(fmt::format("journal {} already holds {} records; choose another journal.path, or set "
                              "journal.if_exists = \"archive\" to move it aside (or \"resume\" to continue it)",
                              dir, records_in(dir)));
    case Existing::replace: {
      if (!listed.empty())
        return fail(fmt::format("journal.if_exists = \"replace\" deletes only a journal's own files, and {} also "
                                "holds {}; move them, or use \"archive\"",
                                dir, listed));
      LockHold hold;
      if (auto st = hold.take(dir); !st) return tl::unexpected(st.error());
      const auto records = records_in(dir);
      for (auto name : {"data.mdb", "lock.mdb"}) {
        fs::remove(fs::path(dir) / name, ec);
        if (ec) return fail(fmt::format("cannot remove {}/{}: {}", dir, name, ec.message()));
      }
      return fmt::format("replaced the journal at {} ({} records deleted, as journal.if_exists = \"replace\" asks)", dir,
                         records);
    }
    case Existing::archive: {
      LockHold hold;
      if (auto st = hold.take(dir); !st) return tl::unexpected(st.error());
      std::string to;
      for (int n = 1;; ++n) {
        to = fmt::format("{}.{}", dir, n);
        if (!fs::exists(to, ec)) break;
      }
      fs::rename(dir, to, ec);
      if (ec) return fail(fmt::format("cannot move {} to {}: {}", dir, to, ec.message()));
      return fmt::format("moved the journal at {} to {} (journal.if_exists = \"archive\")", dir, to);
    }
  }
  return std::string();
}

}  // namespace trader::journal
