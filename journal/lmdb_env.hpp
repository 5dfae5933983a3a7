#pragma once
// Internal: an LMDB environment holding the journal's four databases, opened for the
// single writer or for readers, with the checks every open does (directory, file
// sanity, format version).
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>

#include <lmdb.h>

#include "base/result.hpp"
#include "journal/journal.hpp"

namespace trader::journal {

struct LmdbEnv {
  MDB_env* env = nullptr;
  MDB_dbi records = 0;   // seq (u64) -> stored record
  MDB_dbi batches = 0;   // last seq of batch (u64) -> encoded BatchInfo
  MDB_dbi meta = 0;      // text -> text
  MDB_dbi sessions = 0;  // session id (u64) -> packed capnp Session
  MDB_dbi snapshots = 0; // seq (u64) -> actor states after that seq (opaque bytes)
  // A compacted journal (read-only) has no `records` database, so a build that cannot
  // read blocks refuses it as "not a trader journal" instead of reading nothing. Its
  // records are in `blocks`: last seq of a block (u64) -> block (block_codec.hpp).
  MDB_dbi blocks = 0;
  bool compacted = false;
  std::uint32_t format = 0;  // its records' layout: kFormatV1 or kFormatV2 (meta "format_version")
  std::string dir;
  bool writable = false;  // opened for the writer (readers may share it, not the reverse)
  // Read transactions hold it shared, growing the map holds it alone: LMDB remaps the file
  // when the map grows, which must not happen under a read transaction of this process
  // (the node reads its own journal from another thread: Writer::reader()).
  std::shared_mutex remap;

  ~LmdbEnv();
};

std::string lmdb_error(int rc);

// Opens the journal in `dir`. A writer creates the directory and databases if needed, a
// new journal in options.format.
// LMDB forbids opening one file twice in a process: a second environment re-initialises
// the lock table under the first (readers of a sweep's threads then read short or hang),
// and closing either drops the other's locks. So every open of one directory in this
// process shares one environment while any user holds it; the last user closes it.
// A writer cannot share an environment opened read-only: that is an error saying so.
Result<std::shared_ptr<LmdbEnv>> open_env(const std::string& dir, bool writer, const Options& options);

// Creates a journal environment in `dir` (made if missing; it must hold no journal) for a
// rewrite of a whole journal in `format`: compacted (its records in `blocks`) or not.
// Not shared: no other user may know the directory yet.
Result<std::shared_ptr<LmdbEnv>> create_env(const std::string& dir, bool compacted, std::size_t map_bytes,
                                            std::uint32_t format);

// Begins a read-only transaction, following a map grown by the writer. It holds
// env.remap shared until ReadTxn ends it.
Result<MDB_txn*> begin_read(LmdbEnv& env);

// RAII for a read transaction begun by begin_read.
struct ReadTxn {
  MDB_txn* txn = nullptr;
  LmdbEnv* env = nullptr;
  ReadTxn() = default;
  ReadTxn(MDB_txn* t, LmdbEnv& e) : txn(t), env(&e) {}
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  ~ReadTxn() {
    if (!txn) return;
    mdb_txn_abort(txn);
    env->remap.unlock_shared();
  }
};

// Calls `f(key, value)` for every entry of `dbi` in key order, in one read transaction;
// stops at the first error and returns it.
template <class F>
Status for_each_entry(LmdbEnv& env, MDB_dbi dbi, F&& f) {
  auto txn = begin_read(env);
  if (!txn) return tl::unexpected(txn.error());
  ReadTxn guard{*txn, env};
  MDB_cursor* cur = nullptr;
  if (const int rc = mdb_cursor_open(guard.txn, dbi, &cur); rc != 0)
    return fail(env.dir + ": cannot open a cursor: " + lmdb_error(rc));
  MDB_val k{}, v{};
  Status st;
  for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && st; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    st = f(k, v);
  mdb_cursor_close(cur);
  return st;
}

inline MDB_val as_val(const std::uint64_t& key) {
  return MDB_val{sizeof(key), const_cast<std::uint64_t*>(&key)};
}
std::uint64_t val_u64(const MDB_val& v);

}  // namespace trader::journal
