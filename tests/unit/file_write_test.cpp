// base/file_write.hpp: whole or not at all, through links, and never over a device.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/file_write.hpp"
#include "test_support.hpp"

using namespace trader;
namespace fs = std::filesystem;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_char_device(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

// Only the named entries: no temporary file is left beside them.
std::size_t entries(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

// A character device like /dev/null (1, 3) or /dev/full (1, 7) in `dir`, when this process
// may make one (root); else the system's own, which it then cannot replace either.
std::string device(const test::TempDir& dir, const char* name, unsigned minor) {
  const std::string copy = dir.sub(name);
  if (::mknod(copy.c_str(), S_IFCHR | 0666, makedev(1, minor)) == 0) return copy;
  MESSAGE("mknod not permitted: using /dev/" << name);
  return std::string("/dev/") + name;
}

}  // namespace

TEST_CASE("write_file_atomically: a new file and a replaced one hold exactly the content, no temporary file is left") {
  test::TempDir dir;
  const auto path = dir.sub("out.csv");
  REQUIRE(write_file_atomically(path, "a,b\n1,2\n").has_value());
  CHECK(read_all(path) == "a,b\n1,2\n");
  REQUIRE(write_file_atomically(path, "x\n").has_value());
  CHECK(read_all(path) == "x\n");
  CHECK(entries(dir.path()) == 1);
  // A directory that does not exist: an error naming the path, nothing created.
  const auto missing = write_file_atomically(dir.sub("no/such/dir/out.csv"), "x");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.find("no/such/dir/out.csv") != std::string::npos);
  CHECK(entries(dir.path()) == 1);
  const auto directory = write_file_atomically(dir.path(), "x");
  REQUIRE_FALSE(directory.has_value());
  CHECK(directory.error().message.find("it is a directory") != std::string::npos);
}

TEST_CASE("write_file_atomically: a symbolic link is followed, the file it names replaced and the link kept") {
  test::TempDir dir;
  const auto target = dir.sub("target.html"), link = dir.sub("link.html");
  { std::ofstream(target) << "old"; }
  fs::create_symlink(target, link);
  REQUIRE(write_file_atomically(link, "new").has_value());
  CHECK(fs::is_symlink(link));
  CHECK(read_all(target) == "new");
  CHECK(entries(dir.path()) == 2);
}

TEST_CASE("write_file_atomically: a device is written in place, never replaced, and a full one is an error") {
  test::TempDir dir;
  const auto null = device(dir, "null", 3);
  REQUIRE(write_file_atomically(null, "discarded").has_value());
  CHECK(is_char_device(null));
  const auto full = device(dir, "full", 7);
  const auto written = write_file_atomically(full, "no room");
  REQUIRE_FALSE(written.has_value());  // before: a file renamed over the device, exit 0
  CHECK(written.error().message.find("No space left on device") != std::string::npos);
  CHECK(is_char_device(full));
}

TEST_CASE("check_can_write: a directory, or a path whose directory does not exist, is refused before any work") {
  test::TempDir dir;
  CHECK(check_can_write(dir.sub("new.html")).has_value());  // a new file in a directory that exists
  std::ofstream(dir.sub("old.csv")) << "kept";
  CHECK(check_can_write(dir.sub("old.csv")).has_value());  // an existing file is replaced later
  CHECK(check_can_write("relative.csv").has_value());      // the current directory
  auto is_dir = check_can_write(dir.path());
  REQUIRE_FALSE(is_dir.has_value());
  CHECK(is_dir.error().message == "cannot write " + dir.path() + ": it is a directory");
  auto no_parent = check_can_write(dir.sub("no/such/out.html"));
  REQUIRE_FALSE(no_parent.has_value());
  CHECK(no_parent.error().message == "cannot write " + dir.sub("no/such/out.html") + ": " + dir.sub("no/such") +
                                         " is not a directory");
  auto file_parent = check_can_write(dir.sub("old.csv/out.html"));  // a file where a directory should be
  REQUIRE_FALSE(file_parent.has_value());
  CHECK(file_parent.error().message.find(dir.sub("old.csv") + " is not a directory") != std::string::npos);
  CHECK(read_all(dir.sub("old.csv")) == "kept");
}
