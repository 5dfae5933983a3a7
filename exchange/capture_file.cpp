#include "exchange/capture_file.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>

namespace trader {
namespace {
constexpr std::size_t kPadding = 64;       // simdjson::SIMDJSON_PADDING
constexpr std::size_t kReadChunk = 1 << 20;
}  // namespace

constexpr std::size_t kMaxLineBytes = std::size_t{64} << 20;

struct CaptureFile::Impl {
  std::string path;
  gzFile gz = nullptr;
  std::vector<char> buf;     // [begin, end) holds unread bytes; kPadding spare after end
  std::size_t begin = 0, end = 0;
  bool eof = false;
  std::uint64_t line_no = 0;

  ~Impl() {
    if (gz) gzclose(gz);
  }

  // Reads more bytes after `end`, compacting and growing as needed.
  Result<bool> fill() {
    if (eof) return false;
    if (begin > 0) {
      std::memmove(buf.data(), buf.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (buf.size() - end < kReadChunk + kPadding) buf.resize(end + kReadChunk + kPadding);
    const int n = gzread(gz, buf.data() + end, static_cast<unsigned>(kReadChunk));
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(gz, &code);
      return fail(fmt::format("{}: read error after line {}: {}", path, line_no,
                              code == Z_ERRNO ? std::strerror(errno) : msg));
    }
    if (n == 0) {
      int code = 0;
      const char* msg = gzerror(gz, &code);
      // zlib reports a gzip stream cut short as Z_BUF_ERROR at the end.
      if (code != Z_OK && code != Z_STREAM_END)
        return fail(fmt::format("{}: damaged or truncated gzip data after line {}: {}", path, line_no, msg));
      eof = true;
      return false;
    }
    end += static_cast<std::size_t>(n);
    return true;
  }
};

CaptureFile::CaptureFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaptureFile::~CaptureFile() = default;
const std::string& CaptureFile::path() const { return impl_->path; }

Result<std::unique_ptr<CaptureFile>> CaptureFile::open(const std::string& path) {
  // Captures are recorded files: a FIFO or a device could block the open or never end.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    return fail(fmt::format("capture {} is not a regular file (a FIFO, a device or a directory); captures are "
                            "recorded files",
                            path));
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->gz = gzopen(path.c_str(), "rb");  // reads plain files transparently
  if (!impl->gz) return fail(fmt::format("cannot open capture {}: {}", path, std::strerror(errno)));
  gzbuffer(impl->gz, 256 * 1024);
  impl->buf.resize(kReadChunk + kPadding);
  return std::unique_ptr<CaptureFile>(new CaptureFile(std::move(impl)));
}

Result<bool> CaptureFile::next(CaptureLine& line) {
  auto& s = *impl_;
  for (;;) {
    char* start = s.buf.data() + s.begin;
    char* nl = static_cast<char*>(std::memchr(start, '\n', s.end - s.begin));
    std::size_t len = 0;
    if (nl) {
      len = static_cast<std::size_t>(nl - start);
    } else {
      // A line this long is not a capture line (e.g. /dev/zero, a binary file): stop with
      // an error rather than grow without bound.
      if (s.end - s.begin > kMaxLineBytes)
        return fail(fmt::format("{}: line {} is longer than {} MiB without a newline: not a capture file", s.path,
                                s.line_no + 1, kMaxLineBytes >> 20));
      auto more = s.fill();
      if (!more) return tl::unexpected(more.error());
      if (*more) continue;
      if (s.begin == s.end) return false;
      len = s.end - s.begin;  // last line without a newline
      start = s.buf.data() + s.begin;
    }
    ++s.line_no;
    s.begin += len + (nl ? 1 : 0);
    if (len > 0 && start[len - 1] == '\r') --len;
    if (len == 0) continue;  // blank lines carry nothing

    line.line_no = s.line_no;
    const char* p = start;
    const char* stop = start + len;
    const char* space = static_cast<const char*>(std::memchr(p, ' ', len));
    const char* ts_end = space ? space : stop;
    auto [ptr, ec] = std::from_chars(p, ts_end, line.recv_ts_ns);
    line.ts_ok = ec == std::errc() && ptr == ts_end && space != nullptr;
    line.frame = space ? space + 1 : stop;
    line.frame_len = static_cast<std::size_t>(stop - line.frame);
    // Everything after the frame up to the buffer's end is readable (spare padding included).
    line.frame_capacity = static_cast<std::size_t>(s.buf.data() + s.buf.size() - line.frame);
    return true;
  }
}

}  // namespace trader
