#include <doctest/doctest.h>

#include <fstream>
#include <zlib.h>

#include "exchange/capture_file.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {
std::string data_file(const char* name) { return std::string(TRADER_TEST_DATA_DIR) + "/" + name; }

std::vector<CaptureLine> read_all(const std::string& path, std::vector<std::string>* frames = nullptr) {
  auto f = CaptureFile::open(path);
  REQUIRE(f.has_value());
  std::vector<CaptureLine> out;
  CaptureLine line;
  for (;;) {
    auto more = (*f)->next(line);
    REQUIRE(more.has_value());
    if (!*more) break;
    CHECK(line.frame_capacity >= line.frame_len + 64);
    if (frames) frames->emplace_back(line.text());
    out.push_back(line);
  }
  return out;
}
}  // namespace

TEST_CASE("reads a gzip capture: line numbers, receive times, frames") {
  std::vector<std::string> frames;
  auto lines = read_all(data_file("xrpeth_aggtrade_20191011_head3k.gz"), &frames);
  REQUIRE(lines.size() == 3000);
  CHECK(lines.front().line_no == 1);
  CHECK(lines.front().ts_ok);
  CHECK(lines.front().recv_ts_ns == 1570752011620000000);
  CHECK(frames.front().rfind(R"({"stream":"xrpeth@aggTrade")", 0) == 0);
  CHECK(lines.back().line_no == 3000);
  CHECK(frames.back().back() == '}');
}

TEST_CASE("plain text capture: blank lines skipped, bad timestamps flagged, last line without newline") {
  test::TempDir dir;
  const auto path = dir.sub("plain.txt");
  std::ofstream(path) << "1 {\"a\":1}\r\n\nx {\"b\":2}\n3 {\"c\":3}";
  std::vector<std::string> frames;
  auto lines = read_all(path, &frames);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].recv_ts_ns == 1);
  CHECK(frames[0] == "{\"a\":1}");  // CR removed
  CHECK(lines[1].line_no == 3);
  CHECK_FALSE(lines[1].ts_ok);
  CHECK(lines[2].line_no == 4);
  CHECK(frames[2] == "{\"c\":3}");
}

TEST_CASE("a long line (a 64 KB depth snapshot) spanning read chunks is whole") {
  test::TempDir dir;
  const auto path = dir.sub("long.txt");
  std::string big(3 << 20, 'x');  // longer than one read chunk
  std::ofstream(path) << "1 short\n2 " << big << "\n3 end\n";
  std::vector<std::string> frames;
  auto lines = read_all(path, &frames);
  REQUIRE(lines.size() == 3);
  CHECK(frames[1].size() == big.size());
  CHECK(frames[2] == "end");
}

TEST_CASE("a truncated gzip file is an error naming the file, not a silent end") {
  test::TempDir dir;
  const auto path = dir.sub("cut.gz");
  {
    gzFile gz = gzopen(path.c_str(), "wb");
    for (int i = 0; i < 20000; ++i) gzprintf(gz, "%d {\"stream\":\"x@trade\",\"data\":{\"i\":%d}}\n", i, i);
    gzclose(gz);
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  auto f = CaptureFile::open(path);
  REQUIRE(f.has_value());
  CaptureLine line;
  Result<bool> more = true;
  int n = 0;
  while (more && *more) {
    more = (*f)->next(line);
    ++n;
  }
  REQUIRE_FALSE(more.has_value());
  CHECK(more.error().message.find("cut.gz") != std::string::npos);
  CHECK(n > 1);
}

TEST_CASE("a missing capture file is a clear error") {
  auto f = CaptureFile::open("/nonexistent/day.gz");
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().message.find("/nonexistent/day.gz") != std::string::npos);
}
