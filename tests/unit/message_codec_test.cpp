#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <set>

#include <zlib.h>

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>

#include "journal/journal.hpp"
#include "journal_scan.hpp"
#include "message_samples.hpp"
#include "messages/message_codec.hpp"
#include "messages/message_json.hpp"
#include "messages/schema/trading.capnp.h"
#include "messages/type_registry.hpp"
#include "test_support.hpp"

using namespace trader;

TEST_CASE("type registry: every message type has a unique id and name and a schema") {
  std::set<std::uint16_t> ids;
  std::set<std::string_view> names;
  for (const auto& t : all_types()) {
    CHECK(ids.insert(t.id).second);
    CHECK(names.insert(t.name).second);
    CHECK(t.id < 64);  // batch type masks hold one bit per id
    CHECK(find_type(t.id) == &t);
    CHECK(find_type(t.name) == &t);
  }
  CHECK(ids.size() == std::variant_size_v<Message>);
  CHECK(find_type(std::uint16_t{9999}) == nullptr);
  CHECK(find_type("no_such_type") == nullptr);
}

TEST_CASE("every message type round-trips through Cap'n Proto with every field set") {
  const auto samples = test::all_message_samples();
  std::set<std::uint16_t> covered;
  for (const auto& sample : samples) {
    const auto id = type_id_of(sample);
    const TypeInfo* type = find_type(id);
    REQUIRE(type != nullptr);
    INFO("type " << type->name);
    covered.insert(id);

    capnp::MallocMessageBuilder builder;
    auto root = builder.initRoot<capnp::AnyPointer>();
    encode_body(sample, root);

    // The sample really sets every field: a dropped field would otherwise round-trip as default.
    auto dyn = root.asReader().getAs<capnp::DynamicStruct>(type->schema);
    for (auto field : type->schema.getFields()) {
      INFO("field " << field.getProto().getName().cStr());
      CHECK(dyn.has(field, capnp::HasMode::NON_DEFAULT));
    }

    auto decoded = decode_body(id, root.asReader());
    REQUIRE(decoded.has_value());
    CHECK(*decoded == sample);
  }
  CHECK(covered.size() == std::variant_size_v<Message>);
}

TEST_CASE("decode_body rejects unknown type ids") {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<capnp::AnyPointer>();
  encode_body(ClockTick{5}, root);
  auto r = decode_body(9999, root.asReader());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("9999") != std::string::npos);
}

TEST_CASE("JSON rendering: snake_case keys, exact decimal strings, enum names") {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<capnp::AnyPointer>();
  encode_body(Trade{"BTCUSDT", 6173763000000, 2000000, 3735683259, 1723161255343, 1723161255342, true}, root);
  MessageJson json;
  std::string out;
  REQUIRE(json.append_body(out, *find_type("trade"), root.asReader()).has_value());
  CHECK(out ==
        R"({"symbol":"BTCUSDT","price":"61737.63","qty":"0.02","trade_id":3735683259,)"
        R"("exchange_ts_ms":1723161255343,"trade_ts_ms":1723161255342,"buyer_maker":true})");

  capnp::MallocMessageBuilder b2;
  auto r2 = b2.initRoot<capnp::AnyPointer>();
  encode_body(OrderEvent{"c\"1", "", "X", Side::sell, OrderEventKind::partially_filled}, r2);
  out.clear();
  REQUIRE(json.append_body(out, *find_type("order_event"), r2.asReader()).has_value());
  CHECK(out.find(R"("client_order_id":"c\"1")") != std::string::npos);
  CHECK(out.find(R"("kind":"partially_filled")") != std::string::npos);
  CHECK(out.find(R"("side":"sell")") != std::string::npos);
}

TEST_CASE("snake_case") {
  CHECK(snake_case("exchangeTsMs") == "exchange_ts_ms");
  CHECK(snake_case("intervalS") == "interval_s");
  CHECK(snake_case("symbol") == "symbol");
}

TEST_CASE("flat bodies, as the node's actors exchange them, round-trip at any alignment, malformed ones are errors") {
  for (const auto& sample : test::all_message_samples()) {
    const auto id = type_id_of(sample);
    INFO("type " << find_type(id)->name);
    const auto flat = encode_body_flat(sample);
    REQUIRE(flat.size() % 8 == 0);
    auto decoded = decode_body_flat(id, flat);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == sample);
    // Bytes that are not on a word boundary are read through a copy, with the same result.
    std::vector<std::uint8_t> shifted(flat.size() + 1);
    std::copy(flat.begin(), flat.end(), shifted.begin() + 1);
    auto unaligned = decode_body_flat(id, std::span<const std::uint8_t>(shifted).subspan(1));
    REQUIRE(unaligned.has_value());
    CHECK(*unaligned == sample);
  }
  const auto flat = encode_body_flat(ClockTick{5});
  // Not whole words, cut short, trailing bytes, empty: each an error naming the problem.
  auto odd = decode_body_flat(ClockTick::kTypeId, std::span<const std::uint8_t>(flat).first(flat.size() - 3));
  REQUIRE_FALSE(odd.has_value());
  CHECK(odd.error().message.find("whole number of words") != std::string::npos);
  auto cut = decode_body_flat(ClockTick::kTypeId, std::span<const std::uint8_t>(flat).first(flat.size() - 8));
  REQUIRE_FALSE(cut.has_value());
  CHECK(cut.error().message.find("malformed flat message") != std::string::npos);
  auto longer = flat;
  longer.resize(flat.size() + 8);
  auto trailing = decode_body_flat(ClockTick::kTypeId, longer);
  REQUIRE_FALSE(trailing.has_value());
  CHECK(trailing.error().message.find("after its last segment") != std::string::npos);
  CHECK_FALSE(decode_body_flat(ClockTick::kTypeId, {}).has_value());
  CHECK_FALSE(decode_body_flat(9999, flat).has_value());
}

