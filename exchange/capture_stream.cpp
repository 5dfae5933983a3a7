#include "exchange/capture_stream.hpp"

#include <fmt/format.h>

#include "exchange/binance/frame_parser.hpp"
#include "exchange/capture_file.hpp"

namespace trader {
namespace {

struct Source {
  std::unique_ptr<CaptureFile> file;
  binance::FrameParser parser;
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
  Source* pending = nullptr;  // the source whose line was handed out last: advance it first
  std::uint64_t lines = 0;
};

CaptureStream::CaptureStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaptureStream::~CaptureStream() = default;
std::uint64_t CaptureStream::lines() const { return impl_->lines; }

Result<std::unique_ptr<CaptureStream>> CaptureStream::open(const std::vector<std::string>& files,
                                                           const std::string& snapshot_symbol) {
  auto impl = std::make_unique<Impl>();
  impl->fixed_snapshot_symbol = !snapshot_symbol.empty();
  for (const auto& path : files) {
    auto file = CaptureFile::open(path);
    if (!file) return tl::unexpected(file.error());
    auto s = std::make_unique<Source>();
    s->file = std::move(*file);
    if (impl->fixed_snapshot_symbol) s->parser.set_snapshot_symbol(snapshot_symbol);
    if (auto r = advance(*s); !r) return tl::unexpected(r.error());
    impl->sources.push_back(std::move(s));
  }
  return std::unique_ptr<CaptureStream>(new CaptureStream(std::move(impl)));
}

Result<bool> CaptureStream::next(CaptureItem& item) {
  auto& st = *impl_;
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
  item.where = fmt::format("{}:{}", next->file->path(), line.line_no);
  item.recv_ts_ns = next->order_ts;
  item.stream.clear();
  item.error.clear();
  if (!line.ts_ok) {
    item.kind = CaptureItem::Kind::malformed;
    item.error = "line does not start with a receive time in nanoseconds followed by a space";
    return true;
  }
  set_from_frame(next->parser.parse(line.frame, line.frame_len, line.frame_capacity), item);
  // Later snapshots in this file take this file's symbol.
  if (item.kind == CaptureItem::Kind::message && !st.fixed_snapshot_symbol &&
      !std::holds_alternative<DepthSnapshot>(item.message))
    if (const std::string* sym = symbol_of(item.message)) next->parser.set_snapshot_symbol(*sym);
  return true;
}

}  // namespace trader
