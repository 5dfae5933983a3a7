#include <fmt/format.h>

#include "journal/journal.hpp"
#include "journal/record_format.hpp"

namespace trader::journal {

Result<VerifyReport> verify(const std::string& dir) {
  auto reader = Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  auto batches = (*reader)->batches();
  if (!batches) return tl::unexpected(batches.error());
  auto cursor = (*reader)->scan();
  if (!cursor) return tl::unexpected(cursor.error());

  VerifyReport report;
  Hash previous{};
  std::uint64_t expected = 1;
  for (const auto& b : *batches) {
    if (b.first_seq != expected || b.last_seq < b.first_seq)
      return fail(fmt::format("seq {}: batch index broken (next batch covers seq {}..{})", expected, b.first_seq,
                              b.last_seq));
    BatchHasher hasher(previous);
    std::int64_t min_ts = 0, max_ts = 0;
    std::uint64_t mask = 0;
    for (std::uint64_t seq = b.first_seq; seq <= b.last_seq; ++seq) {
      auto rec = cursor->next();
      if (!rec) return tl::unexpected(rec.error());
      if (*rec == nullptr) return fail(fmt::format("seq {}: missing (journal truncated; batch ends at seq {})", seq, b.last_seq));
      const auto& r = **rec;
      if (r.header.seq != seq) return fail(fmt::format("seq {}: missing (the next record is seq {})", seq, r.header.seq));
      if (auto body = r.decode(); !body) return fail(fmt::format("seq {}: {}", seq, body.error().message));
      hasher.add_record(r.stored);
      min_ts = seq == b.first_seq ? r.header.recv_ts_ns : std::min(min_ts, r.header.recv_ts_ns);
      max_ts = seq == b.first_seq ? r.header.recv_ts_ns : std::max(max_ts, r.header.recv_ts_ns);
      mask |= std::uint64_t{1} << (r.header.type_id % 64);
      ++report.records;
    }
    const Hash h = hasher.finish(b.first_seq, b.last_seq);
    if (h != b.chain)
      return fail(fmt::format("seq {}: hash chain broken in batch seq {}..{}: records changed after commit",
                              b.first_seq, b.first_seq, b.last_seq));
    if (min_ts != b.min_recv_ts_ns || max_ts != b.max_recv_ts_ns || mask != b.type_mask)
      return fail(fmt::format("seq {}: batch index of seq {}..{} does not match its records", b.first_seq,
                              b.first_seq, b.last_seq));
    previous = h;
    expected = b.last_seq + 1;
    ++report.batches;
  }
  auto extra = cursor->next();
  if (!extra) return tl::unexpected(extra.error());
  if (*extra != nullptr) {
    // A running writer may have committed more since the batch index was read: that is
    // a journal growing, not a record outside the chain.
    const auto seq = (*extra)->header.seq;
    auto now = (*reader)->batches();
    if (!now) return tl::unexpected(now.error());
    if (now->empty() || now->back().last_seq < seq)
      return fail(fmt::format("seq {}: record not covered by any committed batch", seq));
  }
  report.chain_head = previous;
  return report;
}

}  // namespace trader::journal
