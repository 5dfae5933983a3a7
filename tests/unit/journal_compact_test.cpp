// Compaction: a sealed journal rewritten into compressed blocks reads as before, verifies
// to the same chain, refuses writers, and expands back byte for byte.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <malloc.h>

#include <zstd.h>

#include "journal/block_codec.hpp"
#include "journal/journal.hpp"
#include "journal/market_columns.hpp"
#include "journal/record_format.hpp"
#include "journal/varint.hpp"
#include "journal_fault.hpp"
#include "message_samples.hpp"
#include "messages/message_codec.hpp"
#include "test_support.hpp"
#include "tools/trader_tools/capture_import.hpp"

using namespace trader;
using namespace trader::journal;

namespace {

using Bytes = std::vector<std::uint8_t>;

// A sealed journal of every message type, many times over, in uneven batches: a meta
// value, two ended sessions and a snapshot beside the records.
void write_sealed_journal(const std::string& dir, int rounds) {
  auto w = Writer::open(dir);
  REQUIRE_MESSAGE(w.has_value(), (w ? "" : w.error().message));
  REQUIRE((*w)->put_meta("node_id", "compact-test").has_value());
  const auto samples = test::all_message_samples();
  std::uint64_t n = 0;
  for (int session = 0; session < 2; ++session) {
    SessionInfo info;
    info.node_id = "compact-test";
    info.start_ts_ns = 1723161300000000000 + session;
    auto id = (*w)->begin_session(info);
    REQUIRE(id.has_value());
    for (int r = 0; r < rounds; ++r) {
      for (std::size_t i = 0; i < samples.size(); ++i, ++n) {
        const EnvelopeHeader h{0, 1723161300000000000 + static_cast<std::int64_t>(n) * 1000, Actor::market_feed,
                               Actor::none, 0, 0, 1};
        (*w)->append(h, samples[i]);
        if (n % 37 == 36) REQUIRE((*w)->commit().has_value());
      }
    }
    REQUIRE((*w)->commit().has_value());
    REQUIRE((*w)->put_snapshot((*w)->last_committed_seq(), Bytes{1, 2, 3, static_cast<std::uint8_t>(session)}).has_value());
    REQUIRE((*w)->end_session(*id, 1723161400000000000, "completed").has_value());
  }
}

struct Seen {
  std::vector<std::uint64_t> seqs;
  std::vector<Bytes> stored;
};

Seen scan_all(const std::string& dir, const Filter& f = {}) {
  auto r = Reader::open(dir);
  REQUIRE(r.has_value());
  auto cur = (*r)->scan(f);
  REQUIRE(cur.has_value());
  Seen s;
  for (;;) {
    auto rec = cur->next();
    REQUIRE_MESSAGE(rec.has_value(), (rec ? "" : rec.error().message));
    if (*rec == nullptr) break;
    s.seqs.push_back((*rec)->header.seq);
    s.stored.emplace_back((*rec)->stored.begin(), (*rec)->stored.end());
  }
  return s;
}

std::vector<std::uint64_t> backward_seqs(const std::string& dir, std::size_t max) {
  auto r = Reader::open(dir);
  REQUIRE(r.has_value());
  std::vector<std::uint64_t> seqs;
  REQUIRE((*r)->scan_backward([&](const RecordView& v) {
    seqs.push_back(v.header.seq);
    return seqs.size() < max;
  }).has_value());
  return seqs;
}

Summary summary_of(const std::string& dir) {
  auto r = Reader::open(dir);
  REQUIRE(r.has_value());
  auto s = (*r)->summary();
  REQUIRE(s.has_value());
  return *s;
}

std::string error_of(const Result<CompactReport>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}

}  // namespace

