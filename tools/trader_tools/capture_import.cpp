#include "tools/trader_tools/capture_import.hpp"

#include "exchange/capture_read_ahead.hpp"
#include "exchange/capture_stream.hpp"
#include "messages/type_registry.hpp"

namespace trader {

Result<ImportReport> import_captures(journal::Writer& writer, const ImportOptions& options) {
  // Three stages on threads of their own, each ahead of the next: gunzip (a few MiB
  // ahead), the frames read into messages (a few thousand items ahead), and the journal
  // here. On two cores the import takes about as long as reading the captures alone
  // (bench/README.md).
  auto stream =
      CaptureStream::open(options.files, options.snapshot_symbol, options.venue, CaptureFile::Gunzip::ahead);
  if (!stream) return tl::unexpected(stream.error());
  CaptureReadAhead reader(std::move(*stream));
  ImportReport report;
  auto commit = [&]() -> Status {
    if (auto c = writer.commit(); !c) return tl::unexpected(c.error());
    return {};
  };
  auto note_seq = [&](std::uint64_t seq) {
    if (report.first_seq == 0) report.first_seq = seq;
    report.last_seq = seq;
  };
  for (;;) {
    auto got = reader.next();
    if (!got) {
      report.lines = reader.lines_read_at_end();
      // Keep what was read before the damage.
      if (auto st = commit(); !st) return tl::unexpected(st.error());
      return tl::unexpected(got.error());
    }
    if (*got == nullptr) {
      report.lines = reader.lines_read_at_end();
      break;
    }
    const CaptureItem& item = (*got)->item;
    report.lines = (*got)->lines_read;
    if (options.on_progress && (*got)->lines % 4096 == 0) options.on_progress(report.lines);
    const EnvelopeHeader header{0, item.recv_ts_ns, Actor::market_feed, Actor::none, 0, 0, 1};
    switch (item.kind) {
      case CaptureItem::Kind::message:
      case CaptureItem::Kind::status:  // the source's own FeedStatus: journaled like the node does, never dropped
        note_seq(writer.append(header, item.message));
        ++report.records;
        ++report.by_type[std::string(find_type(type_id_of(item.message))->name)];
        break;
      case CaptureItem::Kind::unknown_stream:
        ++report.unknown_streams[item.stream];
        break;
      case CaptureItem::Kind::malformed:
        ++report.malformed;
        if (options.on_malformed) options.on_malformed(item.where + ": " + item.error);
        // The journal records what it did not import.
        note_seq(writer.append(header, ErrorReport{"malformed_frame", item.error, item.where, 0, item.recv_ts_ns}));
        if (options.strict) {
          report.stopped_early = true;
          if (auto st = commit(); !st) return tl::unexpected(st.error());
          return report;
        }
        break;
    }
    if (writer.batch_full())
      if (auto st = commit(); !st) return tl::unexpected(st.error());
  }
  if (auto st = commit(); !st) return tl::unexpected(st.error());
  return report;
}

}  // namespace trader
