#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include "journal/directory.hpp"
#include "journal/journal.hpp"
#include "journal/lmdb_env.hpp"
#include "journal/record_format.hpp"

namespace trader::journal {

// From this many staged bytes (about 1,800 trades) a commit hashes its batch on a second
// thread: some 75 µs of SHA-256 against a few µs to hand it over.
constexpr std::size_t kHashBesideBytes = 128 * 1024;

// The writer's second thread, started at its first large batch: hashes one batch at a
// time while the commit that handed it over gives LMDB the records. One thread for the
// writer's life: starting one per commit cost a tenth of what it saved.
class HashThread {
 public:
  HashThread() : thread_([this] { loop(); }) {}
  ~HashThread() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  // The caller waits for the future before it touches anything `job` reads.
  std::future<Hash> hash(std::function<Hash()> job) {
    std::packaged_task<Hash()> task(std::move(job));
    auto result = task.get_future();
    {
      std::lock_guard lock(mutex_);
      task_ = std::move(task);
    }
    wake_.notify_one();
    return result;
  }
  HashThread(const HashThread&) = delete;
  HashThread& operator=(const HashThread&) = delete;

 private:
  void loop() {
    for (;;) {
      std::packaged_task<Hash()> task;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || task_.valid(); });
        if (!task_.valid()) return;
        task = std::move(task_);
      }
      task();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::packaged_task<Hash()> task_;
  bool stop_ = false;
  std::thread thread_;  // last: it starts once the rest is made
};

struct Writer::Impl {
  std::shared_ptr<LmdbEnv> env;
  Options options;
  int lock_fd = -1;
  std::uint64_t last_committed = 0;
  std::uint64_t session_start = 0;  // first seq of the session this writer began (0: none)
  Hash head{};
  // Staged (appended, not yet committed) records, contiguous, each after its length as
  // the batch hash takes it (BatchHasher::add_length_prefixed): the commit hashes the
  // arena in one pass instead of twice a record.
  std::vector<std::uint8_t> arena;
  std::vector<std::size_t> offsets;  // start of each staged record in arena (after its length)
  std::optional<RecordEncoder> encoder;  // in the journal's format, made once it is open
  std::int64_t min_ts = 0, max_ts = 0;
  std::uint64_t type_mask = 0;
  // Values written beside the records since the last commit, to attest in the next batch.
  std::vector<Attestation> pending_attests;
  std::unique_ptr<HashThread> hash_thread;  // last: joined before what it reads goes

  ~Impl() {
    if (lock_fd >= 0) ::close(lock_fd);  // releases the flock
  }

  std::uint64_t next_seq() const { return last_committed + offsets.size() + 1; }

  // Room for the length of the record about to be staged; returns where it goes.
  std::size_t open_record() {
    const std::size_t at = arena.size();
    arena.resize(at + kRecordLengthBytes);
    return at;
  }
  // The record staged after `at` is complete: its length goes in front.
  void close_record(std::size_t at) {
    const auto len = static_cast<std::uint32_t>(arena.size() - at - kRecordLengthBytes);
    std::memcpy(arena.data() + at, &len, sizeof len);
  }

  std::span<const std::uint8_t> staged_record(std::size_t i) const {
    const std::size_t end = i + 1 < offsets.size() ? offsets[i + 1] - kRecordLengthBytes : arena.size();
    return {arena.data() + offsets[i], end - offsets[i]};
  }

  Status grow_map() {
    MDB_envinfo info{};
    mdb_env_info(env->env, &info);
    std::size_t next = info.me_mapsize * 2;
    const std::size_t cap = options.max_map_bytes;
    if (cap != 0 && info.me_mapsize >= cap)
      return fail(fmt::format("journal {} is full: its map reached the cap of {} MiB", env->dir, cap >> 20));
    if (cap != 0 && next > cap) next = cap;
    std::unique_lock remapping(env->remap);  // no read transaction of this process under the remap
    const int rc = mdb_env_set_mapsize(env->env, next);
    if (rc != 0) return fail(fmt::format("journal {}: cannot grow map to {} bytes: {}", env->dir, next, lmdb_error(rc)));
    return {};
  }

