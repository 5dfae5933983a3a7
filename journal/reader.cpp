#include <atomic>
#include <filesystem>

#include <fmt/format.h>

#include "journal/journal.hpp"
#include "journal/block_codec.hpp"
#include "journal/lmdb_env.hpp"
#include "journal/record_format.hpp"

namespace trader::journal {
namespace {

std::atomic<std::uint64_t> g_last_seq_touched{0};

std::span<const std::uint8_t> bytes_of(const MDB_val& v) {
  return {static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
}

bool batch_selected(const BatchInfo& b, const Filter& f) {
  if (b.max_recv_ts_ns < f.from_ts_ns || b.min_recv_ts_ns > f.to_ts_ns) return false;
  if (f.type_id && (b.type_mask & (std::uint64_t{1} << (*f.type_id % 64))) == 0) return false;
  return true;
}

bool record_selected(const EnvelopeHeader& h, const Filter& f) {
  if (h.recv_ts_ns < f.from_ts_ns || h.recv_ts_ns > f.to_ts_ns) return false;
  if (f.type_id && h.type_id != *f.type_id) return false;
  if (f.source && h.source != *f.source) return false;
  return true;
}

}  // namespace

std::uint64_t last_seq_touched() { return g_last_seq_touched.load(std::memory_order_relaxed); }

// ---- Cursor --------------------------------------------------------------------------
struct Cursor::Impl {
  explicit Impl(std::shared_ptr<LmdbEnv> e) : env(std::move(e)), decoder(env->format), block(env->format) {}
  std::shared_ptr<LmdbEnv> env;
  ReadTxn txn;
  MDB_cursor* records = nullptr;
  MDB_cursor* batches = nullptr;
  Filter filter;
  std::uint64_t next_seq = 0;    // the seq we want next
  std::uint64_t prev_seq = 0;    // last record read (0 before the first)
  std::uint64_t last_seq = 0;    // the last record in this transaction's snapshot
  bool reposition = true;        // next read must seek to next_seq
  bool failed = false;
  std::optional<BatchInfo> batch;  // batch covering next_seq, when batch skipping is on
  bool use_batches = false;
  RecordDecoder decoder;
  BlockDecoder block;  // a compacted journal's block holding the records being read

  ~Impl() {
    if (records) mdb_cursor_close(records);
    if (batches) mdb_cursor_close(batches);
  }

  // A compacted journal's record `seq`: its stored bytes, or nothing past the last block.
  Result<std::optional<std::span<const std::uint8_t>>> block_record(std::uint64_t seq) {
    if (!block.holds(seq)) {
      std::uint64_t key = seq;
      MDB_val k = as_val(key), v{};
      const int rc = mdb_cursor_get(records, &k, &v, MDB_SET_RANGE);
      if (rc == MDB_NOTFOUND) return std::nullopt;
      if (rc != 0) return fail(fmt::format("seq {}: {}", seq, lmdb_error(rc)));
      if (auto st = block.load(val_u64(k), bytes_of(v)); !st) return tl::unexpected(st.error());
      if (!block.holds(seq))
        return fail(fmt::format("seq {} is missing (the next compacted block holds seq {}..{})", seq,
                                block.first_seq(), block.last_seq()));
    }
    return block.stored(seq);
  }

  // The stored bytes of next_seq (or the next record after it, when reading from LMDB's
  // records); nothing at the end.
  Result<std::optional<std::pair<std::uint64_t, std::span<const std::uint8_t>>>> read_next() {
    if (env->compacted) {
      auto r = block_record(next_seq);
      if (!r) return tl::unexpected(r.error());
      if (!*r) return std::nullopt;
      return std::pair{next_seq, **r};
    }
    std::uint64_t key = next_seq;
    MDB_val k = as_val(key), v{};
    const int rc = mdb_cursor_get(records, &k, &v, reposition ? MDB_SET_RANGE : MDB_NEXT);
    reposition = false;
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc != 0) return fail(fmt::format("seq {}: {}", next_seq, lmdb_error(rc)));
    return std::pair{val_u64(k), bytes_of(v)};
  }