TEST_CASE("a compacted journal reads, filters and verifies as before, and expands back byte for byte") {
  test::TempDir tmp;
  const std::string dir = tmp.sub("j");
  write_sealed_journal(dir, 40);
  const Seen all = scan_all(dir);
  const Summary before = summary_of(dir);
  REQUIRE(before.records == all.seqs.size());
  Filter middle;
  middle.from_seq = 300;
  middle.to_seq = 420;
  Filter by_type;
  by_type.type_id = type_id_of(Message{test::sample_trade(1)});
  Filter by_time;
  by_time.from_ts_ns = 1723161300000000000 + 500 * 1000;
  by_time.to_ts_ns = 1723161300000000000 + 900 * 1000;
  const Seen mid = scan_all(dir, middle), trades = scan_all(dir, by_type), window = scan_all(dir, by_time);
  const auto last_ten = backward_seqs(dir, 10);
  auto verified = verify(dir);
  REQUIRE(verified.has_value());

  CompactOptions small;
  small.block_bytes = 8 << 10;  // many blocks, so reads cross block edges
  auto report = compact(dir, small);
  REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().message));
  CHECK(report->records == before.records);
  CHECK(report->blocks > 10);
  CHECK(report->raw_records == 0);  // every record this project writes rebuilds identically
  std::uint64_t market_samples = 0;
  for (const auto& m : test::all_message_samples()) market_samples += is_market_column_type(type_id_of(m));
  CHECK(market_samples == 4);  // a trade, an aggregate trade, a book ticker and a depth update
  CHECK(report->market_records == market_samples * 40 * 2);
  CHECK(report->chain_head == verified->chain_head);
  CHECK(report->bytes_after < report->bytes_before);
  CHECK_FALSE(std::filesystem::exists(dir + ".compacting"));

  const Summary after = summary_of(dir);
  CHECK(after.compacted);
  CHECK(after.records == before.records);
  CHECK(after.first_seq == before.first_seq);
  CHECK(after.last_seq == before.last_seq);
  CHECK(after.batches == before.batches);
  CHECK(after.chain_head == before.chain_head);
  const Seen again = scan_all(dir);
  CHECK(again.seqs == all.seqs);
  CHECK(again.stored == all.stored);  // the stored bytes, checksum and all
  CHECK(scan_all(dir, middle).stored == mid.stored);
  CHECK(scan_all(dir, by_type).seqs == trades.seqs);
  CHECK(scan_all(dir, by_time).seqs == window.seqs);
  CHECK(backward_seqs(dir, 10) == last_ten);
  auto reverified = verify(dir);
  REQUIRE_MESSAGE(reverified.has_value(), (reverified ? "" : reverified.error().message));
  CHECK(reverified->chain_head == verified->chain_head);
  CHECK(reverified->attested == verified->attested);
  CHECK(reverified->unattested == verified->unattested);
  {
    auto r = Reader::open(dir);
    REQUIRE(r.has_value());
    auto sessions = (*r)->sessions();
    REQUIRE(sessions.has_value());
    CHECK(sessions->size() == 2);
    auto snap = (*r)->snapshot_between(0, before.last_seq);
    REQUIRE(snap.has_value());
    REQUIRE(snap->has_value());
    CHECK((*snap)->second == Bytes{1, 2, 3, 1});
  }
  CHECK(error_of(compact(dir)).find("is already compacted") != std::string::npos);

  auto expanded = expand(dir);
  REQUIRE_MESSAGE(expanded.has_value(), (expanded ? "" : expanded.error().message));
  CHECK(expanded->chain_head == verified->chain_head);
  CHECK_FALSE(summary_of(dir).compacted);
  CHECK(scan_all(dir).stored == all.stored);
  CHECK(error_of(expand(dir)).find("is not compacted") != std::string::npos);
  // Expanded, it is a journal like any other: a writer continues it.
  auto w = Writer::open(dir);
  REQUIRE_MESSAGE(w.has_value(), (w ? "" : w.error().message));
  CHECK((*w)->next_seq() == before.last_seq + 1);
}

TEST_CASE("real market data compacts to at most 20 bytes a record, every record rebuilt byte for byte") {
  test::TempDir tmp;
  const std::string dir = tmp.sub("capture");
  {
    auto w = Writer::open(dir, Options{Durability::nosync});
    REQUIRE(w.has_value());
    ImportOptions o;
    o.files = {std::string(TRADER_TEST_DATA_DIR) + "/btcusdt_20240808_head20k.gz"};
    REQUIRE(import_captures(**w, o).has_value());
  }
  const Seen all = scan_all(dir);
  REQUIRE(all.seqs.size() == 20000);
  std::uint64_t market = 0;
  {
    auto r = Reader::open(dir);
    REQUIRE(r.has_value());
    auto cur = (*r)->scan();
    REQUIRE(cur.has_value());
    for (auto rec = cur->next(); rec && *rec; rec = cur->next()) market += is_market_column_type((*rec)->header.type_id);
  }
  CHECK(market > 19000);
  auto report = compact(dir);
  REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().message));
  CHECK(report->market_records == market);  // every trade, book ticker and depth update in columns
  const double per_record = static_cast<double>(report->bytes_after) / 20000.0;
  MESSAGE("bytes a record: " << static_cast<double>(report->bytes_before) / 20000.0 << " -> " << per_record);
  CHECK(per_record <= 20.0);
  CHECK(scan_all(dir).stored == all.stored);
}