  // Runs `body` in a write transaction, growing the map and retrying on MDB_MAP_FULL.
  template <class F>
  Status write_txn(F&& body) {
    for (;;) {
      MDB_txn* txn = nullptr;
      int rc = mdb_txn_begin(env->env, nullptr, 0, &txn);
      if (rc != 0) return fail(fmt::format("journal {}: cannot begin write: {}", env->dir, lmdb_error(rc)));
      rc = body(txn);
      if (rc == 0) {
        rc = mdb_txn_commit(txn);
      } else {
        mdb_txn_abort(txn);
      }
      if (rc == MDB_MAP_FULL) {
        if (auto st = grow_map(); !st) return st;
        continue;
      }
      if (rc == ENOSPC)
        return fail(fmt::format("journal {} is full: no space left on its filesystem", env->dir));
      if (rc != 0) return fail(fmt::format("journal {}: write failed: {}", env->dir, lmdb_error(rc)));
      return {};
    }
  }
};

Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Writer::~Writer() = default;

Result<std::unique_ptr<Writer>> Writer::open(const std::string& dir, const Options& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (options.max_map_bytes != 0 && impl->options.initial_map_bytes > options.max_map_bytes)
    impl->options.initial_map_bytes = options.max_map_bytes;
  auto env = open_env(dir, /*writer=*/true, impl->options);
  if (!env) return tl::unexpected(env.error());
  impl->env = *env;
  impl->encoder.emplace(impl->env->format);

  // One writer per journal, across processes: the seq counter lives in this process.
  const std::string lock_path = dir + "/writer.lock";
  auto lock = take_writer_lock(dir);
  if (!lock) return tl::unexpected(lock.error());
  impl->lock_fd = *lock;
  // Who holds it, for the error a second writer (or a replace) gets.
  const auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(impl->lock_fd, 0) != 0 ||
      ::pwrite(impl->lock_fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    return fail(fmt::format("cannot write {}: {}", lock_path, std::strerror(errno)));

  // Resume after the last committed record and batch.
  auto txn = begin_read(*impl->env);
  if (!txn) return tl::unexpected(txn.error());
  ReadTxn guard{*txn, *impl->env};
  MDB_cursor* cur = nullptr;
  mdb_cursor_open(guard.txn, impl->env->records, &cur);
  MDB_val k{}, v{};
  std::uint64_t last_record = 0;
  if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0) last_record = val_u64(k);
  mdb_cursor_close(cur);
  mdb_cursor_open(guard.txn, impl->env->batches, &cur);
  std::uint64_t last_batch_seq = 0;
  if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0) {
    auto b = decode_batch({static_cast<const std::uint8_t*>(v.mv_data), v.mv_size});
    if (!b) {
      mdb_cursor_close(cur);
      return fail(fmt::format("journal {}: last batch entry: {}", dir, b.error().message));
    }
    impl->head = b->chain;
    last_batch_seq = b->last_seq;
  }
  mdb_cursor_close(cur);
  if (last_record != last_batch_seq)
    return fail(fmt::format("journal {} is inconsistent: records end at seq {} but the last batch ends at seq {}; "
                            "run 'trader-tools verify'",
                            dir, last_record, last_batch_seq));
  impl->last_committed = last_record;
  if (last_batch_seq == 0) {  // a new journal: its first batch attests the format it was created in
    const std::string version = std::to_string(impl->env->format);
    impl->pending_attests.push_back({Attestation::Kind::meta, "format_version",
                                     sha256_of({reinterpret_cast<const std::uint8_t*>(version.data()), version.size()})});
  }
  return std::unique_ptr<Writer>(new Writer(std::move(impl)));
}

namespace {
// Updates the staged batch's index data for one more record, staged at `offset` in the arena.
template <class Impl>
void note_staged(Impl& s, const EnvelopeHeader& h, std::size_t offset) {
  if (s.offsets.empty()) {
    s.min_ts = s.max_ts = h.recv_ts_ns;
    s.type_mask = 0;
  } else {
    s.min_ts = std::min(s.min_ts, h.recv_ts_ns);
    s.max_ts = std::max(s.max_ts, h.recv_ts_ns);
  }
  s.type_mask |= std::uint64_t{1} << (h.type_id % 64);
  s.offsets.push_back(offset);
}
}  // namespace

