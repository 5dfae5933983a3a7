#include "journal/lmdb_env.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "journal/directory.hpp"
#include "journal/lmdb_file_check.hpp"

namespace trader::journal {
namespace fs = std::filesystem;

LmdbEnv::~LmdbEnv() {
  if (env) mdb_env_close(env);
}

std::string lmdb_error(int rc) { return mdb_strerror(rc); }

std::uint64_t val_u64(const MDB_val& v) {
  std::uint64_t x = 0;
  std::memcpy(&x, v.mv_data, sizeof(x));
  return x;
}

namespace {

bool readable_format(std::uint32_t format) { return format == kFormatV1 || format == kFormatV2; }

// A format version as text (the meta value, TRADER_JOURNAL_FORMAT): one this build reads, or nothing.
std::optional<std::uint32_t> parse_format(std::string_view text) {
  for (const std::uint32_t format : {kFormatV1, kFormatV2})
    if (text == std::to_string(format)) return format;
  return std::nullopt;
}

// The format a new journal is created in (Options::format), checked before anything is
// created.
Result<std::uint32_t> format_to_create(std::uint32_t asked) {
  if (asked != 0) {
    if (readable_format(asked)) return asked;
    return fail(fmt::format("cannot create a journal of format v{}: this build writes v{} and v{}", asked, kFormatV1,
                            kFormatV2));
  }
  const char* env = std::getenv("TRADER_JOURNAL_FORMAT");
  if (env == nullptr || *env == '\0') return kFormatVersion;
  if (const auto format = parse_format(env)) return *format;
  return fail(fmt::format("TRADER_JOURNAL_FORMAT={}: expected 1 or 2 (the format new journals are created in)", env));
}

// `create_compacted`: a new journal is created compacted (create_env); `format`: the
// format a new journal is created in.
Status open_dbis(LmdbEnv& e, bool writer, std::uint32_t format, bool create_compacted = false) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(e.env, nullptr, writer ? 0 : MDB_RDONLY, &txn);
  if (rc != 0) return fail(fmt::format("journal {}: cannot begin transaction: {}", e.dir, lmdb_error(rc)));
  const unsigned create = writer ? MDB_CREATE : 0;
  rc = mdb_dbi_open(txn, "blocks", MDB_INTEGERKEY | (create_compacted ? MDB_CREATE : 0), &e.blocks);
  e.compacted = rc == 0;
  if (e.compacted && writer && !create_compacted) {
    mdb_txn_abort(txn);
    return fail(fmt::format("journal {} is compacted, and a compacted journal opens read-only; to write to it "
                            "(resume, import into it), expand it first: trader-tools compact --expand {}",
                            e.dir, e.dir));
  }
  struct Db { const char* name; unsigned flags; MDB_dbi* dbi; };
  const Db dbs[] = {{e.compacted ? "blocks" : "records", MDB_INTEGERKEY, e.compacted ? &e.blocks : &e.records},
                    {"batches", MDB_INTEGERKEY, &e.batches},
                    {"meta", 0, &e.meta},
                    {"sessions", MDB_INTEGERKEY, &e.sessions},
                    {"snapshots", MDB_INTEGERKEY, &e.snapshots}};
  for (const auto& db : dbs) {
    rc = mdb_dbi_open(txn, db.name, db.flags | create, db.dbi);
    if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
      mdb_txn_abort(txn);
      return fail(fmt::format("{} is not a trader journal (no '{}' database)", e.dir, db.name));
    }
    if (rc != 0) {
      mdb_txn_abort(txn);
      return fail(fmt::format("journal {}: cannot open database '{}': {}", e.dir, db.name, lmdb_error(rc)));
    }
  }
  // The format version: written when the journal is created, checked on every open.
  const std::string key = "format_version";
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v{};
  rc = mdb_get(txn, e.meta, &k, &v);
  if (rc == MDB_NOTFOUND && writer) {
    e.format = format;
    const std::string ver = std::to_string(e.format);
    MDB_val nv{ver.size(), const_cast<char*>(ver.data())};
    rc = mdb_put(txn, e.meta, &k, &nv, 0);
    if (rc == 0) rc = mdb_txn_commit(txn);
    else mdb_txn_abort(txn);
    if (rc != 0) return fail(fmt::format("journal {}: cannot initialise: {}", e.dir, lmdb_error(rc)));
    return {};
  }
  if (rc != 0) {
    mdb_txn_abort(txn);
    return fail(fmt::format("{} is not a trader journal (no format version)", e.dir));
  }
  const std::string found(static_cast<const char*>(v.mv_data), v.mv_size);
  if (const auto format = parse_format(found)) {
    e.format = *format;
  } else {
    mdb_txn_abort(txn);
    return fail(fmt::format("journal {} is format v{}, this build reads v{} and v{}", e.dir, found, kFormatV1,
                            kFormatV2));
  }
  // Committing (even a read-only txn) is what keeps the DBI handles open for later txns.
  rc = mdb_txn_commit(txn);
  if (rc != 0) return fail(fmt::format("journal {}: {}", e.dir, lmdb_error(rc)));
  return {};
}