TEST_CASE("a compacted journal opens read-only: a writer (a resume) is refused, saying how to expand it") {
  test::TempDir tmp;
  const std::string dir = tmp.sub("j");
  write_sealed_journal(dir, 2);
  REQUIRE(compact(dir).has_value());
  auto w = Writer::open(dir);
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().message.find("is compacted, and a compacted journal opens read-only") != std::string::npos);
  CHECK(w.error().message.find("trader-tools compact --expand " + dir) != std::string::npos);
  CHECK(scan_all(dir).seqs.size() == summary_of(dir).records);  // and it was left as it was
}

TEST_CASE("compaction is refused, leaving the journal as it was, for an open session, other files, or damage") {
  test::TempDir tmp;
  SUBCASE("a session that has not ended") {
    const std::string dir = tmp.sub("open");
    {
      auto w = Writer::open(dir);
      REQUIRE(w.has_value());
      REQUIRE((*w)->begin_session(SessionInfo{}).has_value());
      (*w)->append(test::header_at(1), test::sample_trade(1));
      REQUIRE((*w)->commit().has_value());
    }
    CHECK(error_of(compact(dir)).find("session 1 (from seq 1) has not ended") != std::string::npos);
    CHECK_FALSE(summary_of(dir).compacted);
  }
  SUBCASE("a directory inside the journal's") {
    const std::string dir = tmp.sub("notes");
    write_sealed_journal(dir, 1);
    std::filesystem::create_directory(dir + "/exports");
    CHECK(error_of(compact(dir)).find("holds exports/, which is neither a journal's file nor a plain file") !=
          std::string::npos);
    CHECK_FALSE(summary_of(dir).compacted);
  }
  SUBCASE("a damaged record: the journal does not verify") {
    const std::string dir = tmp.sub("damaged");
    write_sealed_journal(dir, 3);
    REQUIRE(test::flip_record_byte(dir, 20));
    const auto why = error_of(compact(dir));
    CHECK(why.find("does not verify, so it is left as it is: seq 20") != std::string::npos);
    CHECK_FALSE(summary_of(dir).compacted);
    CHECK_FALSE(std::filesystem::exists(dir + ".compacting"));
  }
  SUBCASE("a directory beside it that is someone's") {
    const std::string dir = tmp.sub("beside");
    write_sealed_journal(dir, 1);
    std::filesystem::create_directory(dir + ".compacting");
    std::ofstream(dir + ".compacting/data.mdb") << "not ours\n";
    CHECK(error_of(compact(dir)).find(".compacting exists and is not a rewrite of") != std::string::npos);
    CHECK(std::filesystem::exists(dir + ".compacting/data.mdb"));
    CHECK_FALSE(summary_of(dir).compacted);
  }
}

TEST_CASE("files a user keeps in the journal's directory stay there through compact and expand") {
  test::TempDir tmp;
  const std::string dir = tmp.sub("j");
  write_sealed_journal(dir, 1);
  std::ofstream(dir + "/trades.csv") << "time,symbol\n";
  std::filesystem::create_symlink("trades.csv", dir + "/latest.csv");
  auto compacted = compact(dir);
  REQUIRE_MESSAGE(compacted.has_value(), (compacted ? "" : compacted.error().message));
  auto expanded = expand(dir);
  REQUIRE_MESSAGE(expanded.has_value(), (expanded ? "" : expanded.error().message));
  std::ifstream in(dir + "/trades.csv");
  std::string line;
  std::getline(in, line);
  CHECK(line == "time,symbol");
  CHECK(std::filesystem::read_symlink(dir + "/latest.csv") == "trades.csv");
  CHECK_FALSE(std::filesystem::exists(dir + ".compacting"));
}

TEST_CASE("what a killed compaction left beside the journal is removed by the next run") {
  test::TempDir tmp;
  const std::string dir = tmp.sub("j");
  write_sealed_journal(dir, 2);
  SUBCASE("an unfinished rewrite (marked)") {
    std::filesystem::create_directory(dir + ".compacting");
    std::ofstream(dir + ".compacting/rewrite-in-progress");
    std::ofstream(dir + ".compacting/data.mdb") << "half written";
  }
  SUBCASE("the journal as it was, left after the swap") {
    std::filesystem::copy(dir, dir + ".compacting");
  }
  REQUIRE_MESSAGE(compact(dir).has_value(), "");
  CHECK(summary_of(dir).compacted);
  CHECK_FALSE(std::filesystem::exists(dir + ".compacting"));
}

