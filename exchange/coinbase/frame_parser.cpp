#include "exchange/coinbase/frame_parser.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/time_format.hpp"
#include "exchange/json_fields.hpp"

namespace trader::coinbase {
namespace sj = simdjson;
namespace dom = simdjson::dom;

namespace {

constexpr std::uint32_t kCandleSeconds = 300;
constexpr std::int64_t kYear10000Ms = 253'402'300'800'000;

// Field readers for one frame (JsonFields), with Coinbase's times and products.
struct Fields : JsonFields {
  bool time(dom::object o, std::string_view key, std::int64_t& out) {
    std::string_view v;
    if (!str(o, key, v)) return false;
    const auto ms = parse_time_ms(v);
    if (!ms) return fail(key, "not an RFC 3339 UTC time between 1970 and 2262");
    out = *ms;
    return true;
  }
  bool product(dom::object o, std::string& out) { return instrument(o, "product_id", VenueId::coinbase, out); }
};

void message(std::vector<ParsedFrame>& out, Message m) {
  ParsedFrame f;
  f.kind = ParsedFrame::Kind::message;
  f.message = std::move(m);
  out.push_back(std::move(f));
}

bool trades(Fields& f, dom::object event, std::int64_t frame_ms, std::vector<Trade>& out) {
  dom::array list;
  if (!f.array(event, "trades", list)) return false;
  for (dom::element e : list) {
    dom::object o;
    Trade t;
    std::string_view side;
    if (!f.object(e, "trades[]", o) || !f.product(o, t.symbol) || !f.digits(o, "trade_id", t.trade_id) ||
        !f.fixed(o, "price", t.price) || !f.fixed(o, "size", t.qty) || !f.time(o, "time", t.trade_ts_ms) ||
        !f.str(o, "side", side))
      return false;
    if (side != "BUY" && side != "SELL") return f.fail("side", "expected \"BUY\" or \"SELL\"");
    t.buyer_maker = side == "SELL";
    t.exchange_ts_ms = frame_ms;
    out.push_back(std::move(t));
  }
  return true;
}

bool book(Fields& f, dom::object event, std::int64_t frame_ms, std::vector<ParsedFrame>& out) {
  std::string symbol;
  std::string_view type;
  dom::array updates;
  if (!f.product(event, symbol) || !f.str(event, "type", type) || !f.array(event, "updates", updates)) return false;
  if (type != "snapshot" && type != "update") return f.fail("type", "expected \"snapshot\" or \"update\"");
  std::vector<PriceLevel> bids, asks;
  for (dom::element e : updates) {
    dom::object o;
    std::string_view side;
    PriceLevel level;
    if (!f.object(e, "updates[]", o) || !f.str(o, "side", side) || !f.fixed(o, "price_level", level.price) ||
        !f.fixed(o, "new_quantity", level.qty))
      return false;
    if (side == "bid") bids.push_back(level);
    else if (side == "offer") asks.push_back(level);
    else return f.fail("side", "expected \"bid\" or \"offer\"");
  }
  if (type == "snapshot") message(out, DepthSnapshot{symbol, 0, std::move(bids), std::move(asks)});
  else message(out, DepthUpdate{symbol, 0, 0, frame_ms, std::move(bids), std::move(asks)});
  return true;
}

bool tickers(Fields& f, dom::object event, std::int64_t frame_ms, std::vector<ParsedFrame>& out) {
  dom::array list;
  if (!f.array(event, "tickers", list)) return false;
  for (dom::element e : list) {
    dom::object o;
    BookTicker b;
    if (!f.object(e, "tickers[]", o) || !f.product(o, b.symbol) || !f.fixed(o, "best_bid", b.bid_price) ||
        !f.fixed(o, "best_bid_quantity", b.bid_qty) || !f.fixed(o, "best_ask", b.ask_price) ||
        !f.fixed(o, "best_ask_quantity", b.ask_qty))
      return false;
    b.exchange_ts_ms = frame_ms;
    message(out, std::move(b));
  }
  return true;
}

bool candles(Fields& f, dom::object event, std::int64_t frame_ms, std::vector<ParsedFrame>& out) {
  dom::array list;
  if (!f.array(event, "candles", list)) return false;
  for (dom::element e : list) {
    dom::object o;
    Kline k;
    std::uint64_t start = 0;
    if (!f.object(e, "candles[]", o) || !f.product(o, k.symbol) || !f.digits(o, "start", start) ||
        !f.fixed(o, "open", k.open) || !f.fixed(o, "high", k.high) || !f.fixed(o, "low", k.low) ||
        !f.fixed(o, "close", k.close) || !f.fixed(o, "volume", k.volume))
      return false;
    if (start >= static_cast<std::uint64_t>(kYear10000Ms / 1000)) return f.fail("start", "not a time before 9999");
    k.interval_s = kCandleSeconds;
    k.open_time_ms = static_cast<std::int64_t>(start) * 1000;
    k.close_time_ms = k.open_time_ms + kCandleSeconds * 1000 - 1;
    k.exchange_ts_ms = frame_ms;
    message(out, std::move(k));
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_time_ms(std::string_view text) {
  if (text.size() < 20 || text[10] != 'T' || text.back() != 'Z') return std::nullopt;
  const auto ns = parse_time_ns(text);
  if (!ns || *ns < 0) return std::nullopt;
  const std::int64_t ms = *ns / 1'000'000;
  if (ms >= kYear10000Ms) return std::nullopt;
  return ms;
}

struct FrameParser::Impl {
  dom::parser parser;
};

FrameParser::FrameParser() : impl_(std::make_unique<Impl>()) {}
FrameParser::~FrameParser() = default;

void FrameParser::decode(const char* json, std::size_t len, std::size_t capacity, std::vector<ParsedFrame>& out) {
  if (decoded_padded(json, len, capacity, out)) return;
  const std::size_t first = out.size();
  auto malformed = [&](std::string why) {
    out.resize(first);  // a frame is taken whole or not at all
    ParsedFrame f;
    f.error = std::move(why);
    out.push_back(std::move(f));
  };
  auto parsed = parse_object(impl_->parser, json, len);
  if (!parsed) return malformed(parsed.error().message);
  const dom::object root = *parsed;
  Fields f;
  if (std::string_view type; root["type"].get_string().get(type) == sj::SUCCESS && type == "error") {
    std::string_view why;
    if (root["message"].get_string().get(why) != sj::SUCCESS) why = "(no message)";
    return malformed(fmt::format("coinbase error: {}", why));
  }
  std::string_view channel;
  std::uint64_t sequence = 0;
  std::int64_t frame_ms = 0;
  if (!f.str(root, "channel", channel)) return malformed(f.error);
  if (root["sequence_num"].get_uint64().get(sequence) != sj::SUCCESS)
    return malformed("field \"sequence_num\": missing or not an unsigned integer");
  if (!f.time(root, "timestamp", frame_ms)) return malformed(f.error);

  // The connection's numbering first: a frame is counted even if nothing in it is used.
  if (expected_ && sequence > *expected_) {
    const std::uint64_t missing = sequence - *expected_;
    message(out, FeedStatus{FeedStatusKind::gap, "", kSequenceStream, *expected_, sequence,
                            fmt::format("{} frame(s) of the connection missing", missing), frame_ms * 1'000'000});
  }
  expected_ = sequence + 1;
  const std::size_t after_gap = out.size();
  auto malformed_after_gap = [&](std::string why) {
    out.resize(after_gap);
    ParsedFrame e;
    e.error = std::move(why);
    out.push_back(std::move(e));
  };

  if (channel == "heartbeats" || channel == "subscriptions") return;
  const bool known = channel == "market_trades" || channel == "l2_data" || channel == "ticker" ||
                     channel == "ticker_batch" || channel == "candles";
  if (!known) {
    ParsedFrame u;
    u.kind = ParsedFrame::Kind::unknown_stream;
    u.stream = std::string(channel);
    out.push_back(std::move(u));
    return;
  }
  dom::array events;
  if (!f.array(root, "events", events)) return malformed_after_gap(f.error);
  std::vector<Trade> batch;
  for (dom::element e : events) {
    dom::object event;
    if (!f.object(e, "events[]", event)) return malformed_after_gap(f.error);
    bool ok = true;
    if (channel == "market_trades") ok = trades(f, event, frame_ms, batch);
    else if (channel == "l2_data") ok = book(f, event, frame_ms, out);
    else if (channel == "candles") ok = candles(f, event, frame_ms, out);
    else ok = tickers(f, event, frame_ms, out);
    if (!ok) return malformed_after_gap(f.error);
  }
  // Oldest first, as the feed core expects ids to rise (a snapshot lists the newest first).
  std::stable_sort(batch.begin(), batch.end(), [](const Trade& a, const Trade& b) { return a.trade_id < b.trade_id; });
  for (auto& t : batch) message(out, std::move(t));
}

}  // namespace trader::coinbase
