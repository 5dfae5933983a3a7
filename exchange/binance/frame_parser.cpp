#include "exchange/binance/frame_parser.hpp"

#include <simdjson.h>

#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"

namespace trader::binance {
namespace sj = simdjson;
namespace od = simdjson::ondemand;

namespace {

// Field readers: each returns false and records what failed.
struct Fields {
  od::object obj;
  std::string* error;

  bool fail(std::string_view key, std::string_view what) {
    if (error->empty()) *error = std::string("field \"").append(key).append("\": ").append(what);
    return false;
  }
  bool str(std::string_view key, std::string_view& out) {
    if (obj[key].get_string().get(out) != sj::SUCCESS) return fail(key, "missing or not a string");
    return true;
  }
  // Binance's own symbol ("BTCUSDT"): upper-case letters and digits, as parse_instrument
  // reads them. Anything else is a garbled frame; a NUL would even cut the journaled text.
  bool symbol(std::string_view key, std::string& out) {
    std::string_view v;
    if (!str(key, v)) return false;
    if (!is_asset_name(v)) return fail(key, "not a symbol (upper-case letters and digits)");
    out.assign(v);
    return true;
  }
  bool fixed(std::string_view key, std::int64_t& out) {
    std::string_view v;
    if (!str(key, v)) return false;
    auto f = parse_fixed(v);
    if (!f) return fail(key, "not a decimal with at most 8 places");
    out = *f;
    return true;
  }
  bool i64(std::string_view key, std::int64_t& out) {
    if (obj[key].get_int64().get(out) != sj::SUCCESS) return fail(key, "missing or not an integer");
    return true;
  }
  // Exchange times: milliseconds since 1970, before year 10000. Anything else is garbled,
  // and letting it in would put candles and arithmetic near the ends of int64.
  bool time_ms(std::string_view key, std::int64_t& out) {
    constexpr std::int64_t kYear10000Ms = 253'402'300'800'000;
    if (!i64(key, out)) return false;
    if (out < 0 || out >= kYear10000Ms) return fail(key, "not a millisecond time between 1970 and 9999");
    return true;
  }
  bool u64(std::string_view key, std::uint64_t& out) {
    if (obj[key].get_uint64().get(out) != sj::SUCCESS) return fail(key, "missing or not an unsigned integer");
    return true;
  }
  bool boolean(std::string_view key, bool& out) {
    if (obj[key].get_bool().get(out) != sj::SUCCESS) return fail(key, "missing or not a boolean");
    return true;
  }
  bool levels(std::string_view key, std::vector<PriceLevel>& out) {
    od::array arr;
    if (obj[key].get_array().get(arr) != sj::SUCCESS) return fail(key, "missing or not an array");
    for (auto item : arr) {
      od::array pair;
      if (item.get_array().get(pair) != sj::SUCCESS) return fail(key, "level is not an array");
      PriceLevel level;
      int n = 0;
      for (auto v : pair) {
        std::string_view s;
        if (v.get_string().get(s) != sj::SUCCESS) return fail(key, "level value is not a string");
        auto f = parse_fixed(s);
        if (!f) return fail(key, "level value is not a decimal with at most 8 places");
        if (n == 0) level.price = *f;
        else if (n == 1) level.qty = *f;
        ++n;
      }
      if (n != 2) return fail(key, "level must be [price, qty]");
      out.push_back(level);
    }
    return true;
  }
};

bool parse_trade(Fields& f, Message& out) {
  Trade t;
  if (!(f.time_ms("E", t.exchange_ts_ms) && f.symbol("s", t.symbol) && f.u64("t", t.trade_id) &&
        f.fixed("p", t.price) && f.fixed("q", t.qty) && f.time_ms("T", t.trade_ts_ms) && f.boolean("m", t.buyer_maker)))
    return false;
  out = std::move(t);
  return true;
}

bool parse_agg_trade(Fields& f, Message& out) {
  AggTrade t;
  if (!(f.time_ms("E", t.exchange_ts_ms) && f.symbol("s", t.symbol) && f.u64("a", t.agg_trade_id) &&
        f.fixed("p", t.price) && f.fixed("q", t.qty) && f.u64("f", t.first_trade_id) &&
        f.u64("l", t.last_trade_id) && f.time_ms("T", t.trade_ts_ms) && f.boolean("m", t.buyer_maker)))
    return false;
  out = std::move(t);
  return true;
}

bool parse_book_ticker(Fields& f, Message& out) {
  BookTicker b;
  if (!(f.u64("u", b.update_id) && f.symbol("s", b.symbol) && f.fixed("b", b.bid_price) && f.fixed("B", b.bid_qty) &&
        f.fixed("a", b.ask_price) && f.fixed("A", b.ask_qty)))
    return false;
  std::int64_t e = 0;  // spot bookTicker has no event time; futures streams do
  if (f.obj["E"].get_int64().get(e) == sj::SUCCESS) b.exchange_ts_ms = e;
  out = std::move(b);
  return true;
}

// USDⓈ-M markPriceUpdate: the mark (p), and the funding rate (r) the venue will apply at
// the next funding time (T). The index (i) and estimated settle price (P) are not kept.
bool parse_mark_price(Fields& f, Message& out) {
  MarkPrice m;
  m.source = MarkSource::venue;
  if (!(f.time_ms("E", m.exchange_ts_ms) && f.symbol("s", m.symbol) && f.fixed("p", m.price) &&
        f.fixed("r", m.funding_rate) && f.time_ms("T", m.next_funding_time_ms)))
    return false;
  if (m.price <= 0) return f.fail("p", "not a positive price");
  out = std::move(m);
  return true;
}

bool parse_depth_update(Fields& f, Message& out) {
  DepthUpdate d;
  if (!(f.time_ms("E", d.exchange_ts_ms) && f.symbol("s", d.symbol) && f.u64("U", d.first_update_id) &&
        f.u64("u", d.final_update_id) && f.levels("b", d.bids) && f.levels("a", d.asks)))
    return false;
  out = std::move(d);
  return true;
}

bool parse_depth_snapshot(Fields& f, std::string symbol, Message& out) {
  DepthSnapshot d;
  d.symbol = std::move(symbol);
  if (!(f.u64("lastUpdateId", d.last_update_id) && f.levels("bids", d.bids) && f.levels("asks", d.asks)))
    return false;
  out = std::move(d);
  return true;
}

bool parse_kline(Fields& f, Message& out) {
  Kline k;
  if (!f.time_ms("E", k.exchange_ts_ms)) return false;
  od::object ko;
  if (f.obj["k"].get_object().get(ko) != sj::SUCCESS) return f.fail("k", "missing or not an object");
  Fields kf{ko, f.error};
  std::string_view interval;
  if (!(kf.time_ms("t", k.open_time_ms) && kf.time_ms("T", k.close_time_ms) && kf.symbol("s", k.symbol) &&
        kf.str("i", interval) && kf.i64("f", k.first_trade_id) && kf.i64("L", k.last_trade_id) &&
        kf.fixed("o", k.open) && kf.fixed("c", k.close) && kf.fixed("h", k.high) && kf.fixed("l", k.low) &&
        kf.fixed("v", k.volume) && kf.u64("n", k.trades) && kf.boolean("x", k.closed) &&
        kf.fixed("q", k.quote_volume) && kf.fixed("V", k.taker_buy_volume) &&
        kf.fixed("Q", k.taker_buy_quote_volume)))
    return false;
  k.interval_s = interval_seconds(interval);
  if (k.interval_s == 0) return kf.fail("i", "unknown kline interval");
  out = std::move(k);
  return true;
}

}  // namespace

bool is_mark_price_channel(std::string_view channel) { return channel == "markPrice" || channel == "markPrice@1s"; }

std::uint32_t interval_seconds(std::string_view s) {
  if (s.size() < 2) return 0;
  std::uint32_t n = 0;
  std::size_t i = 0;
  for (; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return 0;
    n = n * 10 + static_cast<std::uint32_t>(s[i] - '0');
    if (n > 1000) return 0;
  }
  switch (s.back()) {
    case 's': return n;
    case 'm': return n * 60;
    case 'h': return n * 3600;
    case 'd': return n * 86400;
    case 'w': return n * 604800;
    case 'M': return n * 2592000;
    default: return 0;
  }
}

struct FrameParser::Impl {
  VenueId venue = VenueId::binance;
  od::parser parser;
  std::string snapshot_symbol;
  std::string padded;  // for parse(string_view)
};

FrameParser::FrameParser(VenueId venue) : impl_(std::make_unique<Impl>()) { impl_->venue = venue; }
FrameParser::~FrameParser() = default;

void FrameParser::set_snapshot_symbol(std::string symbol) { impl_->snapshot_symbol = std::move(symbol); }

ParsedFrame FrameParser::parse(std::string_view json) {
  impl_->padded.assign(json);
  impl_->padded.append(sj::SIMDJSON_PADDING, ' ');
  return parse(impl_->padded.data(), json.size(), impl_->padded.size());
}

void FrameParser::decode(const char* json, std::size_t len, std::size_t capacity, std::vector<ParsedFrame>& out) {
  out.push_back(capacity >= len + sj::SIMDJSON_PADDING ? parse(json, len, capacity) : parse(std::string_view(json, len)));
}

ParsedFrame FrameParser::parse(const char* json, std::size_t len, std::size_t capacity) {
  ParsedFrame out;
  od::document doc;
  if (auto err = impl_->parser.iterate(json, len, capacity).get(doc); err != sj::SUCCESS) {
    out.error = std::string("not JSON: ") + sj::error_message(err);
    return out;
  }
  od::object root;
  if (doc.get_object().get(root) != sj::SUCCESS) {
    out.error = "not a JSON object";
    return out;
  }
  std::string_view stream;
  bool ok = false;
  const auto stream_err = root["stream"].get_string().get(stream);
  if (stream_err != sj::SUCCESS && stream_err != sj::NO_SUCH_FIELD) {
    // On-demand parsing stops at the first error; the document cannot be read further.
    out.error = stream_err == sj::INCORRECT_TYPE ? std::string("field \"stream\": not a string")
                                                 : std::string("not JSON: ") + sj::error_message(stream_err);
    return out;
  }
  if (stream_err == sj::SUCCESS) {
    out.stream.assign(stream);
    const auto at = stream.find('@');
    const std::string_view channel = at == std::string_view::npos ? std::string_view{} : stream.substr(at + 1);
    od::object data;
    if (root["data"].get_object().get(data) != sj::SUCCESS) {
      out.error = "field \"data\": missing or not an object";
      return out;
    }
    Fields f{data, &out.error};
    if (channel == "trade") {
      ok = parse_trade(f, out.message);
    } else if (channel == "aggTrade") {
      ok = parse_agg_trade(f, out.message);
    } else if (channel == "bookTicker") {
      ok = parse_book_ticker(f, out.message);
    } else if (channel == "depth" || channel.starts_with("depth@")) {
      ok = parse_depth_update(f, out.message);
    } else if (channel.starts_with("depth") && channel.size() > 5 && channel[5] >= '0' && channel[5] <= '9') {
      // Partial book depth (depth5/10/20): a snapshot named by the stream.
      std::string symbol(stream.substr(0, at));
      for (auto& c : symbol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      ok = parse_depth_snapshot(f, std::move(symbol), out.message);
    } else if (channel.starts_with("kline_")) {
      ok = parse_kline(f, out.message);
    } else if (is_mark_price_channel(channel)) {
      ok = parse_mark_price(f, out.message);
    } else {
      out.kind = ParsedFrame::Kind::unknown_stream;
      return out;
    }
  } else {
    // No stream envelope: the REST depth snapshot is the only such line we know.
    std::uint64_t last_update_id = 0;
    if (root["lastUpdateId"].get_uint64().get(last_update_id) != sj::SUCCESS) {
      out.error = "neither a combined-stream frame (\"stream\") nor a depth snapshot (\"lastUpdateId\")";
      return out;
    }
    if (impl_->snapshot_symbol.empty()) {
      out.error = "depth snapshot without a symbol (no stream frame before it; give the symbol explicitly)";
      return out;
    }
    root.reset();
    Fields f{root, &out.error};
    ok = parse_depth_snapshot(f, impl_->snapshot_symbol, out.message);
  }
  if (!ok) return out;
  out.kind = ParsedFrame::Kind::message;
  if (impl_->venue != VenueId::binance)  // the venue's own symbol, named as the node names its instruments
    std::visit(
        [&](auto& m) {
          if constexpr (requires { m.symbol; })
            if (m.symbol.find('@') == std::string::npos) m.symbol = instrument_name(impl_->venue, m.symbol);
        },
        out.message);
  return out;
}

}  // namespace trader::binance