  // Moves next_seq past batches the filter excludes. Returns false at the end.
  Result<bool> skip_batches() {
    while (!batch || next_seq > batch->last_seq) {
      std::uint64_t key = next_seq;
      MDB_val k = as_val(key), v{};
      const int rc = mdb_cursor_get(batches, &k, &v, MDB_SET_RANGE);
      if (rc == MDB_NOTFOUND) return false;
      if (rc != 0) return fail(fmt::format("batch index near seq {}: {}", next_seq, lmdb_error(rc)));
      auto b = decode_batch(bytes_of(v));
      if (!b) return fail(fmt::format("batch index near seq {}: {}", next_seq, b.error().message));
      batch = *b;
      if (!batch_selected(*batch, filter)) {
        next_seq = batch->last_seq + 1;
        reposition = true;
      } else if (next_seq < batch->first_seq) {
        next_seq = batch->first_seq;
        reposition = true;
      }
    }
    return true;
  }

  Result<const RecordView*> next() {
    if (failed) return fail("cursor already failed");
    for (;;) {
      if (next_seq > filter.to_seq || next_seq == 0) return nullptr;
      if (use_batches) {
        auto more = skip_batches();
        if (!more) { failed = true; return tl::unexpected(more.error()); }
        if (!*more) return nullptr;
        if (next_seq > filter.to_seq) return nullptr;
      }
      auto read = read_next();
      if (!read) {
        failed = true;
        return tl::unexpected(read.error());
      }
      if (!*read) {
        // The end, unless the snapshot holds later records: then the read came up short,
        // which must be an error, never a scan that quietly ends early.
        if (next_seq > last_seq) return nullptr;
        failed = true;
        return fail(fmt::format("seq {} could not be read although the journal holds records to seq {}", next_seq,
                                last_seq));
      }
      const auto [seq, value] = **read;
      g_last_seq_touched.store(seq, std::memory_order_relaxed);
      // Seqs have no gaps (1-based, every one committed), so a read that does not land on
      // the seq wanted is a hole: a missing record or a damaged page, never a skip.
      if (seq != next_seq) {
        failed = true;
        return fail(fmt::format("seq {} is missing or its page is damaged (the next key read is {})", next_seq, seq));
      }
      if (seq > filter.to_seq) return nullptr;
      prev_seq = seq;
      next_seq = seq + 1;
      auto rec = decoder.decode(seq, value);
      if (!rec) { failed = true; return rec; }
      if (record_selected((*rec)->header, filter)) return rec;
    }
  }
};

Cursor::Cursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cursor::~Cursor() = default;
Cursor::Cursor(Cursor&&) noexcept = default;
Cursor& Cursor::operator=(Cursor&&) noexcept = default;
Result<const RecordView*> Cursor::next() { return impl_->next(); }

// ---- Reader --------------------------------------------------------------------------
struct Reader::Impl {
  std::shared_ptr<LmdbEnv> env;
};

Reader::Reader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reader::~Reader() = default;
const std::string& Reader::dir() const { return impl_->env->dir; }

Result<std::unique_ptr<Reader>> Reader::open(const std::string& dir) {
  auto env = open_env(dir, /*writer=*/false, Options{});
  if (!env) return tl::unexpected(env.error());
  auto impl = std::make_unique<Impl>();
  impl->env = *env;
  return std::unique_ptr<Reader>(new Reader(std::move(impl)));
}

std::unique_ptr<Reader> Reader::sharing(std::shared_ptr<LmdbEnv> env) {
  auto impl = std::make_unique<Impl>();
  impl->env = std::move(env);
  return std::unique_ptr<Reader>(new Reader(std::move(impl)));
}

Result<Cursor> Reader::scan(const Filter& filter) {
  auto impl = std::make_unique<Cursor::Impl>(impl_->env);
  auto txn = begin_read(*impl->env);
  if (!txn) return tl::unexpected(txn.error());
  impl->txn.txn = *txn;
  impl->txn.env = impl->env.get();
  // A compacted journal's records are read through its blocks (Impl::block_record).
  mdb_cursor_open(impl->txn.txn, impl->env->compacted ? impl->env->blocks : impl->env->records, &impl->records);
  mdb_cursor_open(impl->txn.txn, impl->env->batches, &impl->batches);
  MDB_val k{}, v{};
  if (const int rc = mdb_cursor_get(impl->records, &k, &v, MDB_LAST); rc == 0) impl->last_seq = val_u64(k);
  else if (rc != MDB_NOTFOUND) return fail(fmt::format("journal {}: cannot find its last record: {}", impl->env->dir,
                                                       lmdb_error(rc)));
  impl->filter = filter;
  impl->next_seq = std::max<std::uint64_t>(filter.from_seq, 1);
  impl->use_batches = filter.type_id.has_value() ||
                      filter.from_ts_ns != std::numeric_limits<std::int64_t>::min() ||
                      filter.to_ts_ns != std::numeric_limits<std::int64_t>::max();
  return Cursor(std::move(impl));
}

Result<Summary> Reader::summary() {
  auto txn = begin_read(*impl_->env);
  if (!txn) return tl::unexpected(txn.error());
  ReadTxn guard{*txn, *impl_->env};
  Summary s;
  MDB_stat st{};
  mdb_stat(guard.txn, impl_->env->batches, &st);
  s.batches = st.ms_entries;
  MDB_cursor* cur = nullptr;
  MDB_val k{}, v{};
  s.compacted = impl_->env->compacted;
  s.format = impl_->env->format;
  if (impl_->env->compacted) {
    // Counted from the blocks' heads, which need no decompression.
    mdb_cursor_open(guard.txn, impl_->env->blocks, &cur);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      auto head = read_block_head(val_u64(k), bytes_of(v));
      if (!head) {
        mdb_cursor_close(cur);
        return tl::unexpected(head.error());
      }
      if (s.records == 0) s.first_seq = head->first_seq;
      s.records += head->count;
      s.last_seq = val_u64(k);
    }
  } else {
    mdb_stat(guard.txn, impl_->env->records, &st);
    s.records = st.ms_entries;
    mdb_cursor_open(guard.txn, impl_->env->records, &cur);
    if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0) s.first_seq = val_u64(k);
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0) s.last_seq = val_u64(k);
  }
  mdb_cursor_close(cur);
  mdb_cursor_open(guard.txn, impl_->env->batches, &cur);
  if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0) {
    auto b = decode_batch(bytes_of(v));
    if (!b) {
      mdb_cursor_close(cur);
      return tl::unexpected(b.error());
    }
    s.chain_head = b->chain;
  }
  mdb_cursor_close(cur);
  std::error_code ec;
  s.file_bytes = std::filesystem::file_size(std::filesystem::path(impl_->env->dir) / "data.mdb", ec);
  return s;
}

