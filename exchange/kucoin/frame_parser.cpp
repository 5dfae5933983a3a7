#include "exchange/kucoin/frame_parser.hpp"

#include <charconv>
#include <map>

#include <fmt/format.h>
#include <simdjson.h>

#include "exchange/kucoin/number_fields.hpp"

namespace trader::kucoin {
namespace sj = simdjson;
namespace dom = simdjson::dom;

namespace {

constexpr std::uint64_t kYear10000Ns = 253'402'300'800'000ULL * 1'000'000ULL;

bool all_digits(std::string_view v) {
  return !v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos;
}

// Field readers for one frame (JsonFields), with KuCoin's numbers, times, symbols and levels.
struct Fields : NumberFields {
  using JsonFields::fixed;
  using JsonFields::object;
  VenueId venue = VenueId::kucoin;
  bool symbol(dom::object o, std::string& out) { return instrument(o, "symbol", venue, out); }
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

// ---- KuCoin Futures ----------------------------------------------------------------------

// /contractMarket/execution (match): size in lots, ts in nanoseconds, ids as on spot.
bool execution(Fields& f, dom::object d, std::int64_t multiplier, Trade& t) {
  std::string_view side, trade_id;
  std::uint64_t ts_ns = 0;
  if (!f.fixed(d, "price", t.price) || !f.lots(d, "size", multiplier, t.qty) || !f.str(d, "side", side) ||
      !f.number(d, "ts", ts_ns) || !f.str(d, "tradeId", trade_id))
    return false;
  if (side != "buy" && side != "sell") return f.fail("side", "expected \"buy\" or \"sell\"");
  if (ts_ns >= kYear10000Ns) return f.fail("ts", "not a time in nanoseconds before 9999");
  if (!(all_digits(trade_id) ? f.digits(d, "tradeId", t.trade_id) : f.number(d, "sequence", t.trade_id))) return false;
  t.buyer_maker = side == "sell";
  t.trade_ts_ms = t.exchange_ts_ms = static_cast<std::int64_t>(ts_ns / 1'000'000);
  return true;
}

// /contractMarket/tickerV2: best bid and ask, sizes in lots, ts in nanoseconds.
bool ticker_v2(Fields& f, dom::object d, std::int64_t multiplier, BookTicker& b) {
  std::uint64_t ts_ns = 0;
  if (!f.fixed(d, "bestBidPrice", b.bid_price) || !f.lots(d, "bestBidSize", multiplier, b.bid_qty) ||
      !f.fixed(d, "bestAskPrice", b.ask_price) || !f.lots(d, "bestAskSize", multiplier, b.ask_qty) ||
      !f.number(d, "sequence", b.update_id) || !f.number(d, "ts", ts_ns))
    return false;
  if (ts_ns >= kYear10000Ns) return f.fail("ts", "not a time in nanoseconds before 9999");
  b.exchange_ts_ms = static_cast<std::int64_t>(ts_ns / 1'000'000);
  return true;
}

struct FuturesBook {
  // By instrument: each contract's multiplier (base units a lot), learned from its REST
  // answer ahead of its frames; the last mark and the funding rate announced last.
  std::map<std::string, std::int64_t> multipliers, marks, funding_rates;
};

void malformed_frame(std::vector<ParsedFrame>& out, std::string why) {
  ParsedFrame f;
  f.error = std::move(why);
  out.push_back(std::move(f));
}

void unknown_frame(std::vector<ParsedFrame>& out, std::string_view stream) {
  ParsedFrame u;
  u.kind = ParsedFrame::Kind::unknown_stream;
  u.stream = std::string(stream);
  out.push_back(std::move(u));
}

// A contract (GET /api/v1/contracts/{symbol}'s answer, as `record` and the live stream
// hand it on ahead of the frames): its multiplier, which turns the frames' lots into base
// units. A linear contract only: an inverse one counts in the quote.
void contract(FuturesBook& book, dom::object root, Fields& f, std::vector<ParsedFrame>& out) {
  dom::object data;
  std::string symbol;
  std::int64_t multiplier = 0;
  bool inverse = false;
  if (!f.object(root, "data", data) || !f.symbol(data, symbol) || !f.decimal(data, "multiplier", multiplier))
    return malformed_frame(out, "a KuCoin Futures contract: " + f.error);
  if (data["isInverse"].get_bool().get(inverse) != sj::SUCCESS)
    return malformed_frame(out, "a KuCoin Futures contract: field \"isInverse\": missing or not a boolean");
  if (inverse) return malformed_frame(out, symbol + " is an inverse contract: only linear (USDT-margined) ones are traded");
  if (multiplier <= 0) return malformed_frame(out, symbol + ": field \"multiplier\": expected a positive decimal");
  book.multipliers[symbol] = multiplier;
}

void futures_message(FuturesBook& book, dom::object root, std::string_view topic, std::string_view subject, Fields& f,
                     std::vector<ParsedFrame>& out, std::string& last_symbol) {
  const auto colon = topic.find(':');
  const std::string_view channel = topic.substr(0, colon);
  dom::object data;
  if (!f.object(root, "data", data)) return malformed_frame(out, f.error);
  // The multiplier of the frame's symbol: known from its contract, or the frame cannot be read.
  auto multiplier_of = [&](const std::string& symbol) -> std::int64_t {
    const auto it = book.multipliers.find(symbol);
    if (it != book.multipliers.end()) return it->second;
    f.fail("size", fmt::format("in lots of {}'s multiplier, and no contract of it came before (GET "
                               "/api/v1/contracts/{{symbol}}'s answer, which `record` writes first)",
                               symbol));
    return 0;
  };
  if (channel == "/contractMarket/execution" && subject == "match") {
    Trade t;
    std::int64_t m = 0;
    if (!f.symbol(data, t.symbol) || !(m = multiplier_of(t.symbol)) || !execution(f, data, m, t))
      return malformed_frame(out, f.error);
    last_symbol = t.symbol;
    return message(out, std::move(t));
  }
  if (channel == "/contractMarket/tickerV2" && subject == "tickerV2") {
    BookTicker b;
    std::int64_t m = 0;
    if (!f.symbol(data, b.symbol) || !(m = multiplier_of(b.symbol)) || !ticker_v2(f, data, m, b))
      return malformed_frame(out, f.error);
    last_symbol = b.symbol;
    return message(out, std::move(b));
  }
  if (channel == "/contract/instrument" && colon != std::string_view::npos) {
    auto instrument = parse_instrument(instrument_name(f.venue, topic.substr(colon + 1)));
    if (!instrument) return malformed_frame(out, "field \"topic\": " + instrument.error().message);
    const std::string symbol = instrument->name();
    if (subject == "mark.index.price") {  // the mark, with the funding rate announced last
      MarkPrice m;
      m.symbol = symbol;
      if (!f.decimal(data, "markPrice", m.price) || !f.time_ms(data, "timestamp", m.exchange_ts_ms))
        return malformed_frame(out, f.error);
      if (m.price <= 0) return malformed_frame(out, "field \"markPrice\": expected a positive price");
      const auto rate = book.funding_rates.find(symbol);
      m.funding_rate = rate == book.funding_rates.end() ? 0 : rate->second;
      book.marks[symbol] = m.price;
      return message(out, std::move(m));
    }
    if (subject == "funding.rate") {  // the rate of the next funding, as it stands: rides on the next mark
      std::int64_t rate = 0, ts_ms = 0;
      if (!f.decimal(data, "fundingRate", rate) || !f.time_ms(data, "timestamp", ts_ms)) return malformed_frame(out, f.error);
      book.funding_rates[symbol] = rate;
      return;
    }
    return unknown_frame(out, std::string(channel) + " " + std::string(subject));
  }
  if (channel == "/contract/announcement" && (subject == "funding.begin" || subject == "funding.end")) {
    // funding.begin: the venue settles funding now, at this rate and its mark (the last
    // one this connection heard); funding.end says it is done, which changes nothing.
    std::string symbol;
    std::int64_t rate = 0, time_ms = 0;
    if (!f.symbol(data, symbol) || !f.decimal(data, "fundingRate", rate) || !f.time_ms(data, "fundingTime", time_ms))
      return malformed_frame(out, f.error);
    if (subject == "funding.end") return;
    const auto mark = book.marks.find(symbol);
    if (mark == book.marks.end())
      return malformed_frame(out, fmt::format("funding of {} at {} announced before any mark price of it (subscribe "
                                              "/contract/instrument:{{symbol}}): the payment cannot be valued",
                                              symbol, time_ms));
    return message(out, Funding{symbol, rate, time_ms, mark->second, FundingSource::venue});
  }
  unknown_frame(out, channel);
}

}  // namespace

struct FrameParser::Impl {
  dom::parser parser;
  FuturesBook futures;  // kucoin_futures
};

FrameParser::FrameParser(VenueId venue) : impl_(std::make_unique<Impl>()), venue_(venue) {}
FrameParser::~FrameParser() = default;

void FrameParser::decode(const char* json, std::size_t len, std::size_t capacity, std::vector<ParsedFrame>& out) {
  if (decoded_padded(json, len, capacity, out)) return;
  auto malformed = [&](std::string why) { malformed_frame(out, std::move(why)); };
  auto parsed = parse_object(impl_->parser, json, len);
  if (!parsed) return malformed(parsed.error().message);
  const dom::object root = *parsed;
  Fields f;
  f.venue = venue_;

  std::string_view type;
  if (root["type"].get_string().get(type) != sj::SUCCESS) {
    // A REST order book, as recorded beside the stream.
    std::string_view code;
    dom::object data;
    if (root["code"].get_string().get(code) != sj::SUCCESS) return malformed("field \"type\": missing or not a string");
    if (code != "200000") return malformed(fmt::format("kucoin REST error {}", code));
    if (venue_ == VenueId::kucoin_futures) return contract(impl_->futures, root, f, out);
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
  auto unknown = [&](std::string_view stream) { unknown_frame(out, stream); };
  if (type != "message") return unknown(type);
  std::string_view topic, subject;
  dom::object data;
  if (!f.str(root, "topic", topic) || !f.str(root, "subject", subject)) return malformed(f.error);
  const auto colon = topic.find(':');
  const std::string_view channel = topic.substr(0, colon);
  if (venue_ == VenueId::kucoin_futures) return futures_message(impl_->futures, root, topic, subject, f, out, last_symbol_);
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
