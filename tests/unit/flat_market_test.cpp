// The builder-free writer of market messages against Cap'n Proto's own builder: the same
// bytes for real captured data and for the edges of every field, and the same records.
#include <doctest/doctest.h>

#include <climits>
#include <optional>
#include <cstring>
#include <string>
#include <vector>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "journal/journal.hpp"
#include "journal/record_format.hpp"
#include "messages/flat_market.hpp"
#include "messages/message_codec.hpp"
#include "capture_messages.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {

// What encode_body_flat wrote before it had the writer: a builder with the same first
// segment, and its flat array.
std::vector<std::uint8_t> builder_flat(const Message& m) {
  capnp::MallocMessageBuilder builder(kFlatFirstSegmentWords);
  encode_body(m, builder.initRoot<capnp::AnyPointer>());
  const auto words = capnp::messageToFlatArray(builder);
  const auto bytes = words.asBytes();
  return {bytes.begin(), bytes.end()};
}

std::vector<std::uint8_t> writer_flat(const Message& m) {
  std::vector<std::uint64_t> words;
  REQUIRE(write_flat_market(m, words));
  const auto* p = reinterpret_cast<const std::uint8_t*>(words.data());
  return {p, p + words.size() * sizeof(std::uint64_t)};
}

void check_same(const Message& m) {
  CHECK(writer_flat(m) == builder_flat(m));
  CHECK(encode_body_flat(m) == builder_flat(m));
}

bool covered_type(const Message& m) {
  return std::holds_alternative<Trade>(m) || std::holds_alternative<BookTicker>(m) ||
         std::holds_alternative<AggTrade>(m) || std::holds_alternative<Kline>(m) || std::holds_alternative<Candle>(m) ||
         std::holds_alternative<ClockTick>(m);
}

// The candle each real kline closes (as the candle builder makes from exchange klines),
// and the clock's tick at its close: real values for the types the node sends most.
std::vector<Message> candles_and_ticks_of(const std::vector<Message>& klines) {
  std::vector<Message> out;
  for (const auto& m : klines) {
    const auto* k = std::get_if<Kline>(&m);
    if (k == nullptr) continue;
    Candle c{k->symbol, k->interval_s, k->open_time_ms, k->close_time_ms, k->open, k->high, k->low, k->close,
             k->volume, k->quote_volume, k->trades, 0, true, k->history};
    if (k->volume > 0) c.vwap = static_cast<std::int64_t>(static_cast<__int128>(k->quote_volume) * 100'000'000 / k->volume);
    out.push_back(c);
    out.push_back(ClockTick{(k->close_time_ms + 1) * 1'000'000});
  }
  return out;
}

}  // namespace

TEST_CASE("the builder-free writer gives the builder's bytes for every message of the real captures") {
  std::size_t trades = 0, tickers = 0, agg = 0, klines = 0, candles = 0, ticks = 0;
  for (const char* name : {"btcusdt_20240808_head20k.gz", "btcusdt_usdm_20240808_trades_book.gz",
                           "xrpeth_aggtrade_20191011_head3k.gz", "btcusdc_kline1m_20230301.gz", "candles"}) {
    INFO(name);
    const auto messages = std::string(name) == "candles"
                              ? candles_and_ticks_of(test::capture_messages("btcusdc_kline1m_20230301.gz"))
                              : test::capture_messages(name);
    for (const auto& message : messages) {
      std::vector<std::uint64_t> words;
      const bool covered = write_flat_market(message, words);
      CHECK(covered == covered_type(message));
      if (!covered) continue;
      trades += std::holds_alternative<Trade>(message);
      tickers += std::holds_alternative<BookTicker>(message);
      agg += std::holds_alternative<AggTrade>(message);
      klines += std::holds_alternative<Kline>(message);
      candles += std::holds_alternative<Candle>(message);
      ticks += std::holds_alternative<ClockTick>(message);
      const auto* p = reinterpret_cast<const std::uint8_t*>(words.data());
      const std::vector<std::uint8_t> ours(p, p + words.size() * 8);
      if (ours != builder_flat(message)) {
        FAIL_CHECK("differs from the builder at a ", type_id_of(message));
        break;
      }
    }
  }
  // Each covered type was met many times over, so the comparison above is not vacuous.
  CHECK(trades > 1000);
  CHECK(tickers > 1000);
  CHECK(agg > 1000);
  CHECK(klines > 1000);
  CHECK(candles > 1000);
  CHECK(ticks > 1000);
}