TEST_CASE("a damaged compacted block is an error naming its seqs, never a short read") {
  test::TempDir tmp;
  const std::string dir = tmp.sub("j");
  write_sealed_journal(dir, 10);
  CompactOptions small;
  small.block_bytes = 8 << 10;
  REQUIRE(compact(dir, small).has_value());
  REQUIRE(test::flip_record_byte(dir, 100, -1));  // the block holding seq 100: its zstd checksum
  auto r = Reader::open(dir);
  REQUIRE(r.has_value());
  auto cur = (*r)->scan();
  REQUIRE(cur.has_value());
  std::string error;
  for (;;) {
    auto rec = cur->next();
    if (!rec) {
      error = rec.error().message;
      break;
    }
    REQUIRE(*rec != nullptr);  // it must not end early
  }
  CHECK(error.find("damaged compacted block") != std::string::npos);
  CHECK(error.find("..") != std::string::npos);
  auto v = verify(dir);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().message.find("damaged compacted block") != std::string::npos);
}

TEST_CASE("a block keeps a record that would not pack back identically as its stored bytes") {
  for (const std::uint32_t format : {kFormatV1, kFormatV2}) {
    CAPTURE(format);
    std::vector<std::uint8_t> normal, odd;
    auto h1 = test::header_at(1), h2 = test::header_at(2);
    h1.seq = 1;
    h2.seq = 2;
    encode_record(format, h1, test::sample_trade(1), normal);
    // The same record with a byte after the message: it decodes, but neither its message
    // nor its words rebuild the byte, so the block must keep it as stored.
    encode_record(format, h2, test::sample_trade(2), odd);
    odd.push_back(0);
    const std::uint32_t sum = record_checksum(format, 2, {odd.data() + kChecksumBytes, odd.size() - kChecksumBytes});
    std::memcpy(odd.data(), &sum, kChecksumBytes);

    BlockEncoder encoder(3, format);
    REQUIRE(encoder.add(1, normal).has_value());
    REQUIRE(encoder.add(2, odd).has_value());
    CHECK_FALSE(encoder.add(4, normal).has_value());  // seqs must follow each other
    CHECK(encoder.raw_records() == 1);
    auto block = encoder.finish();
    REQUIRE(block.has_value());
    BlockDecoder decoder(format);
    REQUIRE(decoder.load(2, *block).has_value());
    CHECK(decoder.first_seq() == 1);
    CHECK(decoder.last_seq() == 2);
    const auto a = decoder.stored(1), b = decoder.stored(2);
    CHECK(std::vector<std::uint8_t>(a.begin(), a.end()) == normal);
    CHECK(std::vector<std::uint8_t>(b.begin(), b.end()) == odd);
    // Stored under the wrong key, it is refused by its head.
    auto wrong = decoder.load(3, *block);
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.error().message.find("not a run ending at seq 3") != std::string::npos);
  }
}

TEST_CASE("a block whose words record holds no bytes is damage, named by its seq") {
  // Found by fuzz.block_decoder: an empty words record was copied from nowhere (UBSan).
  std::vector<std::uint8_t> payload{1, 0, 1, 0};  // forms: one words record; lengths: 0 bytes
  std::vector<std::uint8_t> market;
  MarketColumnEncoder().finish(market);  // no market records
  payload.push_back(static_cast<std::uint8_t>(market.size()));
  payload.insert(payload.end(), market.begin(), market.end());
  std::vector<std::uint8_t> block{kBlockCodec, 1, 1};  // seq 1, one record
  const std::size_t head = block.size();
  block.resize(head + ZSTD_compressBound(payload.size()));
  const std::size_t n = ZSTD_compress(block.data() + head, block.size() - head, payload.data(), payload.size(), 1);
  REQUIRE_FALSE(ZSTD_isError(n));
  block.resize(head + n);
  BlockDecoder decoder(kFormatV1);
  auto st = decoder.load(1, block);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message == "seq 1..1: damaged compacted block: seq 1: 0 bytes are not a message's words");
  CHECK_FALSE(decoder.holds(1));
}

