// Compaction of a sealed journal: bytes a message on the real BTCUSDT capture, beside
// zstd -19 of the capture's own text (its JSON lines and receive times), and speed.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <zlib.h>
#include <zstd.h>

#include "bench/bench_common.hpp"
#include "journal/journal.hpp"
#include "tools/trader_tools/capture_import.hpp"

namespace trader::bench {
namespace fs = std::filesystem;

namespace {

// The capture file's text, as gunzip gives it.
std::string gunzipped(const std::string& file) {
  std::string text;
  gzFile f = gzopen(file.c_str(), "rb");
  if (!f) return text;
  char buf[1 << 16];
  for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return text;
}

}  // namespace

void bench_compact(const Options& o, Results& r) {
  const std::string file = data_file(o, "btcusdt_20240808");
  const std::string dir = fresh_dir(o, "compact");
  {
    auto w = journal::Writer::open(dir, journal::Options{journal::Durability::nosync});
    if (!w) return;
    ImportOptions io;
    io.files = {file};
    if (!import_captures(**w, io)) return;
  }
  auto reader = journal::Reader::open(dir);
  if (!reader) return;
  auto summary = (*reader)->summary();
  reader->reset();
  if (!summary || summary->records == 0) return;
  const auto messages = static_cast<double>(summary->records);

  const auto t0 = std::chrono::steady_clock::now();
  auto report = journal::compact(dir);
  const double secs = seconds_since(t0);
  if (!report) {
    std::fprintf(stderr, "compact bench: %s\n", report.error().message.c_str());
    return;
  }
  const std::string text = gunzipped(file);
  std::string packed(ZSTD_compressBound(text.size()), '\0');
  const std::size_t zstd_bytes = ZSTD_compress(packed.data(), packed.size(), text.data(), text.size(), 19);
  if (ZSTD_isError(zstd_bytes)) return;

  r["bytes_per_message_journal"] = static_cast<double>(report->bytes_before) / messages;
  r["bytes_per_message_compacted"] = static_cast<double>(report->bytes_after) / messages;
  r["bytes_per_message_json_zstd19"] = static_cast<double>(zstd_bytes) / messages;
  r["bytes_per_message_json_gz"] = static_cast<double>(fs::file_size(file)) / messages;
  r["compact_mb_per_s"] = static_cast<double>(report->bytes_before) / 1e6 / secs;
  r["compact_messages"] = messages;
}

}  // namespace trader::bench