std::uint64_t Writer::append(const EnvelopeHeader& header, const Message& body) {
  auto& s = *impl_;
  EnvelopeHeader h = header;
  h.seq = s.next_seq();
  h.type_id = type_id_of(body);
  const std::size_t at = s.open_record();
  note_staged(s, h, at + kRecordLengthBytes);
  s.encoder->encode(h, body, s.arena);
  s.close_record(at);
  return h.seq;
}

Result<std::uint64_t> Writer::append_flat(const EnvelopeHeader& header, std::uint16_t type_id,
                                          std::span<const std::uint8_t> flat_body) {
  auto& s = *impl_;
  EnvelopeHeader h = header;
  h.seq = s.next_seq();
  h.type_id = type_id;
  const std::size_t at = s.open_record();
  if (auto st = s.encoder->encode_flat(h, type_id, flat_body, s.arena); !st) {
    s.arena.resize(at);
    return tl::unexpected(st.error());
  }
  s.close_record(at);
  note_staged(s, h, at + kRecordLengthBytes);
  return h.seq;
}

std::span<const std::uint8_t> Writer::last_appended() const {
  const auto& s = *impl_;
  if (s.offsets.empty()) return {};
  return s.staged_record(s.offsets.size() - 1);
}

bool Writer::batch_full() const { return impl_->offsets.size() >= impl_->options.max_batch_records; }
std::size_t Writer::staged() const { return impl_->offsets.size(); }
std::unique_ptr<Reader> Writer::reader() const { return Reader::sharing(impl_->env); }

std::uint64_t Writer::last_committed_seq() const { return impl_->last_committed; }

Result<Space> Writer::space() const {
  MDB_envinfo info{};
  MDB_stat stat{};
  mdb_env_info(impl_->env->env, &info);
  mdb_env_stat(impl_->env->env, &stat);
  struct statvfs fs{};
  if (::statvfs(impl_->env->dir.c_str(), &fs) != 0)
    return fail(fmt::format("journal {}: cannot read free space: {}", impl_->env->dir, std::strerror(errno)));
  Space s;
  s.used_bytes = (std::uint64_t{info.me_last_pgno} + 1) * stat.ms_psize;
  const std::uint64_t cap = impl_->options.max_map_bytes;
  s.cap_left_bytes = cap == 0 ? UINT64_MAX : cap > s.used_bytes ? cap - s.used_bytes : 0;
  s.fs_free_bytes = std::uint64_t{fs.f_bavail} * fs.f_frsize;
  return s;
}
std::uint64_t Writer::next_seq() const { return impl_->next_seq(); }
const Hash& Writer::chain_head() const { return impl_->head; }