TEST_CASE("the builder-free writer gives the builder's bytes at the edges of every field") {
  for (const std::size_t len : {0, 1, 6, 7, 8, 9, 15, 16, 100, 900}) {
    INFO("symbol of " << len << " bytes");
    const std::string symbol(len, 'Z');
    for (const bool flag : {false, true}) {
      check_same(Trade{symbol, LLONG_MIN, LLONG_MAX, ULLONG_MAX, -1, 0, flag});
      check_same(Trade{symbol, 0, 0, 0, 0, 0, flag});
      check_same(AggTrade{symbol, -5, 7, 1, ULLONG_MAX, 0, LLONG_MIN, LLONG_MAX, flag});
    }
    check_same(BookTicker{symbol, ULLONG_MAX, LLONG_MIN, 1, LLONG_MAX, -1, 0});
    check_same(BookTicker{symbol, 0, 0, 0, 0, 0, 0});
    for (const std::uint32_t interval : {0U, 1U, 60U, UINT_MAX})
      for (const int flags : {0, 1, 2, 3}) {
        if (len > 800) continue;  // more than the first segment holds beside these structs: the builder's (below)
        check_same(Kline{symbol, interval, LLONG_MIN, LLONG_MAX, -1, 0, 1, LLONG_MAX, LLONG_MIN, 2, ULLONG_MAX, 3, -4,
                         LLONG_MIN, LLONG_MAX, (flags & 1) != 0, -5, (flags & 2) != 0});
        check_same(Kline{symbol, interval, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (flags & 1) != 0, 0, (flags & 2) != 0});
        check_same(Candle{symbol, interval, LLONG_MIN, LLONG_MAX, -1, 0, 1, LLONG_MAX, LLONG_MIN, 2, ULLONG_MAX, -3,
                          (flags & 1) != 0, (flags & 2) != 0});
        check_same(Candle{symbol, interval, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (flags & 1) != 0, (flags & 2) != 0});
      }
  }
  for (const std::int64_t ts : {LLONG_MIN, -1LL, 0LL, 1LL, LLONG_MAX}) check_same(ClockTick{ts});
  // A NUL inside: the builder takes the text up to it; the writer leaves such a symbol to it.
  const Trade nul{std::string("A\0B", 3), 1, 2, 3, 4, 5, true};
  std::vector<std::uint64_t> words;
  CHECK_FALSE(write_flat_market(nul, words));
  CHECK(encode_body_flat(nul) == builder_flat(nul));
}

TEST_CASE("a symbol too long for the builders' first segment goes to the builder, and other types too") {
  std::vector<std::uint64_t> words{42};
  // 128 words: the root pointer, 6 data words and a pointer leave 120 words for text.
  CHECK(write_flat_market(Trade{std::string(959, 'x'), 1, 1, 1, 1, 1, false}, words));
  words = {42};
  CHECK_FALSE(write_flat_market(Trade{std::string(960, 'x'), 1, 1, 1, 1, 1, false}, words));
  CHECK(words == std::vector<std::uint64_t>{42});  // left as it was
  CHECK_FALSE(write_flat_market(RiskState{}, words));
  CHECK(words == std::vector<std::uint64_t>{42});
  // A candle's struct is larger: 1,000 bytes of symbol no longer fit beside it.
  const Candle long_candle{std::string(1000, 'x'), 60, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, true, false};
  CHECK_FALSE(write_flat_market(long_candle, words));
  CHECK(encode_body_flat(long_candle) == builder_flat(long_candle));
  // Either way, encode_body_flat's bytes are the builder's.
  check_same(Trade{std::string(959, 'x'), 1, 1, 1, 1, 1, false});
  CHECK(encode_body_flat(Trade{std::string(960, 'x'), 1, 1, 1, 1, 1, false}) ==
        builder_flat(Trade{std::string(960, 'x'), 1, 1, 1, 1, 1, false}));
}

