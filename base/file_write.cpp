#include "base/file_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace trader {
namespace {

Status cannot_write(const std::string& path, int err) { return fail("cannot write " + path + ": " + std::strerror(err)); }

// Writes all of `content` to `fd`; 0, or the errno of the write that failed.
int write_all(int fd, std::string_view content) {
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

// What is not a regular file (a terminal, /dev/null, a pipe, /dev/full) cannot be
// replaced, only written: in place, its errors (a full disk) the caller's.
Status write_in_place(const std::string& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return cannot_write(path, errno);
  const int err = write_all(fd, content);
  if (::close(fd) != 0 && err == 0) return cannot_write(path, errno);
  if (err != 0) return cannot_write(path, err);
  return {};
}

}  // namespace

Status check_can_write(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return fail("cannot write " + path + ": it is a directory");
    return {};
  }
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return {};  // in the current directory
  const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail("cannot write " + path + ": " + parent + " is not a directory");
  return {};
}

Status write_file_atomically(const std::string& given, std::string_view content) {
  std::string path = given;
  struct stat st{};
  if (::stat(given.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return fail("cannot write " + given + ": it is a directory");
    if (!S_ISREG(st.st_mode)) return write_in_place(given, content);
    // A symbolic link is followed: the file it names is replaced, the link is kept.
    const std::unique_ptr<char, decltype(&std::free)> real(::realpath(given.c_str(), nullptr), &std::free);
    if (!real) return cannot_write(given, errno);
    path = real.get();
  }
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return cannot_write(given, errno);
  auto give_up = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return cannot_write(given, err);
  };
  if (const int err = write_all(fd, content); err != 0) return give_up(err);
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) return give_up(errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return cannot_write(given, err);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return cannot_write(given, err);
  }
  return {};
}

}  // namespace trader
