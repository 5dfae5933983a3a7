#include "exchange/capture_file.hpp"

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>

namespace trader {
namespace {
constexpr std::size_t kPadding = 64;       // simdjson::SIMDJSON_PADDING
constexpr std::size_t kReadChunk = 1 << 20;
}  // namespace

constexpr std::size_t kMaxLineBytes = std::size_t{64} << 20;

namespace {

// What one gzread failed with, without the place (the reader knows the line).
struct GzFailure {
  const char* what;  // "read error", "damaged or truncated gzip data"
  std::string detail;
};

// One gzread of up to `n` bytes: how many (0 at the end of the data), or the failure. A
// stream that ends early is a failure, not an end: zlib says so only through gzerror.
tl::expected<std::size_t, GzFailure> gz_read(gzFile gz, char* out, std::size_t n) {
  const int got = gzread(gz, out, static_cast<unsigned>(n));
  int code = 0;
  if (got < 0) {
    const char* msg = gzerror(gz, &code);
    return tl::unexpected(GzFailure{"read error", code == Z_ERRNO ? std::strerror(errno) : msg});
  }
  if (got == 0) {
    const char* msg = gzerror(gz, &code);
    // zlib reports a gzip stream cut short as Z_BUF_ERROR at the end.
    if (code != Z_OK && code != Z_STREAM_END) return tl::unexpected(GzFailure{"damaged or truncated gzip data", msg});
  }
  return static_cast<std::size_t>(got);
}

// Decompresses on a thread of its own, up to kChunksAhead chunks ahead of the reader, so
// gunzip (most of reading a capture) and what the reader does with the lines use two
// cores. The reader gets exactly gz_read's bytes and its failure, in order.
class GunzipAhead {
 public:
  explicit GunzipAhead(gzFile gz) : gz_(gz), thread_([this] { run(); }) {}
  ~GunzipAhead() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    room_.notify_all();
    thread_.join();
  }
  // As gz_read, for at most kReadChunk bytes.
  tl::expected<std::size_t, GzFailure> read(char* out) {
    if (finished_) return *finished_;  // the thread has stopped: the end or the failure again
    Chunk chunk;
    {
      std::unique_lock lock(mutex_);
      filled_cv_.wait(lock, [&] { return !filled_.empty(); });
      chunk = std::move(filled_.front());
      filled_.pop_front();
    }
    room_.notify_one();
    if (!chunk.got || *chunk.got == 0) {
      finished_ = chunk.got;
      return chunk.got;
    }
    std::memcpy(out, chunk.bytes.data(), *chunk.got);
    std::lock_guard lock(mutex_);
    spare_.push_back(std::move(chunk.bytes));
    return *chunk.got;
  }
  GunzipAhead(const GunzipAhead&) = delete;
  GunzipAhead& operator=(const GunzipAhead&) = delete;

 private:
  static constexpr std::size_t kChunksAhead = 4;
  struct Chunk {
    std::vector<char> bytes;
    tl::expected<std::size_t, GzFailure> got = 0;
  };
  void run() {
    for (;;) {
      Chunk chunk;
      {
        std::lock_guard lock(mutex_);
        if (!spare_.empty()) {
          chunk.bytes = std::move(spare_.back());
          spare_.pop_back();
        }
      }
      chunk.bytes.resize(kReadChunk);
      chunk.got = gz_read(gz_, chunk.bytes.data(), kReadChunk);
      const bool last = !chunk.got || *chunk.got == 0;
      {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] { return stop_ || filled_.size() < kChunksAhead; });
        if (stop_) return;
        filled_.push_back(std::move(chunk));
      }
      filled_cv_.notify_one();
      if (last) return;
    }
  }

  gzFile gz_;
  std::mutex mutex_;
  std::condition_variable filled_cv_, room_;
  std::deque<Chunk> filled_;
  std::vector<std::vector<char>> spare_;
  bool stop_ = false;
  std::optional<tl::expected<std::size_t, GzFailure>> finished_;  // the reader's side only
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace

struct CaptureFile::Impl {
  std::string path;
  gzFile gz = nullptr;
  std::unique_ptr<GunzipAhead> ahead;  // CaptureFile::Gunzip::ahead
  std::vector<char> buf;     // [begin, end) holds unread bytes; kPadding spare after end
  std::size_t begin = 0, end = 0;
  bool eof = false;
  std::uint64_t line_no = 0;

  ~Impl() {
    ahead.reset();  // its thread reads `gz`
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
    const auto n = ahead ? ahead->read(buf.data() + end) : gz_read(gz, buf.data() + end, kReadChunk);
    if (!n) return fail(fmt::format("{}: {} after line {}: {}", path, n.error().what, line_no, n.error().detail));
    if (*n == 0) {
      eof = true;
      return false;
    }
    end += *n;
    return true;
  }
};

CaptureFile::CaptureFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaptureFile::~CaptureFile() = default;
const std::string& CaptureFile::path() const { return impl_->path; }

Result<std::unique_ptr<CaptureFile>> CaptureFile::open(const std::string& path, Gunzip gunzip) {
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
  if (gunzip == Gunzip::ahead) impl->ahead = std::make_unique<GunzipAhead>(impl->gz);
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
