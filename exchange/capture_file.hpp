#pragma once
// Reads a raw market-data capture: one line `<receive_time_ns> <frame>`, gzip or
// plain text (detected from the content). Lines are handed out with simdjson padding
// readable after them, so the frame parser needs no copy.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace trader {

struct CaptureLine {
  std::uint64_t line_no = 0;        // 1-based
  std::int64_t recv_ts_ns = 0;      // valid when ts_ok
  bool ts_ok = false;
  const char* frame = nullptr;      // the text after the timestamp
  std::size_t frame_len = 0;
  std::size_t frame_capacity = 0;   // readable bytes from `frame` (>= frame_len + 64)
  std::string_view text() const { return {frame, frame_len}; }
};

class CaptureFile {
 public:
  // `ahead`: decompress on a thread of its own, a few MiB ahead of next() (an import
  // reads a whole file; a caller that reads a line or two should not).
  enum class Gunzip { inline_, ahead };
  static Result<std::unique_ptr<CaptureFile>> open(const std::string& path, Gunzip gunzip = Gunzip::inline_);
  ~CaptureFile();

  // Reads the next non-empty line into `line`; false at the end of the file. A damaged
  // gzip stream or a read error is an error naming the file and line.
  Result<bool> next(CaptureLine& line);
  const std::string& path() const;

  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;

 private:
  struct Impl;
  explicit CaptureFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader
