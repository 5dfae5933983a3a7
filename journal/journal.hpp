#pragma once
// The LMDB journal: the node's total order of messages.
//
// Contract:
//  - One writer per journal (an exclusive lock file enforces it across processes).
//    append() assigns the next seq (1-based, no gaps) and stages the record; commit()
//    writes everything staged in one LMDB transaction (group commit) together with a
//    batch entry whose SHA-256 chains to the previous batch. Nothing is durable before
//    commit() returns; with Durability::sync it then survives power loss, with
//    Durability::nosync it survives a process crash but not an OS crash.
//  - Every record carries a checksum; readers check it on every read.
//  - Readers never block the writer and see only committed batches.
//  - Opening a journal of a format version this build does not read is an error naming
//    the versions.
// Errors are values (Result/Status) with one-line messages.
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <capnp/any.h>

#include "base/result.hpp"
#include "messages/message_types.hpp"

namespace trader::journal {

// The record layouts (record_format.hpp). v1: each record is a packed Cap'n Proto envelope
// holding its seq and header. v2: a small binary header, no seq (it is the key), and the
// body as the actor sent it. A journal keeps the format it was created in: this build
// reads and writes both, and creates v2.
inline constexpr std::uint32_t kFormatV1 = 1;
inline constexpr std::uint32_t kFormatV2 = 2;
inline constexpr std::uint32_t kFormatVersion = kFormatV2;  // what a new journal is created in

enum class Durability { sync, nosync };

struct Options {
  Durability durability = Durability::sync;
  std::size_t initial_map_bytes = std::size_t{64} << 20;  // grows by doubling on MDB_MAP_FULL
  std::size_t max_batch_records = 4096;                    // batch_full() threshold for callers
  std::size_t max_map_bytes = 0;  // the map never grows past this (0: no cap; the filesystem is the limit)
  // The format of a journal this creates (an existing one keeps its own). 0: the
  // environment's TRADER_JOURNAL_FORMAT (1 or 2) when set, else kFormatVersion.
  std::uint32_t format = 0;
};

// Room left for the journal to grow: the smaller of what its map cap and its
// filesystem allow.
struct Space {
  std::uint64_t used_bytes = 0;       // pages in use in the data file
  std::uint64_t cap_left_bytes = 0;   // to Options::max_map_bytes (UINT64_MAX without a cap)
  std::uint64_t fs_free_bytes = 0;    // available to this user on the journal's filesystem
  std::uint64_t left() const { return cap_left_bytes < fs_free_bytes ? cap_left_bytes : fs_free_bytes; }
};

using Hash = std::array<std::uint8_t, 32>;
std::string to_hex(const Hash& h);

// One committed batch: the unit of the hash chain and a sparse index for scans.
// A value kept beside the records (a meta key, a snapshot, the opening of a session),
// brought under the hash chain: its SHA-256 goes into the next batch the writer commits
// (or, at the session's end, into the last one), so an edit made afterwards fails verify.
struct Attestation {
  enum class Kind : std::uint8_t { meta = 1, snapshot = 2, session = 3 };
  Kind kind = Kind::meta;
  std::string key;  // the meta key; the snapshot's seq or the session's id, in decimal
  Hash digest{};
  bool operator==(const Attestation&) const = default;
};

struct BatchInfo {
  std::uint64_t first_seq = 0, last_seq = 0;
  std::int64_t min_recv_ts_ns = 0, max_recv_ts_ns = 0;
  std::uint64_t type_mask = 0;  // bit (type_id % 64) set when the batch holds that type
  // Without attestations: records_hash = SHA-256(previous chain, records, first_seq,
  // last_seq) and chain = records_hash. With them: chain = SHA-256(records_hash,
  // attestations). Journals written before attestations have none.
  Hash chain{};
  Hash records_hash{};
  std::vector<Attestation> attests;
};

struct SessionInfo {
  std::uint64_t id = 0;
  std::uint64_t start_seq = 0, end_seq = 0;
  std::int64_t start_ts_ns = 0, end_ts_ns = 0;
  std::string end_reason;  // "" while open
  std::string node_id, config_hash, code_version;
};

class Reader;
struct LmdbEnv;

class Writer {
 public:
  static Result<std::unique_ptr<Writer>> open(const std::string& dir, const Options& options = {});
  ~Writer();

  // Stages `body` with `header` (its seq is ignored and assigned); returns the seq.
  std::uint64_t append(const EnvelopeHeader& header, const Message& body);
  // The same for a body encoded by encode_body_flat (as the node's actors send them);
  // malformed bytes are an error and nothing is staged.
  Result<std::uint64_t> append_flat(const EnvelopeHeader& header, std::uint16_t type_id,
                                    std::span<const std::uint8_t> flat_body);
  // The stored bytes of the record appended last (valid until the next append/commit).
  std::span<const std::uint8_t> last_appended() const;
  bool batch_full() const;
  std::size_t staged() const;

  // Commits the staged records as one batch. On error nothing staged is committed and
  // the records stay staged (a retry may succeed, e.g. after disk space is freed).
  Result<BatchInfo> commit();

  std::uint64_t last_committed_seq() const;
  Result<Space> space() const;
  std::uint64_t next_seq() const;
  const Hash& chain_head() const;

  Status put_meta(const std::string& key, const std::string& value);
  // Commits what is staged, then records a session starting at the next seq.
  Result<std::uint64_t> begin_session(SessionInfo info);
  // Also brings what was written beside the records since the last commit under the
  // chain (attest_in_last_batch).
  Status end_session(std::uint64_t id, std::int64_t end_ts_ns, const std::string& reason);
  // Attests the values written since the last commit in the last committed batch.
  Status attest_in_last_batch();
  // Commits what is staged, then stores the actors' state as of `seq` (<= last committed).
  Status put_snapshot(std::uint64_t seq, std::span<const std::uint8_t> state);
  // A reader of this journal that shares the writer's LMDB environment: the only way to
  // read it in the writer's process (LMDB forbids opening one file twice in a process).
  // It sees what is committed, and may be used from another thread.
  std::unique_ptr<Reader> reader() const;

  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

 private:
  struct Impl;
  explicit Writer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What a scan selects. Empty optionals select everything.
struct Filter {
  std::uint64_t from_seq = 1;
  std::uint64_t to_seq = std::numeric_limits<std::uint64_t>::max();
  std::int64_t from_ts_ns = std::numeric_limits<std::int64_t>::min();
  std::int64_t to_ts_ns = std::numeric_limits<std::int64_t>::max();
  std::optional<std::uint16_t> type_id;
  std::optional<Actor> source;
};

class RecordDecoder;

// A record as read: valid until the cursor moves. Landing on a record checks its whole
// checksum and reads its header; its body is unpacked on first use (v2), so a scan that
// selects by header, or reads headers only, unpacks nothing it does not look at.
struct RecordView {
  EnvelopeHeader header;
  std::span<const std::uint8_t> stored;  // the value as stored (checksum + packed envelope)
  // The body's Cap'n Proto reader. Bytes that pass the checksum but are no message (only a
  // writer's bug or a crafted edit makes them) are an error naming the seq.
  Result<capnp::AnyPointer::Reader> body() const;
  Result<Message> decode() const;

 private:
  friend class RecordDecoder;
  RecordDecoder* decoder_ = nullptr;
};

class Reader;

// Walks records in seq order; skips whole batches the filter excludes (by time or type).
class Cursor {
 public:
  // nullptr at the end. An error names the seq (checksum mismatch, gap, bad data);
  // the cursor cannot continue after one.
  Result<const RecordView*> next();
  ~Cursor();
  Cursor(Cursor&&) noexcept;
  Cursor& operator=(Cursor&&) noexcept;

 private:
  friend class Reader;
  struct Impl;
  explicit Cursor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct Summary {
  std::uint64_t records = 0;
  std::uint64_t first_seq = 0, last_seq = 0;
  std::uint64_t batches = 0;
  std::uint64_t file_bytes = 0;
  Hash chain_head{};
  bool compacted = false;  // its records are in compressed blocks (compact()); read-only
  std::uint32_t format = 0;  // kFormatV1 or kFormatV2
};

class Reader {
 public:
  static Result<std::unique_ptr<Reader>> open(const std::string& dir);
  ~Reader();

  Result<Summary> summary();
  Result<Cursor> scan(const Filter& filter = {});
  Result<std::map<std::string, std::string>> meta();
  Result<std::vector<SessionInfo>> sessions();
  Result<std::vector<BatchInfo>> batches();
  // Every snapshot's seq and the SHA-256 of its state.
  Result<std::map<std::uint64_t, Hash>> snapshot_digests();
  // The latest snapshot taken at a seq in [min_seq, max_seq], if any: (seq, state).
  Result<std::optional<std::pair<std::uint64_t, std::vector<std::uint8_t>>>> snapshot_between(std::uint64_t min_seq,
                                                                                              std::uint64_t max_seq);
  Result<std::vector<std::uint64_t>> snapshot_seqs();
  // Visits records from the last one backwards until `visit` returns false.
  Status scan_backward(const std::function<bool(const RecordView&)>& visit);
  const std::string& dir() const;

  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

 private:
  friend class Writer;
  static std::unique_ptr<Reader> sharing(std::shared_ptr<LmdbEnv> env);
  struct Impl;
  explicit Reader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct VerifyReport {
  std::uint64_t records = 0, batches = 0;
  Hash chain_head{};
  std::uint64_t attested = 0;  // meta keys, snapshots and sessions whose values the chain holds
  // Values outside the chain, named: a journal written before attestations has only
  // these; in a later one only what followed its last batch (a crash before a commit).
  std::vector<std::string> unattested;
  std::set<std::uint64_t> unattested_snapshots;  // their seqs (recovery does not start from them)
};

// Checks every record's checksum, seq continuity and the whole hash chain, and that every
// meta value, snapshot and session opening the chain attests is still what it was. The
// error names the first bad seq, or the edited value.
Result<VerifyReport> verify(const std::string& dir);
// The part of verify() that reads no record: each batch's attestations against its chain
// link, and every attested value against what is stored now (replay runs this).
Result<VerifyReport> check_attestations(Reader& reader);

// Compaction: a sealed journal rewritten into compressed blocks of records, read by every
// Reader as before and opened read-only (a Writer refuses it, so a resume does too).
// Both directions rewrite the whole journal beside it (DIR.compacting), check that the
// rewrite verifies to the same records, chain head and attested values, then swap the
// two directories in one rename (RENAME_EXCHANGE) and delete the old one. A kill at any
// moment leaves DIR as it was or rewritten, never half; what a kill leaves beside it is
// removed by the next run. The writer lock is held throughout.
struct CompactOptions {
  int zstd_level = 19;
  std::size_t block_bytes = std::size_t{4} << 20;  // a block closes past this many bytes of records as stored
};
struct CompactReport {
  std::uint64_t records = 0, blocks = 0;
  std::uint64_t market_records = 0;  // trades, aggregate trades, book tickers, depth updates: in columns
  std::uint64_t raw_records = 0;     // kept as stored bytes: no other form rebuilt them identically
  std::uint64_t bytes_before = 0, bytes_after = 0;  // data.mdb
  Hash chain_head{};
};
// Compacts `dir`. Refused for a journal already compacted, one with a session that has
// not ended (it may be resumed), or one that does not verify.
Result<CompactReport> compact(const std::string& dir, const CompactOptions& options = {});
// Restores a compacted journal's records as they were stored, byte for byte.
Result<CompactReport> expand(const std::string& dir);

// The seq a reader in this process touched last; used to name the place when LMDB
// itself faults on a corrupted file (see tools' fatal-signal handler).
std::uint64_t last_seq_touched();

}  // namespace trader::journal
