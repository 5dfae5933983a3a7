#include "tools/trader_tools/capture_import.hpp"

#include <memory>

#include <fmt/format.h>

#include "exchange/binance/frame_parser.hpp"
#include "exchange/capture_file.hpp"
#include "messages/type_registry.hpp"

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

std::string symbol_of(const Message& m) {
  return std::visit(
      [](const auto& v) -> std::string {
        if constexpr (requires { v.symbol; }) return v.symbol;
        else return {};
      },
      m);
}

}  // namespace

Result<ImportReport> import_captures(journal::Writer& writer, const ImportOptions& options) {
  std::vector<std::unique_ptr<Source>> sources;
  for (const auto& path : options.files) {
    auto file = CaptureFile::open(path);
    if (!file) return tl::unexpected(file.error());
    auto s = std::make_unique<Source>();
    s->file = std::move(*file);
    if (!options.snapshot_symbol.empty()) s->parser.set_snapshot_symbol(options.snapshot_symbol);
    if (auto r = advance(*s); !r) return tl::unexpected(r.error());
    sources.push_back(std::move(s));
  }

  ImportReport report;
  auto commit = [&]() -> Status {
    auto c = writer.commit();
    if (!c) return tl::unexpected(c.error());
    return {};
  };

  for (;;) {
    // The earliest pending line across files; ties go to the earlier file.
    Source* next = nullptr;
    for (auto& s : sources)
      if (s->has_line && (!next || s->order_ts < next->order_ts)) next = s.get();
    if (!next) break;
    ++report.lines;
    const CaptureLine& line = next->line;
    const std::string where = fmt::format("{}:{}", next->file->path(), line.line_no);

    std::string problem;
    if (!line.ts_ok) {
      problem = "line does not start with a receive time in nanoseconds followed by a space";
    } else {
      auto parsed = next->parser.parse(line.frame, line.frame_len, line.frame_capacity);
      switch (parsed.kind) {
        case binance::ParsedFrame::Kind::message: {
          const std::uint16_t type = type_id_of(parsed.message);
          // Snapshots in this file that come later take this file's symbol.
          if (type != DepthSnapshot::kTypeId && options.snapshot_symbol.empty())
            next->parser.set_snapshot_symbol(symbol_of(parsed.message));
          const auto seq = writer.append(
              EnvelopeHeader{0, line.recv_ts_ns, Actor::market_feed, Actor::none, 0, 0, 1}, parsed.message);
          if (report.first_seq == 0) report.first_seq = seq;
          report.last_seq = seq;
          ++report.records;
          ++report.by_type[std::string(find_type(type)->name)];
          break;
        }
        case binance::ParsedFrame::Kind::unknown_stream:
          ++report.unknown_streams[parsed.stream];
          break;
        case binance::ParsedFrame::Kind::malformed:
          problem = std::move(parsed.error);
          break;
      }
    }
    if (!problem.empty()) {
      ++report.malformed;
      if (options.on_malformed) options.on_malformed(where + ": " + problem);
      // The journal records what it did not import.
      const auto seq = writer.append(EnvelopeHeader{0, line.ts_ok ? line.recv_ts_ns : next->order_ts,
                                                    Actor::market_feed, Actor::none, 0, 0, 1},
                                     ErrorReport{"malformed_frame", problem, where, 0, line.ts_ok ? line.recv_ts_ns : 0});
      if (report.first_seq == 0) report.first_seq = seq;
      report.last_seq = seq;
      if (options.strict) {
        report.stopped_early = true;
        if (auto st = commit(); !st) return tl::unexpected(st.error());
        return report;
      }
    }
    if (writer.batch_full())
      if (auto st = commit(); !st) return tl::unexpected(st.error());
    if (auto r = advance(*next); !r) {
      // Keep what was read before the damage.
      if (auto st = commit(); !st) return tl::unexpected(st.error());
      return tl::unexpected(r.error());
    }
  }
  if (auto st = commit(); !st) return tl::unexpected(st.error());
  return report;
}

}  // namespace trader