Result<BatchInfo> Writer::commit() {
  auto& s = *impl_;
  if (s.offsets.empty()) return BatchInfo{};
  BatchInfo batch;
  batch.first_seq = s.last_committed + 1;
  batch.last_seq = s.last_committed + s.offsets.size();
  batch.min_recv_ts_ns = s.min_ts;
  batch.max_recv_ts_ns = s.max_ts;
  batch.type_mask = s.type_mask;
  batch.attests = s.pending_attests;
  const auto hash_records = [&s, first = batch.first_seq, last = batch.last_seq] {
    BatchHasher hasher(s.head);
    hasher.add_length_prefixed(s.arena);
    return hasher.finish(first, last);
  };
  // A large batch is hashed on another thread while LMDB takes its records (both only
  // read the arena): the hash is a fifth of an append, and a bulk writer (import,
  // what-if) has a second core. A small one (the node's usual) is hashed here: starting
  // a thread would cost more than it saves.
  std::future<Hash> hashing;
  if (s.arena.size() >= kHashBesideBytes) {
    try {
      if (!s.hash_thread) s.hash_thread = std::make_unique<HashThread>();
      hashing = s.hash_thread->hash(hash_records);
    } catch (const std::system_error&) {  // no thread to be had: hashed here, as a small batch is
    }
  }
  if (!hashing.valid()) batch.records_hash = hash_records();
  std::vector<std::uint8_t> batch_bytes;

  auto st = s.write_txn([&](MDB_txn* txn) -> int {
    for (std::size_t i = 0; i < s.offsets.size(); ++i) {
      const std::uint64_t seq = batch.first_seq + i;
      MDB_val k = as_val(seq);
      const auto rec = s.staged_record(i);
      MDB_val v{rec.size(), const_cast<std::uint8_t*>(rec.data())};
      if (int rc = mdb_put(txn, s.env->records, &k, &v, MDB_APPEND); rc != 0) return rc;
    }
    if (batch_bytes.empty()) {  // once, however often a full map makes this run again
      if (hashing.valid()) batch.records_hash = hashing.get();
      batch.chain = BatchHasher::chain(batch.records_hash, batch.attests);
      batch_bytes = encode_batch(batch);
    }
    MDB_val k = as_val(batch.last_seq);
    MDB_val v{batch_bytes.size(), const_cast<std::uint8_t*>(batch_bytes.data())};
    return mdb_put(txn, s.env->batches, &k, &v, MDB_APPEND);
  });
  if (hashing.valid()) hashing.wait();  // a failed write leaves the arena staged: not while it is read
  if (!st) return tl::unexpected(st.error());
  s.last_committed = batch.last_seq;
  s.head = batch.chain;
  s.arena.clear();
  s.offsets.clear();
  s.pending_attests.clear();
  return batch;
}

// Nothing follows to carry the pending attestations (the session is ending): they go into
// the last batch, whose chain link is re-made from its records hash. Nothing depends on
// that link yet; verify re-checks it like any other.
Status Writer::attest_in_last_batch() {
  auto& s = *impl_;
  if (s.pending_attests.empty() || s.last_committed == 0) return {};
  Hash chain{};
  auto st = s.write_txn([&](MDB_txn* txn) -> int {
    MDB_val k = as_val(s.last_committed), v{};
    if (int rc = mdb_get(txn, s.env->batches, &k, &v); rc != 0) return rc;
    auto batch = decode_batch({static_cast<const std::uint8_t*>(v.mv_data), v.mv_size});
    if (!batch) return MDB_CORRUPTED;
    batch->attests.insert(batch->attests.end(), s.pending_attests.begin(), s.pending_attests.end());
    batch->chain = chain = BatchHasher::chain(batch->records_hash, batch->attests);
    const auto bytes = encode_batch(*batch);
    MDB_val nv{bytes.size(), const_cast<std::uint8_t*>(bytes.data())};
    return mdb_put(txn, s.env->batches, &k, &nv, 0);
  });
  if (!st) return st;
  s.head = chain;
  s.pending_attests.clear();
  return {};
}

// A value and its attestation are written in one transaction, into the last committed
// batch (as attest_in_last_batch does): a key written again (each session journals
// "config") must never be seen beside a chain that attests its old value, or a crash
// before the next commit would leave a journal that no longer verifies. Before the first
// batch no value can be attested yet, so the attestation waits for it.
Status Writer::put_meta(const std::string& key, const std::string& value) {
  auto& s = *impl_;
  const Attestation attest{Attestation::Kind::meta, key,
                           sha256_of({reinterpret_cast<const std::uint8_t*>(value.data()), value.size()})};
  const bool in_last_batch = s.last_committed != 0;
  Hash chain{};
  auto st = s.write_txn([&](MDB_txn* txn) -> int {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    if (int rc = mdb_put(txn, s.env->meta, &k, &v, 0); rc != 0) return rc;
    if (!in_last_batch) return 0;
    MDB_val bk = as_val(s.last_committed), bv{};
    if (int rc = mdb_get(txn, s.env->batches, &bk, &bv); rc != 0) return rc;
    auto batch = decode_batch({static_cast<const std::uint8_t*>(bv.mv_data), bv.mv_size});
    if (!batch) return MDB_CORRUPTED;
    batch->attests.push_back(attest);
    batch->chain = chain = BatchHasher::chain(batch->records_hash, batch->attests);
    const auto bytes = encode_batch(*batch);
    MDB_val nv{bytes.size(), const_cast<std::uint8_t*>(bytes.data())};
    return mdb_put(txn, s.env->batches, &bk, &nv, 0);
  });
  if (!st) return st;
  if (in_last_batch) s.head = chain;
  else s.pending_attests.push_back(attest);
  return {};
}