// The environments open in this process, by directory identity (device, inode), so that
// `runs/x`, `./runs/x` and a symlink to it are one journal.
using DirKey = std::pair<dev_t, ino_t>;
struct OpenEnvs {
  std::mutex mutex;
  std::condition_variable closed;  // an environment left the map
  std::map<DirKey, std::weak_ptr<LmdbEnv>> by_dir;
};
OpenEnvs& open_envs() {
  static auto* envs = new OpenEnvs;  // never destroyed: environments may close after exit begins
  return *envs;
}

// An environment handle for `dir`, not opened yet; a map size of 0 leaves LMDB's own.
Result<std::unique_ptr<LmdbEnv>> new_env(const std::string& dir, bool writable, std::size_t map_bytes) {
  auto e = std::make_unique<LmdbEnv>();
  e->dir = dir;
  e->writable = writable;
  if (const int rc = mdb_env_create(&e->env); rc != 0) return fail(fmt::format("lmdb: {}", lmdb_error(rc)));
  mdb_env_set_maxdbs(e->env, 8);
  if (map_bytes != 0) mdb_env_set_mapsize(e->env, map_bytes);
  return e;
}

// Opens a new environment for `dir` (called with the registry locked).
Result<std::unique_ptr<LmdbEnv>> open_new_env(const std::string& dir, bool writer, const Options& options) {
  auto made = new_env(dir, writer, writer ? options.initial_map_bytes : 0);
  if (!made) return tl::unexpected(made.error());
  auto& e = *made;
  int rc = 0;
  // MDB_NOTLS: read transactions belong to their cursor, not to a thread, so one thread may
  // hold several (e.g. two scans at once) and a cursor may move between threads.
  unsigned flags = MDB_NORDAHEAD | MDB_NOTLS;
  if (!writer) flags |= MDB_RDONLY;
  // A journal on read-only media (an archive, a copy made read-only for an audit): LMDB's
  // lock file cannot be written, so read without it. That is safe only while no writer
  // has the journal open, which its writer lock tells.
  std::error_code ec;
  const fs::path lock = fs::path(dir) / "lock.mdb";
  const bool lock_writable =
      fs::exists(lock, ec) ? ::access(lock.c_str(), W_OK) == 0 : ::access(dir.c_str(), W_OK) == 0;
  if (!writer && !lock_writable) {
    if (const auto pid = writer_lock_holder(dir); !pid.empty())
      return fail(fmt::format("cannot read journal {}: process {} is writing it and its lock file is not writable "
                              "by this user", dir, pid));
    flags |= MDB_NOLOCK;
  }
  if (writer && options.durability == Durability::nosync) flags |= MDB_NOSYNC;
  rc = mdb_env_open(e->env, dir.c_str(), flags, 0644);
  if (rc != 0) return fail(fmt::format("cannot open journal {}: {}", dir, lmdb_error(rc)));
  if (writer) {
    // Never shrink below what the file already uses.
    MDB_envinfo info{};
    mdb_env_info(e->env, &info);
    if (info.me_mapsize < options.initial_map_bytes) mdb_env_set_mapsize(e->env, options.initial_map_bytes);
  }
  if (auto st = open_dbis(*e, writer, options.format); !st) return tl::unexpected(st.error());
  return std::move(e);
}

}  // namespace

