#include "journal_fault.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <lmdb.h>

namespace trader::test {
namespace {
struct Env {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  MDB_dbi dbi = 0;
  bool ok = false;
  Env(const std::string& dir, const char* db, bool write) {
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    if (mdb_env_open(env, dir.c_str(), write ? 0 : MDB_RDONLY, 0644) != 0) return;
    if (mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &txn) != 0) return;
    ok = mdb_dbi_open(txn, db, 0, &dbi) == 0;
  }
  ~Env() {
    if (txn) mdb_txn_abort(txn);
    mdb_env_close(env);
  }
};
// Start address of this process's mapping of data.mdb (LMDB reports its map address only
// for MDB_FIXEDMAP environments).
std::uintptr_t map_base(std::uintptr_t inside) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("data.mdb") == std::string::npos) continue;
    std::uintptr_t lo = 0, hi = 0;
    unsigned long long file_off = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx %*s %llx", &lo, &hi, &file_off) != 3) continue;
    if (inside >= lo && inside < hi) return lo - file_off;
  }
  return 0;
}
}  // namespace

std::int64_t record_offset(const std::string& dir, std::uint64_t seq, std::size_t* size) {
  bool compacted = false;
  {
    Env probe(dir, "records", false);  // closed before another env of the file opens
    compacted = !probe.ok;
  }
  // A compacted journal: the block holding the seq, keyed by its last seq.
  Env e(dir, compacted ? "blocks" : "records", false);
  if (!e.ok) return -1;
  MDB_val k{sizeof(seq), &seq}, v{};
  MDB_cursor* cur = nullptr;
  mdb_cursor_open(e.txn, e.dbi, &cur);
  const int rc = mdb_cursor_get(cur, &k, &v, compacted ? MDB_SET_RANGE : MDB_SET_KEY);
  mdb_cursor_close(cur);
  if (rc != 0) return -1;
  if (size) *size = v.mv_size;
  // Read-only envs map the file, so the value's address is its place in the file.
  const auto at = reinterpret_cast<std::uintptr_t>(v.mv_data);
  const std::uintptr_t base = map_base(at);
  if (base == 0) return -1;
  return static_cast<std::int64_t>(at - base);
}

bool flip_record_byte(const std::string& dir, std::uint64_t seq, std::int64_t offset_in_record, std::uint8_t mask) {
  std::size_t size = 0;
  const std::int64_t base = record_offset(dir, seq, &size);
  if (base < 0) return false;
  const std::int64_t at = base + (offset_in_record >= 0 ? offset_in_record : static_cast<std::int64_t>(size) + offset_in_record);
  const int fd = ::open((dir + "/data.mdb").c_str(), O_RDWR);
  if (fd < 0) return false;
  unsigned char b = 0;
  bool ok = ::pread(fd, &b, 1, at) == 1;
  b ^= mask;
  ok = ok && ::pwrite(fd, &b, 1, at) == 1;
  ::close(fd);
  return ok;
}

bool set_meta(const std::string& dir, const std::string& key, const std::string& value) {
  Env e(dir, "meta", true);
  if (!e.ok) return false;
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v{value.size(), const_cast<char*>(value.data())};
  if (mdb_put(e.txn, e.dbi, &k, &v, 0) != 0) return false;
  const bool ok = mdb_txn_commit(e.txn) == 0;
  e.txn = nullptr;
  return ok;
}

}  // namespace trader::test
