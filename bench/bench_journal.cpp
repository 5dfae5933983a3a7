// Journal append and read, each against raw LMDB doing the same work in the same run.
#include <algorithm>
#include <cstring>
#include <filesystem>

#include <lmdb.h>

#include "bench/bench_common.hpp"
#include "exchange/capture_stream.hpp"
#include "journal/journal.hpp"
#include "journal/packing.hpp"
#include "messages/message_codec.hpp"
#include "messages/schema/market.capnp.h"

namespace trader::bench {
namespace fs = std::filesystem;

std::string fresh_dir(const Options& o, const std::string& name) {
  const fs::path p = fs::path(o.work_dir) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::string data_file(const Options& o, const std::string& prefix) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(o.data_dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return names.empty() ? "" : names.front();
}

std::vector<Trade> real_trades(const Options& o, std::size_t n) {
  std::vector<Trade> base;
  auto stream = CaptureStream::open({data_file(o, "btcusdt_20240808"), data_file(o, "ethusdt_20240808")});
  if (stream) {
    CaptureItem item;
    while (true) {
      auto more = (*stream)->next(item);
      if (!more || !*more) break;
      if (auto* t = std::get_if<Trade>(&item.message)) base.push_back(*t);
    }
  }
  if (base.empty()) base.push_back(Trade{"BTCUSDT", 6173763000000, 100000, 1, 1723161255342, 1723161255342, true});
  std::vector<Trade> out;
  out.reserve(n);
  const std::int64_t span_ms = base.back().trade_ts_ms - base.front().trade_ts_ms + 1;
  for (std::size_t i = 0; out.size() < n; ++i) {
    Trade t = base[i % base.size()];
    const std::uint64_t round = i / base.size();
    t.trade_id += round * 100'000'000ULL;
    t.exchange_ts_ms += static_cast<std::int64_t>(round) * span_ms;
    t.trade_ts_ms += static_cast<std::int64_t>(round) * span_ms;
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

constexpr std::size_t kBatch = 4096;

double journal_append(const Options& o, const std::vector<Trade>& trades, journal::Durability d,
                      std::vector<std::size_t>* sizes, std::string* dir_out) {
  const std::string dir = fresh_dir(o, d == journal::Durability::sync ? "append-sync" : "append-nosync");
  journal::Options opts;
  opts.durability = d;
  opts.initial_map_bytes = std::size_t{1} << 30;
  opts.max_batch_records = kBatch;
  auto w = journal::Writer::open(dir, opts);
  if (!w) return 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t ts = 1'723'161'253'000'000'000;
  for (const auto& t : trades) {
    (*w)->append(EnvelopeHeader{0, ts += 1000, Actor::market_feed, Actor::none, 0, 0, 1}, t);
    if (sizes) sizes->push_back((*w)->last_appended().size());
    if ((*w)->batch_full()) (void)(*w)->commit();
  }
  (void)(*w)->commit();
  const double secs = seconds_since(t0);
  if (dir_out) *dir_out = dir;
  return static_cast<double>(trades.size()) / secs;
}

// Raw LMDB: the same number of values of the same sizes, MDB_APPEND, same batches and flags.
double raw_append(const Options& o, const std::vector<std::size_t>& sizes, journal::Durability d) {
  const std::string dir = fresh_dir(o, "raw-append");
  MDB_env* env = nullptr;
  mdb_env_create(&env);
  mdb_env_set_maxdbs(env, 8);
  mdb_env_set_mapsize(env, std::size_t{1} << 30);
  if (mdb_env_open(env, dir.c_str(), MDB_NORDAHEAD | MDB_NOTLS | (d == journal::Durability::nosync ? MDB_NOSYNC : 0), 0644) != 0)
    return 0;
  MDB_dbi dbi = 0;
  MDB_txn* txn = nullptr;
  mdb_txn_begin(env, nullptr, 0, &txn);
  mdb_dbi_open(txn, "records", MDB_INTEGERKEY | MDB_CREATE, &dbi);
  mdb_txn_commit(txn);
  std::vector<std::uint8_t> value(256, 0x5a);
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < sizes.size();) {
    mdb_txn_begin(env, nullptr, 0, &txn);
    const std::size_t end = std::min(sizes.size(), i + kBatch);
    for (; i < end; ++i) {
      ++seq;
      MDB_val k{sizeof seq, &seq}, v{sizes[i], value.data()};
      mdb_put(txn, dbi, &k, &v, MDB_APPEND);
    }
    mdb_txn_commit(txn);
  }
  const double secs = seconds_since(t0);
  mdb_env_close(env);
  return static_cast<double>(sizes.size()) / secs;
}

// How a read looks at each record: its header only (as stats counts records, and as a scan
// selecting by type or time passes over the rest), its price through the record's Cap'n
// Proto reader (as dump and JSON do), or the whole body decoded into the value type.
enum class ReadDepth { header, view, decode };

double journal_read(const std::string& dir, std::size_t* count, ReadDepth depth) {
  auto reader = journal::Reader::open(dir);
  if (!reader) return 0;
  auto cursor = (*reader)->scan();
  if (!cursor) return 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t n = 0;
  std::int64_t sink = 0;
  for (;;) {
    auto rec = cursor->next();
    if (!rec || *rec == nullptr) break;
    if (depth == ReadDepth::header) {
      sink += (*rec)->header.recv_ts_ns;
    } else if (depth == ReadDepth::view) {
      if (auto body = (*rec)->body()) sink += body->getAs<schema::Trade>().getPrice();
    } else {
      auto body = (*rec)->decode();  // all fields decoded into the value type
      if (body) sink += std::get<Trade>(*body).price;
    }
    ++n;
  }
  const double secs = seconds_since(t0);
  *count = n + static_cast<std::size_t>(sink == 42);  // keep the decode observable
  return static_cast<double>(n) / secs;
}

double raw_scan(const std::string& dir) {
  MDB_env* env = nullptr;
  mdb_env_create(&env);
  mdb_env_set_maxdbs(env, 8);
  if (mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0644) != 0) return 0;
  MDB_txn* txn = nullptr;
  mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  MDB_dbi dbi = 0;
  mdb_dbi_open(txn, "records", 0, &dbi);
  MDB_cursor* cur = nullptr;
  mdb_cursor_open(txn, dbi, &cur);
  MDB_val k{}, v{};
  std::size_t n = 0, bytes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    bytes += static_cast<const std::uint8_t*>(v.mv_data)[0] + v.mv_size;  // touch every value
    ++n;
  }
  const double secs = seconds_since(t0);
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return bytes ? static_cast<double>(n) / secs : 0;
}

// Packing by byte shuffles (what the journal uses where the CPU has SSSE3) against a byte
// at a time, on the flat bodies of real trades, alternating in this process, the best
// round of each: the time a byte at a time takes over the time the shuffles take.
void bench_packing(const std::vector<Trade>& trades, bool smoke, Results& r) {
  std::vector<std::vector<std::uint8_t>> flat, packed;
  for (std::size_t i = 0; i < std::min<std::size_t>(trades.size(), 4096); ++i) {
    flat.push_back(encode_body_flat(trades[i]));
    packed.emplace_back();
    journal::pack_piece(flat.back(), packed.back());
  }
  using Pack = void (*)(std::span<const std::uint8_t>, std::vector<std::uint8_t>&);
  using Unpack = bool (*)(std::span<const std::uint8_t>, std::size_t&, std::uint8_t*, std::size_t);
  const int repeats = smoke ? 2 : 100;
  std::vector<std::uint8_t> out(256), words(256);
  std::size_t sink = 0;
  const auto time_pack = [&](Pack pack) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < repeats; ++k)
      for (const auto& f : flat) {
        out.clear();
        pack(f, out);
        sink += out.size();
      }
    return seconds_since(t0);
  };
  const auto time_unpack = [&](Unpack unpack) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < repeats; ++k)
      for (std::size_t i = 0; i < packed.size(); ++i) {
        std::size_t at = 0;
        words.resize(flat[i].size());
        sink += unpack(packed[i], at, words.data(), words.size()) ? words[0] : 1;
      }
    return seconds_since(t0);
  };
  double pack_bytewise = 1e9, pack_shuffled = 1e9, unpack_bytewise = 1e9, unpack_shuffled = 1e9;
  for (int round = 0; round < 5; ++round) {
    pack_bytewise = std::min(pack_bytewise, time_pack(journal::detail::pack_piece_bytewise));
    pack_shuffled = std::min(pack_shuffled, time_pack(journal::pack_piece));
    unpack_bytewise = std::min(unpack_bytewise, time_unpack(journal::detail::unpack_exact_bytewise));
    unpack_shuffled = std::min(unpack_shuffled, time_unpack(journal::unpack_exact));
  }
  r["packing_pack_speedup"] = sink == 42 ? 0 : pack_bytewise / pack_shuffled;  // sink: keep the work observable
  r["packing_unpack_speedup"] = unpack_bytewise / unpack_shuffled;
}

}  // namespace