namespace {
// A block of `count` klines (kept as their words, not as market columns), each distinct.
Bytes kline_block(std::uint64_t count, std::vector<Bytes>* records) {
  BlockEncoder encoder(1, kFormatV2);
  for (std::uint64_t seq = 1; seq <= count; ++seq) {
    Kline k{"BTCUSDT", 60, 1'700'000'000'000 + static_cast<std::int64_t>(seq) * 60'000, 0};
    k.close_time_ms = k.open_time_ms + 59'999;
    k.open = k.high = k.low = k.close = 6'000'000'000'000 + static_cast<std::int64_t>(seq * 7919 % 100'000);
    k.volume = static_cast<std::int64_t>(seq);
    k.trades = seq;
    k.closed = true;
    auto header = test::header_at(static_cast<std::int64_t>(seq) * 1'000'000);
    header.seq = seq;
    Bytes stored;
    encode_record(kFormatV2, header, k, stored);
    REQUIRE(encoder.add(seq, stored).has_value());
    if (records) records->push_back(std::move(stored));
  }
  auto block = encoder.finish();
  REQUIRE(block.has_value());
  return *block;
}

// Where a block's zstd frame starts: after the codec byte and two varints (its head).
std::size_t frame_start(const Bytes& block) {
  std::size_t at = 1;
  std::uint64_t first_seq = 0, count = 0;
  REQUIRE(get_varint(block, at, first_seq));
  REQUIRE(get_varint(block, at, count));
  return at;
}
}  // namespace

TEST_CASE("a block whose frame claims more than it holds costs no memory it does not fill") {
  // Found in review: the decoder sized its buffer by the frame's claimed size before
  // decompressing, so a damaged size field (up to 1 GiB) was allocated and kept.
  Bytes block = kline_block(1000, nullptr);
  const std::size_t frame = frame_start(block);
  // A frame of this size has a 4-byte content size field right after its descriptor.
  REQUIRE(block.size() > frame + 9);
  REQUIRE(ZSTD_getFrameContentSize(block.data() + frame, block.size() - frame) > 65'791);
  REQUIRE((block[frame + 4] >> 6) == 2);     // a 4-byte content size
  REQUIRE((block[frame + 4] & 0x23) == 0x20);  // single segment (no window byte), no dictionary
  for (const std::uint32_t claim : {std::uint32_t{20} << 20, (std::uint32_t{1} << 30) - 1}) {
    CAPTURE(claim);
    Bytes damaged = block;
    std::memcpy(damaged.data() + frame + 5, &claim, sizeof claim);
    REQUIRE(ZSTD_getFrameContentSize(damaged.data() + frame, damaged.size() - frame) == claim);
    BlockDecoder decoder(kFormatV2);
    const auto before = mallinfo2();
    auto st = decoder.load(1000, damaged);
    const auto after = mallinfo2();
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().message.find("seq 1..1000: damaged compacted block: claims " + std::to_string(claim) + " bytes") == 0);
    CHECK_FALSE(decoder.holds(1));
    // Nothing the size of the claim is kept (heap and mmapped blocks both).
    CHECK(after.hblkhd + after.uordblks < before.hblkhd + before.uordblks + (std::size_t{1} << 20));
    // And the decoder still loads a good block afterwards.
    REQUIRE(decoder.load(1000, block).has_value());
    CHECK(decoder.holds(1000));
  }
}

TEST_CASE("a block larger than one decompression call takes is read in full, byte for byte") {
  // 160,000 klines as words: a payload past the size decompressed in one call (16 MiB).
  std::vector<Bytes> records;
  const Bytes block = kline_block(160'000, &records);
  REQUIRE(ZSTD_getFrameContentSize(block.data() + frame_start(block), block.size() - frame_start(block)) >
          std::uint64_t{16} << 20);
  BlockDecoder decoder(kFormatV2);
  auto st = decoder.load(160'000, block);
  REQUIRE_MESSAGE(st.has_value(), (st ? "" : st.error().message));
  for (std::uint64_t seq : {std::uint64_t{1}, std::uint64_t{80'000}, std::uint64_t{160'000}}) {
    const auto got = decoder.stored(seq);
    CHECK(Bytes(got.begin(), got.end()) == records[seq - 1]);
  }
  std::size_t same = 0;
  for (std::uint64_t seq = 1; seq <= 160'000; ++seq) {
    const auto got = decoder.stored(seq);
    same += Bytes(got.begin(), got.end()) == records[seq - 1];
  }
  CHECK(same == 160'000);
}
