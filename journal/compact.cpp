// compact() and expand(): the whole journal rewritten beside it, checked, then swapped in.
#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "journal/block_codec.hpp"
#include "journal/directory.hpp"
#include "journal/journal.hpp"
#include "journal/lmdb_env.hpp"
#include "journal/record_format.hpp"

namespace trader::journal {
namespace fs = std::filesystem;
namespace {

// In DIR.compacting while it is being written: such a directory is never a journal anyone
// kept, so the next run deletes it.
constexpr const char* kMarker = "rewrite-in-progress";

struct Entry {
  std::string key;  // an integer key's 8 bytes, or text
  std::vector<std::uint8_t> value;
};

std::string key_of(std::uint64_t k) { return std::string(reinterpret_cast<const char*>(&k), sizeof k); }

class FdHold {
 public:
  explicit FdHold(int fd) : fd_(fd) {}
  ~FdHold() { ::close(fd_); }
  FdHold(const FdHold&) = delete;
  FdHold& operator=(const FdHold&) = delete;

 private:
  int fd_;
};

Status fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return fail(fmt::format("cannot sync {}: {}", path, std::strerror(err)));
  return {};
}

// Puts `entries` into `dbi` in one write transaction, growing the map while it is full.
Status put_all(LmdbEnv& env, MDB_dbi dbi, const std::vector<Entry>& entries, unsigned flags) {
  for (;;) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env.env, nullptr, 0, &txn);
    if (rc != 0) return fail(fmt::format("{}: cannot begin a write: {}", env.dir, lmdb_error(rc)));
    for (const auto& e : entries) {
      MDB_val k{e.key.size(), const_cast<char*>(e.key.data())};
      MDB_val v{e.value.size(), const_cast<std::uint8_t*>(e.value.data())};
      if ((rc = mdb_put(txn, dbi, &k, &v, flags)) != 0) break;
    }
    if (rc == 0) rc = mdb_txn_commit(txn);
    else mdb_txn_abort(txn);
    if (rc == 0) return {};
    if (rc != MDB_MAP_FULL) return fail(fmt::format("{}: cannot write: {}", env.dir, lmdb_error(rc)));
    MDB_envinfo info{};
    mdb_env_info(env.env, &info);
    if ((rc = mdb_env_set_mapsize(env.env, info.me_mapsize * 2)) != 0)
      return fail(fmt::format("{}: cannot grow the map: {}", env.dir, lmdb_error(rc)));
  }
}

