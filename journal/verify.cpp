#include <fmt/format.h>

#include "journal/journal.hpp"
#include "journal/record_format.hpp"

namespace trader::journal {

namespace {

// The last attestation of each value, in chain order: (digest, the batch's last seq).
using Attested = std::map<std::pair<Attestation::Kind, std::string>, std::pair<Hash, std::uint64_t>>;

// Every value the chain attests must still be what it was; values it does not attest are
// named in the report.
Status check_attested(Reader& reader, const Attested& attested, VerifyReport& report) {
  using K = Attestation::Kind;
  std::map<std::pair<K, std::string>, Hash> now;
  auto meta = reader.meta();
  if (!meta) return tl::unexpected(meta.error());
  for (const auto& [k, v] : *meta) now[{K::meta, k}] = sha256_of({reinterpret_cast<const std::uint8_t*>(v.data()), v.size()});
  auto snapshots = reader.snapshot_digests();
  if (!snapshots) return tl::unexpected(snapshots.error());
  for (const auto& [seq, h] : *snapshots) now[{K::snapshot, std::to_string(seq)}] = h;
  auto sessions = reader.sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  for (const auto& session : *sessions) now[{K::session, std::to_string(session.id)}] = session_opening_digest(session);
  auto name = [](K kind, const std::string& key) {
    return kind == K::meta ? fmt::format("meta value `{}`", key)
           : kind == K::snapshot ? fmt::format("the snapshot at seq {}", key)
                                 : fmt::format("session {}'s record (node id, config hash, code version, start)", key);
  };
  for (const auto& [what, at] : attested) {
    auto it = now.find(what);
    if (it == now.end())
      return fail(fmt::format("{} is missing: the batch ending at seq {} attests it", name(what.first, what.second), at.second));
    if (it->second != at.first)
      return fail(fmt::format("{} was edited after it was journaled: the batch ending at seq {} attests another value",
                              name(what.first, what.second), at.second));
    ++report.attested;
  }
  for (const auto& [what, h] : now) {
    if (attested.count(what)) continue;
    report.unattested.push_back(name(what.first, what.second));
    if (what.first == K::snapshot) report.unattested_snapshots.insert(std::stoull(what.second));
  }
  return {};
}

}  // namespace

Result<VerifyReport> check_attestations(Reader& reader) {
  auto batches = reader.batches();
  if (!batches) return tl::unexpected(batches.error());
  VerifyReport report;
  Attested attested;
  for (const auto& b : *batches) {
    if (BatchHasher::chain(b.records_hash, b.attests) != b.chain)
      return fail(fmt::format("seq {}: hash chain broken in batch seq {}..{}: its attestations changed after commit",
                              b.first_seq, b.first_seq, b.last_seq));
    for (const auto& a : b.attests) attested[{a.kind, a.key}] = {a.digest, b.last_seq};
  }
  if (auto st = check_attested(reader, attested, report); !st) return tl::unexpected(st.error());
  return report;
}

Result<VerifyReport> verify(const std::string& dir) {
  auto reader = Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  auto batches = (*reader)->batches();
  if (!batches) return tl::unexpected(batches.error());
  auto cursor = (*reader)->scan();
  if (!cursor) return tl::unexpected(cursor.error());

  VerifyReport report;
  Attested attested;
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
      if (auto words = r.body(); !words) return tl::unexpected(words.error());  // it names the seq
      if (auto body = r.decode(); !body) return fail(fmt::format("seq {}: {}", seq, body.error().message));
      hasher.add_record(r.stored);
      min_ts = seq == b.first_seq ? r.header.recv_ts_ns : std::min(min_ts, r.header.recv_ts_ns);
      max_ts = seq == b.first_seq ? r.header.recv_ts_ns : std::max(max_ts, r.header.recv_ts_ns);
      mask |= std::uint64_t{1} << (r.header.type_id % 64);
      ++report.records;
    }
    const Hash h = hasher.finish(b.first_seq, b.last_seq);
    if (h != b.records_hash)
      return fail(fmt::format("seq {}: hash chain broken in batch seq {}..{}: records changed after commit",
                              b.first_seq, b.first_seq, b.last_seq));
    if (BatchHasher::chain(h, b.attests) != b.chain)
      return fail(fmt::format("seq {}: hash chain broken in batch seq {}..{}: its attestations changed after commit",
                              b.first_seq, b.first_seq, b.last_seq));
    for (const auto& a : b.attests) attested[{a.kind, a.key}] = {a.digest, b.last_seq};
    if (min_ts != b.min_recv_ts_ns || max_ts != b.max_recv_ts_ns || mask != b.type_mask)
      return fail(fmt::format("seq {}: batch index of seq {}..{} does not match its records", b.first_seq,
                              b.first_seq, b.last_seq));
    previous = b.chain;
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
  if (auto st = check_attested(**reader, attested, report); !st) return tl::unexpected(st.error());
  return report;
}

}  // namespace trader::journal
