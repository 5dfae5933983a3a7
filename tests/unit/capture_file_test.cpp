#include <doctest/doctest.h>

#include <fstream>
#include <zlib.h>

#include "exchange/capture_file.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {
std::string data_file(const char* name) { return std::string(TRADER_TEST_DATA_DIR) + "/" + name; }

std::vector<CaptureLine> read_all(const std::string& path, std::vector<std::string>* frames = nullptr,
                                  CaptureFile::Gunzip gunzip = CaptureFile::Gunzip::inline_) {
  auto f = CaptureFile::open(path, gunzip);
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

// A capture cut in the middle of its gzip data: lines read before the cut, then the error.
std::pair<int, std::string> read_until_error(const std::string& path, CaptureFile::Gunzip gunzip) {
  auto f = CaptureFile::open(path, gunzip);
  REQUIRE(f.has_value());
  CaptureLine line;
  Result<bool> more = true;
  int n = 0;
  while (more && *more) {
    more = (*f)->next(line);
    ++n;
  }
  REQUIRE_FALSE(more.has_value());
  const auto again = (*f)->next(line);  // asked again: the same error, not a hang or an end
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().message == more.error().message);
  return {n, more.error().message};
}

std::string cut_gzip(const test::TempDir& dir, int lines) {
  const auto path = dir.sub("cut.gz");
  {
    gzFile gz = gzopen(path.c_str(), "wb");
    for (int i = 0; i < lines; ++i) gzprintf(gz, "%d {\"stream\":\"x@trade\",\"data\":{\"i\":%d}}\n", i, i);
    gzclose(gz);
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  return path;
}

TEST_CASE("a truncated gzip file is an error naming the file, not a silent end") {
  test::TempDir dir;
  const auto [n, message] = read_until_error(cut_gzip(dir, 20000), CaptureFile::Gunzip::inline_);
  CHECK(message.find("cut.gz") != std::string::npos);
  CHECK(message.find("damaged or truncated gzip data after line") != std::string::npos);
  CHECK(n > 1);
}

TEST_CASE("gunzip on a thread of its own gives the same lines, and the same error after the same line") {
  std::vector<std::string> inline_frames, ahead_frames;
  const auto path = data_file("xrpeth_aggtrade_20191011_head3k.gz");
  const auto a = read_all(path, &inline_frames);
  const auto b = read_all(path, &ahead_frames, CaptureFile::Gunzip::ahead);
  REQUIRE(a.size() == b.size());
  CHECK(inline_frames == ahead_frames);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].line_no == b[i].line_no);
    CHECK(a[i].recv_ts_ns == b[i].recv_ts_ns);
  }
  // Several read chunks (1 MiB each) and more than the four it may read ahead.
  test::TempDir dir;
  const auto cut = cut_gzip(dir, 600000);
  const auto inline_cut = read_until_error(cut, CaptureFile::Gunzip::inline_);
  const auto ahead_cut = read_until_error(cut, CaptureFile::Gunzip::ahead);
  CHECK(inline_cut.first > 100000);
  CHECK(ahead_cut == inline_cut);
}

TEST_CASE("a capture read ahead and closed after its first line stops its gunzip thread") {
  test::TempDir dir;
  const auto path = dir.sub("long.gz");
  {
    gzFile gz = gzopen(path.c_str(), "wb");
    for (int i = 0; i < 600000; ++i) gzprintf(gz, "%d {\"i\":%d}\n", i, i);
    gzclose(gz);
  }
  for (int round = 0; round < 20; ++round) {  // the thread may be reading or waiting for room
    auto f = CaptureFile::open(path, CaptureFile::Gunzip::ahead);
    REQUIRE(f.has_value());
    CaptureLine line;
    auto more = (*f)->next(line);
    REQUIRE(more.has_value());
    CHECK(*more);
    CHECK(line.text() == "{\"i\":0}");
  }
}

TEST_CASE("a missing capture file is a clear error") {
  auto f = CaptureFile::open("/nonexistent/day.gz");
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().message.find("/nonexistent/day.gz") != std::string::npos);
}