// Every entry of `dbi`, in key order.
Result<std::vector<Entry>> entries_of(LmdbEnv& env, MDB_dbi dbi) {
  std::vector<Entry> out;
  auto st = for_each_entry(env, dbi, [&](const MDB_val& k, const MDB_val& v) -> Status {
    const auto* p = static_cast<const std::uint8_t*>(v.mv_data);
    out.push_back({std::string(static_cast<const char*>(k.mv_data), k.mv_size), {p, p + v.mv_size}});
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

// Calls `f(seq, stored)` for every record of `src` in seq order (from `records` or, in a
// compacted journal, from its blocks); stops at the first error.
template <class F>
Status for_each_record(LmdbEnv& src, F&& f) {
  BlockDecoder block(src.format);
  return for_each_entry(src, src.compacted ? src.blocks : src.records, [&](const MDB_val& k, const MDB_val& v) -> Status {
    const std::span<const std::uint8_t> value{static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
    if (!src.compacted) return f(val_u64(k), value);
    if (auto st = block.load(val_u64(k), value); !st) return st;
    for (std::uint64_t seq = block.first_seq(); seq <= block.last_seq(); ++seq)
      if (auto st = f(seq, block.stored(seq)); !st) return st;
    return {};
  });
}

// Writes the rewrite of `src` into the new journal `out`: side tables as they are,
// records into blocks (to_compacted) or back into `records`.
Status write_rewrite(LmdbEnv& src, LmdbEnv& out, bool to_compacted, const CompactOptions& options,
                     CompactReport& report) {
  struct Table { MDB_dbi from, to; unsigned flags; };
  const Table tables[] = {{src.meta, out.meta, 0},
                          {src.batches, out.batches, MDB_APPEND},
                          {src.sessions, out.sessions, MDB_APPEND},
                          {src.snapshots, out.snapshots, MDB_APPEND}};
  for (const auto& t : tables) {
    auto entries = entries_of(src, t.from);
    if (!entries) return tl::unexpected(entries.error());
    if (auto st = put_all(out, t.to, *entries, t.flags); !st) return st;
  }

  std::vector<Entry> pending;
  if (to_compacted) {
    BlockEncoder encoder(options.zstd_level, src.format);
    const auto flush = [&]() -> Status {
      const std::uint64_t last = encoder.last_seq();
      auto block = encoder.finish();
      if (!block) return tl::unexpected(block.error());
      pending.assign(1, Entry{key_of(last), std::move(*block)});
      ++report.blocks;
      return put_all(out, out.blocks, pending, MDB_APPEND);
    };
    auto st = for_each_record(src, [&](std::uint64_t seq, std::span<const std::uint8_t> stored) -> Status {
      if (auto added = encoder.add(seq, stored); !added) return added;
      ++report.records;
      return encoder.stored_bytes() >= options.block_bytes ? flush() : Status{};
    });
    if (st && encoder.records() > 0) st = flush();
    report.raw_records = encoder.raw_records();
    report.market_records = encoder.market_records();
    return st;
  }
  std::size_t pending_bytes = 0;
  auto st = for_each_record(src, [&](std::uint64_t seq, std::span<const std::uint8_t> stored) -> Status {
    pending.push_back({key_of(seq), {stored.begin(), stored.end()}});
    pending_bytes += stored.size();
    ++report.records;
    if (pending_bytes < options.block_bytes) return {};
    auto put = put_all(out, out.records, pending, MDB_APPEND);
    pending.clear();
    pending_bytes = 0;
    return put;
  });
  if (st && !pending.empty()) st = put_all(out, out.records, pending, MDB_APPEND);
  return st;
}

// The same file (a hard link of it), or two symlinks to the same target.
bool same_file(const fs::path& a, const fs::path& b) {
  struct stat x{}, y{};
  if (::lstat(a.c_str(), &x) != 0 || ::lstat(b.c_str(), &y) != 0) return false;
  if (S_ISLNK(x.st_mode) && S_ISLNK(y.st_mode)) {
    std::error_code ec1, ec2;
    return fs::read_symlink(a, ec1) == fs::read_symlink(b, ec2) && !ec1 && !ec2;
  }
  return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

// Deletes a journal directory beside `journal`: its own files, the rewrite marker, and
// the files carried over, which are links to the same files in `journal`. Anything else
// stays, and so does the directory, which is an error.
Status remove_journal_dir(const std::string& dir, const std::string& journal) {
  std::error_code ec;
  std::vector<std::string> carried;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (is_own_file(name) || name == kMarker) continue;
    if (!same_file(e.path(), fs::path(journal) / name))
      return fail(fmt::format("{} holds {}, which is not a journal's: it is left there", dir, name));
    carried.push_back(name);
  }
  if (ec) return fail(fmt::format("cannot list {}: {}", dir, ec.message()));
  // Marked first: a kill halfway through leaves a directory the next run knows to delete.
  if (const int fd = ::open((dir + "/" + kMarker).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644); fd >= 0) ::close(fd);
  else return fail(fmt::format("cannot write in {}: {}", dir, std::strerror(errno)));
  for (const auto& name : carried) fs::remove(fs::path(dir) / name, ec);
  for (const auto name : {"data.mdb", "lock.mdb", "writer.lock", kMarker}) fs::remove(fs::path(dir) / name, ec);
  fs::remove(dir, ec);
  if (ec) return fail(fmt::format("cannot remove {}: {}", dir, ec.message()));
  return {};
}

// The files a user keeps in the journal's directory (the main job's trades.csv): carried
// into the rewrite as hard links (symlinks as symlinks), so nothing of theirs is copied,
// moved or lost whatever moment a kill comes. A directory among them is refused.
Result<std::vector<std::string>> foreign_files(const std::string& dir, const char* verb) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (is_own_file(name)) continue;
    if (!e.is_symlink(ec) && !e.is_regular_file(ec))
      return fail(fmt::format("{} holds {}, which is neither a journal's file nor a plain file; move it out before you "
                              "{} the journal", dir, name + (e.is_directory(ec) ? "/" : ""), verb));
    names.push_back(name);
  }
  if (ec) return fail(fmt::format("cannot list {}: {}", dir, ec.message()));
  return names;
}

Status carry_files(const std::string& from, const std::string& to, const std::vector<std::string>& names) {
  std::error_code ec;
  for (const auto& name : names) {
    const auto src = fs::path(from) / name, dst = fs::path(to) / name;
    if (fs::is_symlink(src, ec)) fs::create_symlink(fs::read_symlink(src, ec), dst, ec);
    else fs::create_hard_link(src, dst, ec);
    if (ec) return fail(fmt::format("cannot carry {} over: {}", name, ec.message()));
  }
  return {};
}

// Side tables compared after the rewrite (the records are compared by the hash chain).
struct SideTables {
  std::map<std::string, std::string> meta;
  std::vector<std::vector<std::uint8_t>> sessions;
  std::map<std::uint64_t, Hash> snapshots;
  bool operator==(const SideTables&) const = default;
};

Result<SideTables> side_tables(const std::string& dir) {
  auto reader = Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  SideTables t;
  auto meta = (*reader)->meta();
  if (!meta) return tl::unexpected(meta.error());
  t.meta = std::move(*meta);
  auto sessions = (*reader)->sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  for (const auto& s : *sessions) t.sessions.push_back(encode_session(s));
  auto snaps = (*reader)->snapshot_digests();
  if (!snaps) return tl::unexpected(snaps.error());
  t.snapshots = std::move(*snaps);
  return t;
}

// What a kill may have left at `tmp`: a rewrite not finished (marked), or, after the swap,
// the journal as it was before (the same records as `dir`). Either is deleted; anything
// else is someone's and refused.
Status clear_leftover(const std::string& dir, const std::string& tmp, const VerifyReport& current) {
  std::error_code ec;
  if (!fs::exists(tmp, ec)) return {};
  if (!fs::exists(fs::path(tmp) / kMarker, ec)) {
    auto other = verify(tmp);
    if (!other || other->chain_head != current.chain_head || other->records != current.records)
      return fail(fmt::format("{} exists and is not a rewrite of {}: move it away first", tmp, dir));
  }
  return remove_journal_dir(tmp, dir);
}

Result<CompactReport> rewrite(const std::string& dir_arg, bool to_compacted, const CompactOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir_arg, ec)) return fail(fmt::format("{} is not a journal directory", dir_arg));
  // The real directory: a symlink to it is followed, never swapped.
  const std::string dir = fs::canonical(dir_arg, ec).string();
  if (ec) return fail(fmt::format("cannot resolve {}: {}", dir_arg, ec.message()));
  const std::string tmp = dir + ".compacting";
  const char* verb = to_compacted ? "compact" : "expand";

  auto lock = take_writer_lock(dir);
  if (!lock) return fail(lock.error().message + "; it is left as it is");
  FdHold hold(*lock);
  auto carried = foreign_files(dir, verb);
  if (!carried) return tl::unexpected(carried.error());
  {
    auto reader = Reader::open(dir);
    if (!reader) return tl::unexpected(reader.error());
    auto summary = (*reader)->summary();
    if (!summary) return tl::unexpected(summary.error());
    if (summary->compacted == to_compacted)
      return fail(fmt::format("journal {} is {} compacted", dir_arg, to_compacted ? "already" : "not"));
    if (summary->records == 0) return fail(fmt::format("journal {} holds no records: nothing to {}", dir_arg, verb));
    auto sessions = (*reader)->sessions();
    if (!sessions) return tl::unexpected(sessions.error());
    for (const auto& s : *sessions)
      if (to_compacted && s.end_reason.empty())
        return fail(fmt::format("journal {}: session {} (from seq {}) has not ended, and a compacted journal cannot "
                                "be resumed; end it first (resume the node on it and stop it), then compact",
                                dir_arg, s.id, s.start_seq));
  }
  auto before = verify(dir);
  if (!before) return fail(fmt::format("journal {} does not verify, so it is left as it is: {}", dir_arg,
                                       before.error().message));
  auto tables = side_tables(dir);
  if (!tables) return tl::unexpected(tables.error());
  if (auto st = clear_leftover(dir, tmp, *before); !st) return tl::unexpected(st.error());

  CompactReport report;
  report.bytes_before = fs::file_size(fs::path(dir) / "data.mdb", ec);
  const auto abandon = [&](const std::string& why) {
    (void)remove_journal_dir(tmp, dir);
    return fail(fmt::format("cannot {} {}: {}; the journal is left as it is", verb, dir_arg, why));
  };
  fs::create_directory(tmp, ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", tmp, ec.message()));
  if (const int fd = ::open((tmp + "/" + kMarker).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644); fd >= 0) ::close(fd);
  else return abandon(fmt::format("cannot write in {}: {}", tmp, std::strerror(errno)));
  if (auto st = fsync_path(tmp); !st) return abandon(st.error().message);
  {
    auto src = open_env(dir, /*writer=*/false, Options{});
    if (!src) return abandon(src.error().message);
    const std::size_t map = std::max<std::size_t>(report.bytes_before * (to_compacted ? 2 : 16), std::size_t{64} << 20);
    auto out = create_env(tmp, to_compacted, map, (*src)->format);
    if (!out) return abandon(out.error().message);
    if (auto st = write_rewrite(**src, **out, to_compacted, options, report); !st) return abandon(st.error().message);
    if (const int rc = mdb_env_sync((*out)->env, 1); rc != 0) return abandon(lmdb_error(rc));
  }
  // The rewrite must hold exactly what the journal holds before it may replace it.
  auto after = verify(tmp);
  if (!after) return abandon("the rewrite does not verify: " + after.error().message);
  if (after->chain_head != before->chain_head || after->records != before->records ||
      after->attested != before->attested || after->unattested != before->unattested)
    return abandon(fmt::format("the rewrite verifies to {} records and chain head {}, not {} and {}", after->records,
                               to_hex(after->chain_head), before->records, to_hex(before->chain_head)));
  auto new_tables = side_tables(tmp);
  if (!new_tables) return abandon(new_tables.error().message);
  if (!(*new_tables == *tables)) return abandon("the rewrite's meta values, sessions or snapshots differ");
  report.chain_head = after->chain_head;
  if (auto st = carry_files(dir, tmp, *carried); !st) return abandon(st.error().message);
  fs::remove(fs::path(tmp) / kMarker, ec);
  if (ec) return abandon(ec.message());
  if (auto st = fsync_path(tmp); !st) return abandon(st.error().message);

  // One rename swaps the two: a kill before it leaves the journal as it was, after it
  // rewritten (the old one beside it, which the next run deletes).
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0)
    return abandon(fmt::format("cannot swap {} and {} in one rename on this filesystem: {}", tmp, dir,
                               std::strerror(errno)));
  if (auto st = fsync_path(fs::path(dir).parent_path().string()); !st) return tl::unexpected(st.error());
  if (auto st = remove_journal_dir(tmp, dir); !st)
    return fail(fmt::format("journal {} is {}ed, but its old form could not be removed: {}", dir_arg, verb,
                            st.error().message));
  report.bytes_after = fs::file_size(fs::path(dir) / "data.mdb", ec);
  return report;
}

}  // namespace

Result<CompactReport> compact(const std::string& dir, const CompactOptions& options) {
  return rewrite(dir, true, options);
}

Result<CompactReport> expand(const std::string& dir) { return rewrite(dir, false, CompactOptions{}); }

}  // namespace trader::journal
