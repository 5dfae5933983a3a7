#include "journal/market_columns.hpp"

#include <numeric>

#include <fmt/format.h>

#include "journal/varint.hpp"

namespace trader::journal {
namespace {

using S = MarketStream;

std::uint64_t u(std::int64_t v) { return static_cast<std::uint64_t>(v); }
std::int64_t s(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// Whole milliseconds of a receive time: exchange times are stored against it.
std::int64_t recv_ms(const EnvelopeHeader& h) { return h.recv_ts_ns / 1'000'000; }

constexpr std::uint8_t kBuyerMaker = 0x80;
constexpr std::size_t kMaxSymbolBytes = 256;

bool is_signed(S stream) { return stream >= S::recv_ts; }
bool is_scaled(S stream) { return stream >= S::trade_prices; }
std::uint64_t magnitude(std::uint64_t v) { return static_cast<std::int64_t>(v) < 0 ? 0 - v : v; }

}  // namespace

bool is_market_column_type(std::uint16_t type_id) {
  return type_id == Trade::kTypeId || type_id == AggTrade::kTypeId || type_id == BookTicker::kTypeId ||
         type_id == DepthUpdate::kTypeId;
}

// ---- encoder --------------------------------------------------------------------------
std::uint32_t MarketColumnEncoder::symbol_index(const std::string& symbol) {
  for (std::uint32_t i = 0; i < symbols_.size(); ++i)
    if (symbols_[i] == symbol) return i;
  symbols_.push_back(symbol);
  state_.emplace_back();
  put_varint(dictionary_, symbol.size());
  dictionary_.insert(dictionary_.end(), symbol.begin(), symbol.end());
  return static_cast<std::uint32_t>(symbols_.size() - 1);
}

void MarketColumnEncoder::add(const EnvelopeHeader& h, const Message& message) {
  // A value, or the difference now - before (wrapping: the decoder adds it back).
  const auto put = [&](S stream, std::uint64_t v) { values_[static_cast<std::size_t>(stream)].push_back(v); };
  const auto put_diff = [&](S stream, std::uint64_t now, std::uint64_t before) { put(stream, now - before); };
  put_diff(S::recv_ts, u(h.recv_ts_ns), u(last_.recv_ts_ns));
  put(S::header, static_cast<std::uint64_t>(h.source));
  put(S::header, static_cast<std::uint64_t>(h.destination));
  put(S::header, h.dest_seq);
  put(S::header, h.schema_version);
  put(S::header, zigzag(h.ingress_seq - last_.ingress_seq));
  put(S::header, h.cause_seq);
  last_ = h;
  const auto ms = u(recv_ms(h));

  if (const auto* t = std::get_if<Trade>(&message)) {
    auto& st = state_[symbol_index(t->symbol)];
    put(S::symbol, static_cast<std::uint64_t>(&st - state_.data()));
    flags_.push_back(static_cast<std::uint8_t>(Trade::kTypeId | (t->buyer_maker ? kBuyerMaker : 0)));
    put_diff(S::trade_prices, u(t->price), st.trade_price);
    put(S::trade_quantities, u(t->qty));
    put_diff(S::ids, t->trade_id, st.trade_id);
    put_diff(S::exchange_ts, u(t->exchange_ts_ms), ms);
    put_diff(S::exchange_ts, u(t->trade_ts_ms), u(t->exchange_ts_ms));
    st.trade_price = u(t->price);
    st.trade_id = t->trade_id;
  } else if (const auto* a = std::get_if<AggTrade>(&message)) {
    auto& st = state_[symbol_index(a->symbol)];
    put(S::symbol, static_cast<std::uint64_t>(&st - state_.data()));
    flags_.push_back(static_cast<std::uint8_t>(AggTrade::kTypeId | (a->buyer_maker ? kBuyerMaker : 0)));
    put_diff(S::trade_prices, u(a->price), st.trade_price);
    put(S::trade_quantities, u(a->qty));
    put_diff(S::ids, a->agg_trade_id, st.agg_id);
    put_diff(S::ids, a->first_trade_id, st.agg_last_trade + 1);
    put_diff(S::ids, a->last_trade_id, a->first_trade_id);
    put_diff(S::exchange_ts, u(a->exchange_ts_ms), ms);
    put_diff(S::exchange_ts, u(a->trade_ts_ms), u(a->exchange_ts_ms));
    st.trade_price = u(a->price);
    st.agg_id = a->agg_trade_id;
    st.agg_last_trade = a->last_trade_id;
  } else if (const auto* b = std::get_if<BookTicker>(&message)) {
    auto& st = state_[symbol_index(b->symbol)];
    put(S::symbol, static_cast<std::uint64_t>(&st - state_.data()));
    flags_.push_back(static_cast<std::uint8_t>(BookTicker::kTypeId));
    put_diff(S::ids, b->update_id, st.ticker_id);
    put_diff(S::ticker_prices, u(b->bid_price), st.ticker_bid);
    put_diff(S::ticker_prices, u(b->ask_price), u(b->bid_price));
    put(S::ticker_quantities, u(b->bid_qty));
    put(S::ticker_quantities, u(b->ask_qty));
    put_diff(S::exchange_ts, u(b->exchange_ts_ms), ms);
    st.ticker_id = b->update_id;
    st.ticker_bid = u(b->bid_price);
  } else if (const auto* d = std::get_if<DepthUpdate>(&message)) {
    auto& st = state_[symbol_index(d->symbol)];
    put(S::symbol, static_cast<std::uint64_t>(&st - state_.data()));
    flags_.push_back(static_cast<std::uint8_t>(DepthUpdate::kTypeId));
    put_diff(S::ids, d->first_update_id, st.depth_id + 1);
    put_diff(S::ids, d->final_update_id, d->first_update_id);
    put_diff(S::exchange_ts, u(d->exchange_ts_ms), ms);
    put(S::counts, d->bids.size());
    put(S::counts, d->asks.size());
    const auto levels = [&](const std::vector<PriceLevel>& side, std::uint64_t& first) {
      std::uint64_t before = first;
      for (const auto& l : side) {
        put_diff(S::depth_prices, u(l.price), before);
        put(S::depth_quantities, u(l.qty));
        before = u(l.price);
      }
      if (!side.empty()) first = u(side.front().price);
    };
    levels(d->bids, st.depth_bid);
    levels(d->asks, st.depth_ask);
    st.depth_id = d->final_update_id;
  }
}

void MarketColumnEncoder::finish(std::vector<std::uint8_t>& out) {
  std::vector<std::uint8_t> bytes;
  const auto section = [&]() {
    put_varint(out, bytes.size());
    out.insert(out.end(), bytes.begin(), bytes.end());
    bytes.clear();
  };
  bytes = flags_;
  section();
  bytes = dictionary_;
  section();
  for (std::size_t i = 0; i < kMarketStreams; ++i) {
    const auto stream = static_cast<S>(i);
    auto& values = values_[i];
    std::uint64_t unit = 0;
    if (is_scaled(stream)) {
      for (const auto v : values) unit = std::gcd(unit, magnitude(v));
      if (unit == 0) unit = 1;
      put_varint(bytes, unit);
    }
    for (const auto v : values) {
      if (!is_signed(stream)) put_varint(bytes, v);
      else if (!is_scaled(stream)) put_varint(bytes, zigzag(v));
      else put_varint(bytes, zigzag(u(s(v) / s(unit))));  // unit divides v exactly
    }
    values.clear();
    section();
  }
  flags_.clear();
  dictionary_.clear();
  symbols_.clear();
  state_.clear();
  last_ = {};
}

// ---- decoder --------------------------------------------------------------------------
Status MarketColumnDecoder::load(std::span<const std::uint8_t> bytes) {
  std::size_t at = 0;
  const auto section = [&](Stream& stream) {
    std::uint64_t n = 0;
    if (!get_varint(bytes, at, n) || n > bytes.size() - at) return false;
    stream = Stream{bytes.subspan(at, n), 0, 1};
    at += n;
    return true;
  };
  if (!section(flags_) || !section(dictionary_)) return fail("market columns: a stream runs past the block");
  for (std::size_t i = 0; i < kMarketStreams; ++i) {
    if (!section(streams_[i])) return fail("market columns: a stream runs past the block");
    if (is_scaled(static_cast<S>(i)) && (!get_varint(streams_[i].bytes, streams_[i].at, streams_[i].unit) ||
                                         streams_[i].unit == 0))
      return fail("market columns: a stream without its unit");
  }
  if (at != bytes.size()) return fail(fmt::format("market columns: {} bytes after the streams", bytes.size() - at));
  // The dictionary: every symbol the block's market records name, in order of first use.
  symbols_.clear();
  while (dictionary_.at < dictionary_.bytes.size()) {
    std::uint64_t n = 0;
    if (!get_varint(dictionary_.bytes, dictionary_.at, n) || n > kMaxSymbolBytes ||
        n > dictionary_.bytes.size() - dictionary_.at)
      return fail("market columns: a damaged symbol dictionary");
    symbols_.emplace_back(reinterpret_cast<const char*>(dictionary_.bytes.data() + dictionary_.at), n);
    dictionary_.at += n;
  }
  state_.assign(symbols_.size(), MarketSymbolState{});
  last_ = {};
  return {};
}

bool MarketColumnDecoder::read(MarketStream stream, std::uint64_t& v) {
  auto& st = streams_[static_cast<std::size_t>(stream)];
  if (!get_varint(st.bytes, st.at, v)) return false;
  if (is_signed(stream)) v = unzigzag(v);
  if (is_scaled(stream)) v *= st.unit;  // wraps as the encoder's difference did
  return true;
}

Status MarketColumnDecoder::next(std::uint64_t seq, EnvelopeHeader& h, Message& message) {
  // Reads every value in the encoder's order; a missing one fails the record.
  bool short_read = false;
  const auto get = [&](S stream) -> std::uint64_t {
    std::uint64_t v = 0;
    if (!read(stream, v)) short_read = true;
    return v;
  };
  h = EnvelopeHeader{};
  h.seq = seq;
  h.recv_ts_ns = s(u(last_.recv_ts_ns) + get(S::recv_ts));
  h.source = static_cast<Actor>(get(S::header));
  h.destination = static_cast<Actor>(get(S::header));
  h.dest_seq = get(S::header);
  h.schema_version = static_cast<std::uint16_t>(get(S::header));
  h.ingress_seq = last_.ingress_seq + unzigzag(get(S::header));
  h.cause_seq = get(S::header);
  last_ = h;
  const std::uint64_t symbol = get(S::symbol);
  if (short_read || flags_.at >= flags_.bytes.size()) return fail(fmt::format("seq {}: market columns end early", seq));
  if (symbol >= symbols_.size())
    return fail(fmt::format("seq {}: market columns name symbol {} of {}", seq, symbol, symbols_.size()));
  const std::uint8_t flag = flags_.bytes[flags_.at++];
  auto& st = state_[symbol];
  const auto ms = u(recv_ms(h));
  h.type_id = flag & 0x7f;

  if (h.type_id == Trade::kTypeId) {
    Trade t;
    t.symbol = symbols_[symbol];
    t.buyer_maker = (flag & kBuyerMaker) != 0;
    t.price = s(st.trade_price + get(S::trade_prices));
    t.qty = s(get(S::trade_quantities));
    t.trade_id = st.trade_id + get(S::ids);
    t.exchange_ts_ms = s(ms + get(S::exchange_ts));
    t.trade_ts_ms = s(u(t.exchange_ts_ms) + get(S::exchange_ts));
    st.trade_price = u(t.price);
    st.trade_id = t.trade_id;
    message = std::move(t);
  } else if (h.type_id == AggTrade::kTypeId) {
    AggTrade a;
    a.symbol = symbols_[symbol];
    a.buyer_maker = (flag & kBuyerMaker) != 0;
    a.price = s(st.trade_price + get(S::trade_prices));
    a.qty = s(get(S::trade_quantities));
    a.agg_trade_id = st.agg_id + get(S::ids);
    a.first_trade_id = st.agg_last_trade + 1 + get(S::ids);
    a.last_trade_id = a.first_trade_id + get(S::ids);
    a.exchange_ts_ms = s(ms + get(S::exchange_ts));
    a.trade_ts_ms = s(u(a.exchange_ts_ms) + get(S::exchange_ts));
    st.trade_price = u(a.price);
    st.agg_id = a.agg_trade_id;
    st.agg_last_trade = a.last_trade_id;
    message = std::move(a);
  } else if (h.type_id == BookTicker::kTypeId) {
    BookTicker b;
    b.symbol = symbols_[symbol];
    b.update_id = st.ticker_id + get(S::ids);
    b.bid_price = s(st.ticker_bid + get(S::ticker_prices));
    b.ask_price = s(u(b.bid_price) + get(S::ticker_prices));
    b.bid_qty = s(get(S::ticker_quantities));
    b.ask_qty = s(get(S::ticker_quantities));
    b.exchange_ts_ms = s(ms + get(S::exchange_ts));
    st.ticker_id = b.update_id;
    st.ticker_bid = u(b.bid_price);
    message = std::move(b);
  } else if (h.type_id == DepthUpdate::kTypeId) {
    DepthUpdate d;
    d.symbol = symbols_[symbol];
    d.first_update_id = st.depth_id + 1 + get(S::ids);
    d.final_update_id = d.first_update_id + get(S::ids);
    d.exchange_ts_ms = s(ms + get(S::exchange_ts));
    const std::uint64_t bids = get(S::counts), asks = get(S::counts);
    // Each level takes at least a byte of prices: larger counts are damage.
    const auto& prices = streams_[static_cast<std::size_t>(S::depth_prices)];
    if (short_read || bids > prices.bytes.size() || asks > prices.bytes.size())
      return fail(fmt::format("seq {}: market columns claim {} and {} levels", seq, bids, asks));
    const auto levels = [&](std::vector<PriceLevel>& side, std::uint64_t count, std::uint64_t& first) {
      side.resize(count);
      std::uint64_t before = first;
      for (auto& l : side) {
        l.price = s(before + get(S::depth_prices));
        l.qty = s(get(S::depth_quantities));
        before = u(l.price);
      }
      if (!side.empty()) first = u(side.front().price);
    };
    levels(d.bids, bids, st.depth_bid);
    levels(d.asks, asks, st.depth_ask);
    st.depth_id = d.final_update_id;
    message = std::move(d);
  } else {
    return fail(fmt::format("seq {}: market columns hold type {}", seq, h.type_id));
  }
  if (short_read) return fail(fmt::format("seq {}: market columns end early", seq));
  return {};
}

}  // namespace trader::journal