void bench_journal(const Options& o, Results& r) {
  const std::size_t n = o.smoke ? 20'000 : 1'000'000;
  const std::size_t n_sync = o.smoke ? 8'192 : 200'000;
  const auto trades = real_trades(o, n);
  // nosync: alternate raw and journal twice, keep the best of each (noise on a shared machine).
  std::vector<std::size_t> sizes;
  std::string dir;
  double ours = 0, raw = 0;
  for (int round = 0; round < 2; ++round) {
    std::vector<std::size_t> s;
    ours = std::max(ours, journal_append(o, trades, journal::Durability::nosync, &s, &dir));
    if (sizes.empty()) sizes = s;
    raw = std::max(raw, raw_append(o, sizes, journal::Durability::nosync));
  }
  r["journal_append_per_s_nosync"] = ours;
  r["raw_lmdb_append_per_s_nosync"] = raw;
  r["journal_append_ratio_nosync"] = ours / raw;

  const std::vector<Trade> sync_trades(trades.begin(), trades.begin() + static_cast<std::ptrdiff_t>(n_sync));
  const std::vector<std::size_t> sync_sizes(sizes.begin(), sizes.begin() + static_cast<std::ptrdiff_t>(n_sync));
  double ours_sync = 0, raw_sync = 0;
  for (int round = 0; round < 2; ++round) {
    ours_sync = std::max(ours_sync, journal_append(o, sync_trades, journal::Durability::sync, nullptr, nullptr));
    raw_sync = std::max(raw_sync, raw_append(o, sync_sizes, journal::Durability::sync));
  }
  r["journal_append_per_s_sync"] = ours_sync;
  r["raw_lmdb_append_per_s_sync"] = raw_sync;
  r["journal_append_ratio_sync"] = ours_sync / raw_sync;

  std::size_t count = 0;
  double read = 0, view = 0, header = 0, scan = 0;
  for (int round = 0; round < 2; ++round) {
    read = std::max(read, journal_read(dir, &count, ReadDepth::decode));
    view = std::max(view, journal_read(dir, &count, ReadDepth::view));
    header = std::max(header, journal_read(dir, &count, ReadDepth::header));
    scan = std::max(scan, raw_scan(dir));
  }
  r["journal_read_per_s"] = read;
  r["journal_view_read_per_s"] = view;
  r["journal_header_read_per_s"] = header;
  r["raw_lmdb_scan_per_s"] = scan;
  r["journal_read_ratio"] = read / scan;
  r["journal_view_read_ratio"] = view / scan;
  r["journal_header_read_ratio"] = header / scan;

  std::size_t stored = 0;
  for (auto s : sizes) stored += s;
  r["bytes_per_trade_record"] = static_cast<double>(fs::file_size(fs::path(dir) / "data.mdb")) / static_cast<double>(n);
  r["stored_bytes_per_trade_record"] = static_cast<double>(stored) / static_cast<double>(n);
  r["journal_bench_records"] = static_cast<double>(n);
  bench_packing(trades, o.smoke, r);
}

}  // namespace trader::bench