Result<std::shared_ptr<LmdbEnv>> create_env(const std::string& dir, bool compacted, std::size_t map_bytes,
                                            std::uint32_t format) {
  if (!readable_format(format)) return fail(fmt::format("{}: format v{}", dir, format));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", dir, ec.message()));
  if (fs::exists(fs::path(dir) / "data.mdb", ec)) return fail(fmt::format("{} already holds a journal", dir));
  auto made = new_env(dir, /*writable=*/true, map_bytes);
  if (!made) return tl::unexpected(made.error());
  std::shared_ptr<LmdbEnv> e = std::move(*made);
  // Synced once, at the end, by the rewrite (mdb_env_sync): it is not the journal until then.
  const int rc = mdb_env_open(e->env, dir.c_str(), MDB_NOSYNC | MDB_NOTLS, 0644);
  if (rc != 0) return fail(fmt::format("cannot create journal {}: {}", dir, lmdb_error(rc)));
  if (auto st = open_dbis(*e, /*writer=*/true, format, compacted); !st) return tl::unexpected(st.error());
  return e;
}

Result<std::shared_ptr<LmdbEnv>> open_env(const std::string& dir, bool writer, const Options& asked) {
  Options options = asked;
  if (writer) {
    auto format = format_to_create(asked.format);
    if (!format) return fail(fmt::format("journal {}: {}", dir, format.error().message));
    options.format = *format;
  }
  std::error_code ec;
  const fs::path data = fs::path(dir) / "data.mdb";
  if (!fs::exists(dir, ec)) {
    if (!writer) return fail(fmt::format("journal directory {} does not exist", dir));
    fs::create_directories(dir, ec);
    if (ec) return fail(fmt::format("cannot create journal directory {}: {}", dir, ec.message()));
  } else if (!fs::is_directory(dir, ec)) {
    return fail(fmt::format("{} is not a directory (a journal is a directory)", dir));
  }
  const bool exists = fs::exists(data, ec);
  if (!exists && !writer) return fail(fmt::format("{} is not a journal (no data.mdb)", dir));
  if (!exists)  // a new journal: never among a user's files
    if (auto st = check_new_journal_dir(dir); !st) return tl::unexpected(st.error());
  if (exists) {
    if (auto st = check_lmdb_file(data.string()); !st) return tl::unexpected(st.error());
  }

  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return fail(fmt::format("cannot open journal {}: {}", dir, std::strerror(errno)));
  const DirKey key{st.st_dev, st.st_ino};

  OpenEnvs& envs = open_envs();
  std::shared_ptr<LmdbEnv> shared;  // declared before the lock: a last reference drops after unlocking
  std::unique_lock lock(envs.mutex);
  for (;;) {
    auto it = envs.by_dir.find(key);
    if (it == envs.by_dir.end()) break;
    if ((shared = it->second.lock())) {
      if (writer && !shared->writable)
        return fail(fmt::format("journal {} is open for reading in this process; it cannot be opened for writing "
                                "until that reader is closed", dir));
      return shared;
    }
    envs.closed.wait(lock);  // its last user is closing it: open anew once it has
  }
  auto fresh = open_new_env(dir, writer, options);
  if (!fresh) return tl::unexpected(fresh.error());
  // The last user closes the environment and takes it off the map in one step, so no
  // second environment of the same file is ever open beside a closing one.
  shared = std::shared_ptr<LmdbEnv>(fresh->release(), [key](LmdbEnv* e) {
    OpenEnvs& all = open_envs();
    std::lock_guard guard(all.mutex);
    delete e;
    all.by_dir.erase(key);
    all.closed.notify_all();
  });
  envs.by_dir[key] = shared;
  return shared;
}

Result<MDB_txn*> begin_read(LmdbEnv& env) {
  MDB_txn* txn = nullptr;
  env.remap.lock_shared();
  int rc = mdb_txn_begin(env.env, nullptr, MDB_RDONLY, &txn);
  if (rc == MDB_MAP_RESIZED) {  // another process's writer grew the map: adopt its size
    mdb_env_set_mapsize(env.env, 0);
    rc = mdb_txn_begin(env.env, nullptr, MDB_RDONLY, &txn);
  }
  if (rc != 0) {
    env.remap.unlock_shared();
    return fail(fmt::format("journal {}: cannot begin read: {}", env.dir, lmdb_error(rc)));
  }
  return txn;
}

}  // namespace trader::journal
