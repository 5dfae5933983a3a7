#include "exchange/kucoin/frame_parser.hpp"

#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>

#include "exchange/json_fields.hpp"

namespace trader::kucoin {
namespace sj = simdjson;
namespace dom = simdjson::dom;

namespace {

constexpr std::uint64_t kYear10000Ns = 253'402'300'800'000ULL * 1'000'000ULL;
constexpr std::int64_t kYear10000Ms = 253'402'300'800'000;

bool all_digits(std::string_view v) {
  return !v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos;
}

// Field readers for one frame (JsonFields), with KuCoin's numbers, times, symbols and levels.
struct Fields : JsonFields {
  using JsonFields::object;
  // Sequences and millisecond times come as numbers (or, in REST answers, digit strings).
  bool number(dom::object o, std::string_view key, std::uint64_t& out) {
    if (o[key].get_uint64().get(out) == sj::SUCCESS) return true;
    std::string_view v;
    if (o[key].get_string().get(v) == sj::SUCCESS) return digits(o, key, out);
    return fail(key, "missing or not an unsigned integer");
  }
  bool time_ms(dom::object o, std::string_view key, std::int64_t& out) {
    std::uint64_t ms = 0;
    if (!number(o, key, ms)) return false;
    if (ms >= static_cast<std::uint64_t>(kYear10000Ms)) return fail(key, "not a time in milliseconds before 9999");
    out = static_cast<std::int64_t>(ms);
    return true;
  }
  bool symbol(dom::object o, std::string& out) { return instrument(o, "symbol", VenueId::kucoin, out); }
  bool object(dom::object o, std::string_view key, dom::object& out) {
    if (o[key].get_object().get(out) != sj::SUCCESS) return fail(key, "missing or not an object");
    return true;
  }
  // [["price", "size", ...], ...]: the first two of each entry (level2 adds a sequence).
  bool levels(dom::object o, std::string_view key, std::vector<PriceLevel>& out) {
    dom::array list;
    if (!array(o, key, list)) return false;
    for (dom::element e : list) {
      dom::array pair;
      std::string_view price, size;
      if (e.get_array().get(pair) != sj::SUCCESS || pair.size() < 2 || pair.at(0).get_string().get(price) != sj::SUCCESS ||
          pair.at(1).get_string().get(size) != sj::SUCCESS)
        return fail(key, "expected [\"price\", \"size\", ...] entries");
      PriceLevel level;
      if (!fixed(key, price, level.price) || !fixed(key, size, level.qty)) return false;
      out.push_back(level);
    }
    return true;
  }
};

void message(std::vector<ParsedFrame>& out, Message m) {
  ParsedFrame f;
  f.kind = ParsedFrame::Kind::message;
  f.message = std::move(m);
  out.push_back(std::move(f));
}

bool match(Fields& f, dom::object d, Trade& t) {
  std::string_view side, trade_id;
  std::uint64_t time_ns = 0;
  if (!f.symbol(d, t.symbol) || !f.fixed(d, "price", t.price) || !f.fixed(d, "size", t.qty) ||
      !f.str(d, "side", side) || !f.digits(d, "time", time_ns) || !f.str(d, "tradeId", trade_id))
    return false;
  if (side != "buy" && side != "sell") return f.fail("side", "expected \"buy\" or \"sell\"");
  if (time_ns >= kYear10000Ns) return f.fail("time", "not a time in nanoseconds before 9999");
  // Today's ids are numbers (the match's book sequence); old hexadecimal ones are not:
  // the sequence then orders the trades.
  if (!(all_digits(trade_id) ? f.digits(d, "tradeId", t.trade_id) : f.digits(d, "sequence", t.trade_id))) return false;
  t.buyer_maker = side == "sell";
  t.trade_ts_ms = t.exchange_ts_ms = static_cast<std::int64_t>(time_ns / 1'000'000);
  return true;
}

bool ticker(Fields& f, dom::object d, std::string_view topic_symbol, BookTicker& b) {
  auto instrument = parse_instrument(instrument_name(VenueId::kucoin, topic_symbol));
  if (!instrument) return f.fail("topic", instrument.error().message);
  b.symbol = instrument->name();
  return f.fixed(d, "bestBid", b.bid_price) && f.fixed(d, "bestBidSize", b.bid_qty) &&
         f.fixed(d, "bestAsk", b.ask_price) && f.fixed(d, "bestAskSize", b.ask_qty) &&
         f.digits(d, "sequence", b.update_id) && f.time_ms(d, "time", b.exchange_ts_ms);
}

bool level2(Fields& f, dom::object d, DepthUpdate& u) {
  dom::object changes;
  if (!f.symbol(d, u.symbol) || !f.number(d, "sequenceStart", u.first_update_id) ||
      !f.number(d, "sequenceEnd", u.final_update_id) || !f.time_ms(d, "time", u.exchange_ts_ms) ||
      !f.object(d, "changes", changes) || !f.levels(changes, "bids", u.bids) || !f.levels(changes, "asks", u.asks))
    return false;
  if (u.first_update_id == 0 || u.final_update_id < u.first_update_id)
    return f.fail("sequenceEnd", "expected 0 < sequenceStart <= sequenceEnd");
  return true;
}

}  // namespace

struct FrameParser::Impl {
  dom::parser parser;
};

FrameParser::FrameParser() : impl_(std::make_unique<Impl>()) {}
FrameParser::~FrameParser() = default;

void FrameParser::decode(const char* json, std::size_t len, std::size_t capacity, std::vector<ParsedFrame>& out) {
  if (decoded_padded(json, len, capacity, out)) return;
  auto malformed = [&](std::string why) {
    ParsedFrame f;
    f.error = std::move(why);
    out.push_back(std::move(f));
  };
  auto parsed = parse_object(impl_->parser, json, len);
  if (!parsed) return malformed(parsed.error().message);
  const dom::object root = *parsed;
  Fields f;

  std::string_view type;
  if (root["type"].get_string().get(type) != sj::SUCCESS) {
    // A REST order book, as recorded beside the stream.
    std::string_view code;
    dom::object data;
    if (root["code"].get_string().get(code) != sj::SUCCESS) return malformed("field \"type\": missing or not a string");
    if (code != "200000") return malformed(fmt::format("kucoin REST error {}", code));
    // Whose book: the symbol the live stream wrote into it, or the capture's snapshot
    // symbol, or the symbol of the frames before it.
    std::string_view named;
    if (root["data"]["symbol"].get_string().get(named) != sj::SUCCESS) named = {};
    const std::string of = !named.empty() ? std::string(named) : snapshot_symbol_.empty() ? last_symbol_ : snapshot_symbol_;
    if (of.empty())
      return malformed("a REST order book before any frame names a symbol: give the capture's --snapshot-symbol "
                       "(feed.snapshot_symbol)");
    DepthSnapshot s;
    auto instrument = parse_instrument(of.find('@') == std::string::npos ? instrument_name(VenueId::kucoin, of) : of);
    if (!instrument || instrument->venue != VenueId::kucoin)
      return malformed(fmt::format("snapshot symbol \"{}\" is not a KuCoin instrument", of));
    s.symbol = instrument->name();
    if (!f.object(root, "data", data) || !f.number(data, "sequence", s.last_update_id) || !f.levels(data, "bids", s.bids) ||
        !f.levels(data, "asks", s.asks))
      return malformed(f.error);
    return message(out, std::move(s));
  }
  if (type == "welcome" || type == "ack" || type == "ping" || type == "pong") return;
  if (type == "error") {
    std::string_view why;
    if (root["data"].get_string().get(why) != sj::SUCCESS) why = "(no reason)";
    std::int64_t code = 0;
    if (root["code"].get_int64().get(code) != sj::SUCCESS) {
      std::string_view text;
      if (root["code"].get_string().get(text) == sj::SUCCESS) std::from_chars(text.data(), text.data() + text.size(), code);
    }
    return malformed(fmt::format("kucoin error {}: {}", code, why));
  }
  auto unknown = [&](std::string_view stream) {
    ParsedFrame u;
    u.kind = ParsedFrame::Kind::unknown_stream;
    u.stream = std::string(stream);
    out.push_back(std::move(u));
  };
  if (type != "message") return unknown(type);
  std::string_view topic, subject;
  dom::object data;
  if (!f.str(root, "topic", topic) || !f.str(root, "subject", subject)) return malformed(f.error);
  const auto colon = topic.find(':');
  const std::string_view channel = topic.substr(0, colon);
  if (channel == "/market/match" && subject == "trade.l3match") {
    Trade t;
    if (!f.object(root, "data", data) || !match(f, data, t)) return malformed(f.error);
    last_symbol_ = t.symbol;
    return message(out, std::move(t));
  }
  if (channel == "/market/ticker" && subject == "trade.ticker" && colon != std::string_view::npos) {
    BookTicker b;
    if (!f.object(root, "data", data) || !ticker(f, data, topic.substr(colon + 1), b)) return malformed(f.error);
    last_symbol_ = b.symbol;
    return message(out, std::move(b));
  }
  if (channel == "/market/level2" && subject == "trade.l2update") {
    DepthUpdate u;
    if (!f.object(root, "data", data) || !level2(f, data, u)) return malformed(f.error);
    last_symbol_ = u.symbol;
    return message(out, std::move(u));
  }
  unknown(channel);
}

}  // namespace trader::kucoin
