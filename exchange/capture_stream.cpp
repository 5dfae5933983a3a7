#include "exchange/capture_stream.hpp"

#include <charconv>

#include <fmt/format.h>

#include "exchange/capture_file.hpp"
#include "exchange/frame_decoder.hpp"

namespace trader {
namespace {

struct Source {
  std::unique_ptr<CaptureFile> file;
  std::unique_ptr<FrameDecoder> decoder;
  CaptureLine line;
  bool has_line = false;
  std::int64_t order_ts = 0;  // last good receive time: orders lines whose own is broken
};

Result<bool> advance(Source& s) {
  auto more = s.file->next(s.line);
  if (!more) return tl::unexpected(more.error());
  s.has_line = *more;
  if (s.has_line && s.line.ts_ok) s.order_ts = s.line.recv_ts_ns;
  return s.has_line;
}

}  // namespace

struct CaptureStream::Impl {
  std::vector<std::unique_ptr<Source>> sources;
  bool fixed_snapshot_symbol = false;
  Source* pending = nullptr;  // the source whose line was decoded last: advance it first
  std::vector<ParsedFrame> decoded;  // the last line's items; those from `handed` on are not handed out yet
  std::size_t handed = 0;
  std::string where;
  std::int64_t recv_ts_ns = 0;
  std::uint64_t items = 0;
  std::uint64_t lines = 0;
};

CaptureStream::CaptureStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaptureStream::~CaptureStream() = default;
std::uint64_t CaptureStream::lines() const { return impl_->items; }
std::uint64_t CaptureStream::lines_read() const { return impl_->lines; }

Result<std::unique_ptr<CaptureStream>> CaptureStream::open(const std::vector<std::string>& files,
                                                           const std::string& snapshot_symbol, VenueId venue,
                                                           CaptureFile::Gunzip gunzip) {
  auto impl = std::make_unique<Impl>();
  impl->fixed_snapshot_symbol = !snapshot_symbol.empty();
  for (const auto& path : files) {
    auto file = CaptureFile::open(path, gunzip);
    if (!file) return tl::unexpected(file.error());
    auto s = std::make_unique<Source>();
    s->file = std::move(*file);
    s->decoder = make_frame_decoder(venue);
    if (!s->decoder) return fail(fmt::format("{}: captures of {} are not read yet", path, venue_name(venue)));
    if (impl->fixed_snapshot_symbol) s->decoder->set_snapshot_symbol(snapshot_symbol);
    if (auto r = advance(*s); !r) return tl::unexpected(r.error());
    impl->sources.push_back(std::move(s));
  }
  return std::unique_ptr<CaptureStream>(new CaptureStream(std::move(impl)));
}

Result<bool> CaptureStream::next(CaptureItem& item) {
  auto& st = *impl_;
  while (st.handed == st.decoded.size()) {
    if (st.pending) {
      auto r = advance(*st.pending);
      st.pending = nullptr;
      if (!r) return tl::unexpected(r.error());
    }
    Source* next = nullptr;
    for (auto& s : st.sources)
      if (s->has_line && (!next || s->order_ts < next->order_ts)) next = s.get();
    if (!next) return false;
    st.pending = next;
    ++st.lines;
    const CaptureLine& line = next->line;
    // "file:line", made in place: once a line, in a string that keeps its capacity
    // (a formatted new string a line was 3% of an import).
    st.where.assign(next->file->path());
    st.where += ':';
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, line.line_no);
    st.where.append(digits, end);
    st.recv_ts_ns = next->order_ts;
    st.decoded.clear();
    st.handed = 0;
    if (!line.ts_ok) {
      ParsedFrame bad;
      bad.error = "line does not start with a receive time in nanoseconds followed by a space";
      st.decoded.push_back(std::move(bad));
      break;
    }
    next->decoder->decode(line.frame, line.frame_len, line.frame_capacity, st.decoded);
    for (auto& f : st.decoded) {
      // Later snapshots in this file take this file's symbol.
      if (f.kind == ParsedFrame::Kind::message && !st.fixed_snapshot_symbol &&
          !std::holds_alternative<DepthSnapshot>(f.message))
        if (const std::string* sym = symbol_of(f.message); sym && !sym->empty()) next->decoder->set_snapshot_symbol(*sym);
    }
  }
  ++st.items;
  item.where = st.where;
  item.recv_ts_ns = st.recv_ts_ns;
  set_from_frame(std::move(st.decoded[st.handed++]), item);
  return true;
}

}  // namespace trader