Status Writer::put_snapshot(std::uint64_t seq, std::span<const std::uint8_t> state) {
  if (auto c = commit(); !c) return tl::unexpected(c.error());
  if (seq > impl_->last_committed)
    return fail(fmt::format("snapshot at seq {} is ahead of the journal (last seq {})", seq, impl_->last_committed));
  // A session's actors only hold the state of seqs from its start on; an older seq would
  // label this state with another session's moment (and mislead replay and recovery).
  if (impl_->session_start != 0 && seq + 1 < impl_->session_start)
    return fail(fmt::format("snapshot at seq {} predates the open session (it starts at seq {})", seq,
                            impl_->session_start));
  auto st = impl_->write_txn([&](MDB_txn* txn) -> int {
    MDB_val k = as_val(seq);
    MDB_val v{state.size(), const_cast<std::uint8_t*>(state.data())};
    return mdb_put(txn, impl_->env->snapshots, &k, &v, 0);
  });
  if (st) impl_->pending_attests.push_back({Attestation::Kind::snapshot, std::to_string(seq), sha256_of(state)});
  return st;
}

Result<std::uint64_t> Writer::begin_session(SessionInfo info) {
  if (auto c = commit(); !c) return tl::unexpected(c.error());
  auto& s = *impl_;
  std::uint64_t id = 1;
  {
    auto txn = begin_read(*s.env);
    if (!txn) return tl::unexpected(txn.error());
    ReadTxn guard{*txn, *s.env};
    MDB_cursor* cur = nullptr;
    mdb_cursor_open(guard.txn, s.env->sessions, &cur);
    MDB_val k{}, v{};
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0) id = val_u64(k) + 1;
    mdb_cursor_close(cur);
  }
  info.id = id;
  info.start_seq = s.next_seq();
  info.end_seq = 0;
  info.end_reason.clear();
  const auto bytes = encode_session(info);
  auto st = s.write_txn([&](MDB_txn* txn) -> int {
    MDB_val k = as_val(id);
    MDB_val v{bytes.size(), const_cast<std::uint8_t*>(bytes.data())};
    return mdb_put(txn, s.env->sessions, &k, &v, 0);
  });
  if (!st) return tl::unexpected(st.error());
  s.session_start = info.start_seq;
  s.pending_attests.push_back({Attestation::Kind::session, std::to_string(id), session_opening_digest(info)});
  return id;
}

Status Writer::end_session(std::uint64_t id, std::int64_t end_ts_ns, const std::string& reason) {
  if (auto c = commit(); !c) return tl::unexpected(c.error());
  if (auto a = attest_in_last_batch(); !a) return a;
  auto& s = *impl_;
  SessionInfo info;
  {
    auto txn = begin_read(*s.env);
    if (!txn) return tl::unexpected(txn.error());
    ReadTxn guard{*txn, *s.env};
    MDB_val k = as_val(id), v{};
    if (mdb_get(guard.txn, s.env->sessions, &k, &v) != 0)
      return fail(fmt::format("journal {}: no session {}", s.env->dir, id));
    auto decoded = decode_session({static_cast<const std::uint8_t*>(v.mv_data), v.mv_size});
    if (!decoded) return tl::unexpected(decoded.error());
    info = *decoded;
  }
  info.end_seq = s.last_committed;
  info.end_ts_ns = end_ts_ns;
  info.end_reason = reason.empty() ? "completed" : reason;
  const auto bytes = encode_session(info);
  return s.write_txn([&](MDB_txn* txn) -> int {
    MDB_val k = as_val(id);
    MDB_val v{bytes.size(), const_cast<std::uint8_t*>(bytes.data())};
    return mdb_put(txn, s.env->sessions, &k, &v, 0);
  });
}

}  // namespace trader::journal