TEST_CASE("flat bodies are the bytes a fresh builder writes, message after message on one thread") {
  // encode_body_flat reuses its thread's first segment: each message must come out as if
  // built alone, also right after one that outgrew that segment (it must be zero again).
  auto fresh = [](const Message& m) {
    capnp::MallocMessageBuilder builder(128);
    encode_body(m, builder.initRoot<capnp::AnyPointer>());
    const auto words = capnp::messageToFlatArray(builder);
    const auto bytes = words.asBytes();
    return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
  };
  DepthSnapshot big{"BTCUSDT", 7, {}, {}};
  for (int i = 0; i < 200; ++i) big.bids.push_back({100'000 - i, i + 1});  // ~400 words: beyond the first segment
  std::vector<Message> sequence{big, ClockTick{5}};
  for (const auto& sample : test::all_message_samples()) {
    sequence.push_back(sample);
    sequence.push_back(big);
  }
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    INFO("message " << i << ", type " << find_type(type_id_of(sequence[i]))->name);
    CHECK(encode_body_flat(sequence[i]) == fresh(sequence[i]));
  }
  CHECK(fresh(big).size() > 128 * 8);
}

TEST_CASE("canonical bodies: what decisions are hashed over does not change when the schema grows") {
  // The golden journal was written before signals carried values and risk decisions their
  // checks: its bodies have fewer pointer slots than this build's. Decoded and encoded
  // again, every record's canonical form equals the stored body's own.
  test::TempDir dir;
  {
    gzFile in = gzopen((std::string(TRADER_TEST_DATA_DIR) + "/golden/paper_20230301.mdb.gz").c_str(), "rb");
    REQUIRE(in != nullptr);
    std::ofstream out(dir.sub("data.mdb"), std::ios::binary);
    char buf[1 << 16];
    for (int n; (n = gzread(in, buf, sizeof buf)) > 0;) out.write(buf, n);
    gzclose(in);
  }
  auto reader = journal::Reader::open(dir.path());
  REQUIRE(reader.has_value());
  std::size_t records = 0, grown = 0, differing = 0;
  test::for_each_decoded(**reader, {}, [&](const journal::RecordView& v, const Message& m) {
    ++records;
    if (std::holds_alternative<Signal>(m) || std::holds_alternative<RiskDecision>(m)) ++grown;
    auto body = v.body();
    REQUIRE(body.has_value());
    const auto stored = body->getAs<capnp::AnyStruct>().canonicalize();
    const auto again = encode_body_canonical(m);
    const auto bytes = stored.asBytes();
    if (std::vector<std::uint8_t>(bytes.begin(), bytes.end()) != again) ++differing;
  });
  CHECK(records == 6495);
  CHECK(grown == 99);
  CHECK(differing == 0);
  // And a value or a check makes a difference.
  auto samples = test::all_message_samples();
  for (const auto& m : samples) {
    if (const auto* s = std::get_if<Signal>(&m)) {
      Signal bare = *s;
      bare.values.clear();
      CHECK(encode_body_canonical(bare) != encode_body_canonical(*s));
    }
  }
}

TEST_CASE("JSON: a signal's values are the shortest text of the exact double, NaN and infinity are null") {
  Signal s;
  s.values = {{"a", 0.1}, {"b", 1.0 / 3.0}, {"nan", std::nan("")}, {"inf", HUGE_VAL}};
  const auto json = to_json(Message{s});
  CHECK(json.find(R"({"name":"a","value":0.1})") != std::string::npos);
  CHECK(json.find(R"({"name":"b","value":0.3333333333333333})") != std::string::npos);
  CHECK(json.find(R"({"name":"nan","value":null})") != std::string::npos);
  CHECK(json.find(R"({"name":"inf","value":null})") != std::string::npos);
  // Equality is by bits: a NaN equals itself, so a replayed NaN matches its record.
  CHECK(Signal{s} == s);
}

TEST_CASE("a packed body of a few bytes cannot make millions of elements to decode: it is an error at once") {
  // A portfolio state whose positions are five million structs of no size: they cost one
  // tag word, pack to a few dozen bytes, and Cap'n Proto's default limit (8M words) lets
  // them through, each decoded into a Position (seconds and gigabytes, from a damaged
  // snapshot). The packed reader is bounded by what its bytes can unpack to.
  capnp::MallocMessageBuilder b;
  auto root = b.initRoot<capnp::AnyPointer>();
  root.initAs<schema::PortfolioState>().setQuoteAsset("USDC");
  const auto slot = capnp::Schema::from<schema::PortfolioState>().getFieldByName("positions").getProto().getSlot();
  root.getAs<capnp::AnyStruct>().getPointerSection()[slot.getOffset()].initAsListOfAnyStruct(0, 0, 5'000'000);
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, b);
  const auto bytes = out.getArray();
  CHECK(bytes.size() < 100);
  const auto m = decode_body_packed(PortfolioState::kTypeId, {bytes.begin(), bytes.size()});
  REQUIRE_FALSE(m.has_value());
  CHECK(m.error().message.find("traversal limit") != std::string::npos);
  // A real state with many positions still reads: the bound is what the bytes can hold.
  PortfolioState many;
  many.quote_asset = "USDC";
  for (int i = 0; i < 1000; ++i) many.positions.push_back(Position{"SYM" + std::to_string(i), 1000 + i, 7, 7, 0, 0});
  const auto packed = encode_body_packed(many);
  const auto back = decode_body_packed(PortfolioState::kTypeId, packed);
  REQUIRE(back.has_value());
  CHECK(std::get<PortfolioState>(*back) == many);
}