TEST_CASE("a record of market data encoded without a builder is the record of the builder's flat body") {
  const std::vector<Message> messages{
      Trade{"BTCUSDT", 6173763000000, 2000000, 3735683259, 1723161255343, 1723161255342, true},
      Trade{"", -1, 0, 0, 0, 0, false},
      AggTrade{"XRPETH", 141342, 2300000000, 13519807, 15373518, 15373519, 1570752011620, 1570752011621, true},
      BookTicker{"BTCUSDT", 50093239212, 6183763000000, 378826000, 6183764000000, 154698000, 1723161255000},
      BookTicker{std::string(200, 'q'), 1, 2, 3, 4, 5, 6},
      Kline{"BTCUSDC", 60, 1, 60'000, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, true, 13, false},
      Candle{"BTCUSDC", 300, 0, 299'999, 2, 3, 4, 5, 6, 7, 8, 9, true, true},
      ClockTick{1'723'161'255'000'000'000}};
  for (const std::uint32_t format : {journal::kFormatV1, journal::kFormatV2}) {
    journal::RecordEncoder encoder(format);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      INFO("format " << format << ", message " << i);
      const EnvelopeHeader h{100 + i, 1'723'161'255'000'000'000, Actor::market_feed, Actor::none, 0, 0, 1};
      std::vector<std::uint8_t> by_message, by_builder_flat;
      encoder.encode(h, messages[i], by_message);
      REQUIRE(encoder.encode_flat(h, type_id_of(messages[i]), builder_flat(messages[i]), by_builder_flat));
      CHECK(by_message == by_builder_flat);
      journal::RecordDecoder decoder(format);
      auto view = decoder.decode(h.seq, by_message);
      REQUIRE(view.has_value());
      auto back = (*view)->decode();
      REQUIRE(back.has_value());
      CHECK(*back == messages[i]);
    }
  }
}

namespace {
// Cap'n Proto's reading of flat words: the value, or none where it refuses them.
std::optional<Message> capnp_read(std::uint16_t type_id, const std::vector<std::uint64_t>& words) {
  try {
    capnp::FlatArrayMessageReader reader({reinterpret_cast<const capnp::word*>(words.data()), words.size()});
    auto m = decode_body(type_id, reader.getRoot<capnp::AnyPointer>());
    if (m) return std::move(*m);
  } catch (const kj::Exception&) {
  }
  return std::nullopt;
}
}  // namespace

TEST_CASE("the builder-free reader gives back what was written, and never a value Cap'n Proto would not read") {
  std::vector<Message> messages{
      Trade{"BTCUSDT", 6173763000000, 2000000, 3735683259, 1723161255343, 1723161255342, true},
      Trade{"", LLONG_MIN, LLONG_MAX, ULLONG_MAX, -1, 0, false},
      Trade{std::string(16, 'S'), 1, 2, 3, 4, 5, true},
      AggTrade{"XRPETH", 141342, 2300000000, 13519807, 15373518, 15373519, 1570752011620, 1570752011621, true},
      BookTicker{"BTCUSDT", 50093239212, 6183763000000, 378826000, 6183764000000, 154698000, 1723161255000},
      BookTicker{std::string(900, 'q'), 1, 2, 3, 4, 5, 6},
      Kline{"BTCUSDC", 60, 1, 60'000, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, true, 13, false},
      Kline{"", UINT_MAX, LLONG_MIN, LLONG_MAX, -1, 0, 1, 2, 3, 4, ULLONG_MAX, 5, 6, 7, 8, false, 9, true},
      Candle{"BTCUSDC", 300, 0, 299'999, 2, 3, 4, 5, 6, 7, 8, 9, true, true},
      Candle{std::string(9, 'C'), UINT_MAX, LLONG_MIN, LLONG_MAX, -1, 0, 1, 2, 3, 4, ULLONG_MAX, 5, false, true},
      ClockTick{1'723'161'255'000'000'000},
      ClockTick{LLONG_MIN}};
  std::size_t flips = 0, read_flipped = 0;
  for (const auto& m : messages) {
    const auto type = type_id_of(m);
    std::vector<std::uint64_t> words;
    REQUIRE(write_flat_market(m, words));
    const auto back = read_flat_market(type, words);
    REQUIRE(back.has_value());
    CHECK(*back == m);
    CHECK_FALSE(read_flat_market(RiskState::kTypeId, words).has_value());  // a type it does not write
    for (const std::uint16_t other : {Trade::kTypeId, BookTicker::kTypeId, Kline::kTypeId, Candle::kTypeId, ClockTick::kTypeId})
      if (const auto as_other = read_flat_market(other, words)) {  // another type's words: only as Cap'n Proto reads them
        const auto theirs = capnp_read(other, words);
        REQUIRE_MESSAGE(theirs.has_value(), type << " read as " << other);
        CHECK(*as_other == *theirs);
      }
    // Every bit flipped, one at a time, and every length cut: read as Cap'n Proto reads
    // it, or left to Cap'n Proto.
    for (std::size_t w = 0; w < words.size(); ++w)
      for (unsigned bit = 0; bit < 64; ++bit) {
        auto damaged = words;
        damaged[w] ^= std::uint64_t{1} << bit;
        ++flips;
        const auto ours = read_flat_market(type, damaged);
        if (!ours) continue;
        ++read_flipped;
        const auto theirs = capnp_read(type, damaged);
        REQUIRE_MESSAGE(theirs.has_value(), "word " << w << " bit " << bit << ": read, where Cap'n Proto refuses");
        CHECK_MESSAGE(*ours == *theirs, "word " << w << " bit " << bit);
      }
    for (std::size_t n = 0; n < words.size(); ++n)
      CHECK_FALSE(read_flat_market(type, std::span(words.data(), n)).has_value());
  }
  // The flips that still read are those of field values (and padding), not of the layout.
  CHECK(read_flipped > 0);
  CHECK(read_flipped < flips);
}

TEST_CASE("a journal of market data reads back each record as written, through either reader") {
  // Real captures into a journal, read back: the values equal those imported.
  test::TempDir dir;
  std::vector<Message> written;
  {
    auto w = journal::Writer::open(dir.path(), {});
    REQUIRE(w.has_value());
    std::int64_t t = 0;
    for (const auto& message : test::capture_messages("btcusdt_usdm_20240808_trades_book.gz")) {
      (*w)->append(EnvelopeHeader{0, ++t, Actor::market_feed, Actor::none, 0, 0, 1}, message);
      written.push_back(message);
    }
    REQUIRE((*w)->commit().has_value());
  }
  auto r = journal::Reader::open(dir.path());
  REQUIRE(r.has_value());
  auto cursor = (*r)->scan();
  REQUIRE(cursor.has_value());
  std::size_t i = 0;
  for (;; ++i) {
    auto rec = cursor->next();
    REQUIRE(rec.has_value());
    if (*rec == nullptr) break;
    REQUIRE(i < written.size());
    auto fast = (*rec)->decode();
    REQUIRE(fast.has_value());
    auto body = (*rec)->body();  // Cap'n Proto's reader over the same record
    REQUIRE(body.has_value());
    auto slow = decode_body((*rec)->header.type_id, *body);
    REQUIRE(slow.has_value());
    if (!(*fast == written[i]) || !(*slow == written[i])) {
      FAIL_CHECK("record ", i + 1, " reads back otherwise");
      break;
    }
  }
  CHECK(i == written.size());
  CHECK(i > 4000);
}