Result<std::map<std::string, std::string>> Reader::meta() {
  std::map<std::string, std::string> out;
  auto st = for_each_entry(*impl_->env, impl_->env->meta, [&](const MDB_val& k, const MDB_val& v) -> Status {
    out.emplace(std::string(static_cast<const char*>(k.mv_data), k.mv_size),
                std::string(static_cast<const char*>(v.mv_data), v.mv_size));
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

Result<std::vector<SessionInfo>> Reader::sessions() {
  std::vector<SessionInfo> out;
  auto st = for_each_entry(*impl_->env, impl_->env->sessions, [&](const MDB_val& k, const MDB_val& v) -> Status {
    auto s = decode_session(bytes_of(v));
    if (!s) return fail(fmt::format("session {}: {}", val_u64(k), s.error().message));
    out.push_back(std::move(*s));
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

Result<std::vector<BatchInfo>> Reader::batches() {
  std::vector<BatchInfo> out;
  auto st = for_each_entry(*impl_->env, impl_->env->batches, [&](const MDB_val& k, const MDB_val& v) -> Status {
    auto b = decode_batch(bytes_of(v));
    if (!b) return fail(fmt::format("batch ending at seq {}: {}", val_u64(k), b.error().message));
    out.push_back(*b);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

Result<std::map<std::uint64_t, Hash>> Reader::snapshot_digests() {
  std::map<std::uint64_t, Hash> out;
  auto st = for_each_entry(*impl_->env, impl_->env->snapshots, [&](const MDB_val& k, const MDB_val& v) -> Status {
    out.emplace(val_u64(k), sha256_of(bytes_of(v)));
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

Result<std::optional<std::pair<std::uint64_t, std::vector<std::uint8_t>>>> Reader::snapshot_between(
    std::uint64_t min_seq, std::uint64_t max_seq) {
  auto txn = begin_read(*impl_->env);
  if (!txn) return tl::unexpected(txn.error());
  ReadTxn guard{*txn, *impl_->env};
  MDB_cursor* cur = nullptr;
  mdb_cursor_open(guard.txn, impl_->env->snapshots, &cur);
  std::uint64_t key = max_seq;
  MDB_val k = as_val(key), v{};
  // The first snapshot at or after max_seq, then step back to the one at or before it.
  int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  if (rc == 0 && val_u64(k) > max_seq) rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
  else if (rc == MDB_NOTFOUND) rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  std::optional<std::pair<std::uint64_t, std::vector<std::uint8_t>>> out;
  if (rc == 0 && val_u64(k) >= min_seq && val_u64(k) <= max_seq) {
    const auto bytes = bytes_of(v);
    out.emplace(val_u64(k), std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  }
  mdb_cursor_close(cur);
  return out;
}

Status Reader::scan_backward(const std::function<bool(const RecordView&)>& visit) {
  auto txn = begin_read(*impl_->env);
  if (!txn) return tl::unexpected(txn.error());
  ReadTxn guard{*txn, *impl_->env};
  const bool compacted = impl_->env->compacted;
  MDB_cursor* cur = nullptr;
  mdb_cursor_open(guard.txn, compacted ? impl_->env->blocks : impl_->env->records, &cur);
  RecordDecoder decoder(impl_->env->format);
  BlockDecoder block(impl_->env->format);
  MDB_val k{}, v{};
  Status st;
  // Visits one record; false to stop (st says whether on an error).
  const auto visit_one = [&](std::uint64_t seq, std::span<const std::uint8_t> stored) {
    auto rec = decoder.decode(seq, stored);
    if (!rec) {
      st = tl::unexpected(rec.error());
      return false;
    }
    return visit(**rec);
  };
  for (int rc = mdb_cursor_get(cur, &k, &v, MDB_LAST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
    if (!compacted) {
      if (!visit_one(val_u64(k), bytes_of(v))) break;
      continue;
    }
    if (st = block.load(val_u64(k), bytes_of(v)); !st) break;
    bool go_on = true;
    for (std::uint64_t seq = block.last_seq(); go_on && seq >= block.first_seq(); --seq)
      go_on = visit_one(seq, block.stored(seq));
    if (!go_on) break;
  }
  mdb_cursor_close(cur);
  return st;
}

Result<std::vector<std::uint64_t>> Reader::snapshot_seqs() {
  std::vector<std::uint64_t> out;
  auto st = for_each_entry(*impl_->env, impl_->env->snapshots, [&](const MDB_val& k, const MDB_val&) -> Status {
    out.push_back(val_u64(k));
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

}  // namespace trader::journal
