// The builder-free writer of market messages against Cap'n Proto's own builder: the same
// bytes for real captured data and for the edges of every field, and the same records.
#include <doctest/doctest.h>

#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "exchange/capture_stream.hpp"
#include "journal/record_format.hpp"
#include "messages/flat_market.hpp"
#include "messages/message_codec.hpp"

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

}  // namespace

TEST_CASE("the builder-free writer gives the builder's bytes for every message of the real captures") {
  std::size_t trades = 0, tickers = 0, agg = 0;
  for (const char* name : {"btcusdt_20240808_head20k.gz", "btcusdt_usdm_20240808_trades_book.gz",
                           "xrpeth_aggtrade_20191011_head3k.gz"}) {
    INFO(name);
    auto stream = CaptureStream::open({std::string(TRADER_TEST_DATA_DIR) + "/" + name});
    REQUIRE(stream.has_value());
    CaptureItem item;
    for (;;) {
      auto more = (*stream)->next(item);
      REQUIRE(more.has_value());
      if (!*more) break;
      if (item.kind != CaptureItem::Kind::message) continue;
      std::vector<std::uint64_t> words;
      const bool covered = write_flat_market(item.message, words);
      CHECK(covered == (std::holds_alternative<Trade>(item.message) ||
                        std::holds_alternative<BookTicker>(item.message) ||
                        std::holds_alternative<AggTrade>(item.message)));
      if (!covered) continue;
      trades += std::holds_alternative<Trade>(item.message);
      tickers += std::holds_alternative<BookTicker>(item.message);
      agg += std::holds_alternative<AggTrade>(item.message);
      const auto* p = reinterpret_cast<const std::uint8_t*>(words.data());
      const std::vector<std::uint8_t> ours(p, p + words.size() * 8);
      if (ours != builder_flat(item.message)) {
        FAIL_CHECK("differs from the builder at a ", type_id_of(item.message));
        break;
      }
    }
  }
  // Each covered type was met many times over, so the comparison above is not vacuous.
  CHECK(trades > 1000);
  CHECK(tickers > 1000);
  CHECK(agg > 1000);
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
  }
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
  CHECK_FALSE(write_flat_market(ClockTick{5}, words));
  CHECK(words == std::vector<std::uint64_t>{42});
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
      BookTicker{std::string(200, 'q'), 1, 2, 3, 4, 5, 6}};
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
