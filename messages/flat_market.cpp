#include "messages/flat_market.hpp"

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <capnp/schema.h>

#include "messages/schema/market.capnp.h"
#include "messages/schema/system.capnp.h"
#include "messages/schema/trading.capnp.h"

namespace trader {
namespace {

using capnp::schema::Type;

// What each covered type writes: at most a text symbol, its 64-bit fields, its 32-bit
// fields and its bools (names as in the schema; values in the same order), nothing else.
template <std::size_t W, std::size_t H, std::size_t F>
struct Values {
  std::array<std::uint64_t, W> words{};
  std::array<std::uint32_t, H> halves{};
  std::array<bool, F> flags{};
};

template <class T>
struct Fields;

template <>
struct Fields<Trade> {
  using Schema = schema::Trade;
  static constexpr bool kSymbol = true;
  static constexpr std::array<const char*, 5> kWords{"price", "qty", "tradeId", "exchangeTsMs", "tradeTsMs"};
  static constexpr std::array<const char*, 0> kHalves{};
  static constexpr std::array<const char*, 1> kFlags{"buyerMaker"};
  using V = Values<5, 0, 1>;
  static V values(const Trade& m) {
    return {{static_cast<std::uint64_t>(m.price), static_cast<std::uint64_t>(m.qty), m.trade_id,
             static_cast<std::uint64_t>(m.exchange_ts_ms), static_cast<std::uint64_t>(m.trade_ts_ms)},
            {},
            {m.buyer_maker}};
  }
  static Trade make(std::string symbol, const V& v) {
    const auto& w = v.words;
    return Trade{std::move(symbol), static_cast<std::int64_t>(w[0]), static_cast<std::int64_t>(w[1]), w[2],
                 static_cast<std::int64_t>(w[3]), static_cast<std::int64_t>(w[4]), v.flags[0]};
  }
};

template <>
struct Fields<AggTrade> {
  using Schema = schema::AggTrade;
  static constexpr bool kSymbol = true;
  static constexpr std::array<const char*, 7> kWords{"price",       "qty",          "aggTradeId", "firstTradeId",
                                                     "lastTradeId", "exchangeTsMs", "tradeTsMs"};
  static constexpr std::array<const char*, 0> kHalves{};
  static constexpr std::array<const char*, 1> kFlags{"buyerMaker"};
  using V = Values<7, 0, 1>;
  static V values(const AggTrade& m) {
    return {{static_cast<std::uint64_t>(m.price), static_cast<std::uint64_t>(m.qty), m.agg_trade_id, m.first_trade_id,
             m.last_trade_id, static_cast<std::uint64_t>(m.exchange_ts_ms), static_cast<std::uint64_t>(m.trade_ts_ms)},
            {},
            {m.buyer_maker}};
  }
  static AggTrade make(std::string symbol, const V& v) {
    const auto& w = v.words;
    return AggTrade{std::move(symbol), static_cast<std::int64_t>(w[0]), static_cast<std::int64_t>(w[1]),
                    w[2],              w[3],                            w[4],
                    static_cast<std::int64_t>(w[5]), static_cast<std::int64_t>(w[6]), v.flags[0]};
  }
};

template <>
struct Fields<BookTicker> {
  using Schema = schema::BookTicker;
  static constexpr bool kSymbol = true;
  static constexpr std::array<const char*, 6> kWords{"updateId", "bidPrice", "bidQty",
                                                     "askPrice", "askQty",   "exchangeTsMs"};
  static constexpr std::array<const char*, 0> kHalves{};
  static constexpr std::array<const char*, 0> kFlags{};
  using V = Values<6, 0, 0>;
  static V values(const BookTicker& m) {
    return {{m.update_id, static_cast<std::uint64_t>(m.bid_price), static_cast<std::uint64_t>(m.bid_qty),
             static_cast<std::uint64_t>(m.ask_price), static_cast<std::uint64_t>(m.ask_qty),
             static_cast<std::uint64_t>(m.exchange_ts_ms)},
            {},
            {}};
  }
  static BookTicker make(std::string symbol, const V& v) {
    const auto& w = v.words;
    return BookTicker{std::move(symbol),
                      w[0],
                      static_cast<std::int64_t>(w[1]),
                      static_cast<std::int64_t>(w[2]),
                      static_cast<std::int64_t>(w[3]),
                      static_cast<std::int64_t>(w[4]),
                      static_cast<std::int64_t>(w[5])};
  }
};

template <>
struct Fields<Kline> {
  using Schema = schema::Kline;
  static constexpr bool kSymbol = true;
  static constexpr std::array<const char*, 14> kWords{
      "openTimeMs", "closeTimeMs",    "open",           "high",                "low",          "close",       "volume",
      "quoteVolume", "trades", "takerBuyVolume", "takerBuyQuoteVolume", "firstTradeId", "lastTradeId", "exchangeTsMs"};
  static constexpr std::array<const char*, 1> kHalves{"intervalS"};
  static constexpr std::array<const char*, 2> kFlags{"closed", "history"};
  using V = Values<14, 1, 2>;
  static V values(const Kline& m) {
    const auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
    return {{u(m.open_time_ms), u(m.close_time_ms), u(m.open), u(m.high), u(m.low), u(m.close), u(m.volume),
             u(m.quote_volume), m.trades, u(m.taker_buy_volume), u(m.taker_buy_quote_volume), u(m.first_trade_id),
             u(m.last_trade_id), u(m.exchange_ts_ms)},
            {m.interval_s},
            {m.closed, m.history}};
  }
  static Kline make(std::string symbol, const V& v) {
    const auto i = [&](std::size_t k) { return static_cast<std::int64_t>(v.words[k]); };
    Kline k;
    k.symbol = std::move(symbol);
    k.interval_s = v.halves[0];
    k.open_time_ms = i(0);
    k.close_time_ms = i(1);
    k.open = i(2);
    k.high = i(3);
    k.low = i(4);
    k.close = i(5);
    k.volume = i(6);
    k.quote_volume = i(7);
    k.trades = v.words[8];
    k.taker_buy_volume = i(9);
    k.taker_buy_quote_volume = i(10);
    k.first_trade_id = i(11);
    k.last_trade_id = i(12);
    k.exchange_ts_ms = i(13);
    k.closed = v.flags[0];
    k.history = v.flags[1];
    return k;
  }
};

template <>
struct Fields<Candle> {
  using Schema = schema::Candle;
  static constexpr bool kSymbol = true;
  static constexpr std::array<const char*, 10> kWords{"openTimeMs", "closeTimeMs", "open",        "high",   "low",
                                                      "close",      "volume",      "quoteVolume", "trades", "vwap"};
  static constexpr std::array<const char*, 1> kHalves{"intervalS"};
  static constexpr std::array<const char*, 2> kFlags{"fromExchange", "history"};
  using V = Values<10, 1, 2>;
  static V values(const Candle& m) {
    return {{static_cast<std::uint64_t>(m.open_time_ms), static_cast<std::uint64_t>(m.close_time_ms),
             static_cast<std::uint64_t>(m.open), static_cast<std::uint64_t>(m.high), static_cast<std::uint64_t>(m.low),
             static_cast<std::uint64_t>(m.close), static_cast<std::uint64_t>(m.volume),
             static_cast<std::uint64_t>(m.quote_volume), m.trades, static_cast<std::uint64_t>(m.vwap)},
            {m.interval_s},
            {m.from_exchange, m.history}};
  }
  static Candle make(std::string symbol, const V& v) {
    const auto& w = v.words;
    Candle c;
    c.symbol = std::move(symbol);
    c.interval_s = v.halves[0];
    c.open_time_ms = static_cast<std::int64_t>(w[0]);
    c.close_time_ms = static_cast<std::int64_t>(w[1]);
    c.open = static_cast<std::int64_t>(w[2]);
    c.high = static_cast<std::int64_t>(w[3]);
    c.low = static_cast<std::int64_t>(w[4]);
    c.close = static_cast<std::int64_t>(w[5]);
    c.volume = static_cast<std::int64_t>(w[6]);
    c.quote_volume = static_cast<std::int64_t>(w[7]);
    c.trades = w[8];
    c.vwap = static_cast<std::int64_t>(w[9]);
    c.from_exchange = v.flags[0];
    c.history = v.flags[1];
    return c;
  }
};

template <>
struct Fields<ClockTick> {
  using Schema = schema::ClockTick;
  static constexpr bool kSymbol = false;
  static constexpr std::array<const char*, 1> kWords{"tsNs"};
  static constexpr std::array<const char*, 0> kHalves{};
  static constexpr std::array<const char*, 0> kFlags{};
  using V = Values<1, 0, 0>;
  static V values(const ClockTick& m) { return {{static_cast<std::uint64_t>(m.ts_ns)}, {}, {}}; }
  static ClockTick make(std::string, const V& v) { return ClockTick{static_cast<std::int64_t>(v.words[0])}; }
};
// Where a type's fields sit, read once from its compiled-in schema. Unusable (so the
// builder writes the type) if any field is not where and what this writer assumes: a
// plain slot of the type named, with no default (a builder stores a value XOR its default),
// and no field it does not name.
template <class T>
struct Layout {
  using F = Fields<T>;
  bool usable = false;
  std::uint16_t data_words = 0, pointers = 0;
  std::uint32_t symbol = 0;  // its pointer's index
  std::array<std::uint32_t, F::kWords.size()> words{};    // each one's word in the data section
  std::array<std::uint32_t, F::kHalves.size()> halves{};  // each one's 32-bit slot in it
  std::array<std::uint32_t, F::kFlags.size()> flags{};    // each bool's bit in it

  // Where things sit in the flat words: the segment table, the root pointer, the data
  // section, the pointer section, then the symbol's bytes.
  static constexpr std::size_t kData = 2;
  std::size_t pointers_at() const { return kData + data_words; }
  std::size_t text_at() const { return pointers_at() + pointers; }
  // The root: a struct pointer to the word after it (offset 0) with this struct's sizes.
  std::uint64_t root() const { return (std::uint64_t{data_words} << 32) | (std::uint64_t{pointers} << 48); }

  Layout() {
    const auto s = capnp::Schema::from<typename F::Schema>();
    // A slot's offset is in units of its own size (words, 32-bit halves, bits).
    const auto slot = [&](const char* name, auto accepts) -> std::optional<std::uint32_t> {
      KJ_IF_MAYBE(f, s.findFieldByName(name)) {
        const auto proto = f->getProto();
        if (!proto.isSlot() || proto.getSlot().getHadExplicitDefault()) return std::nullopt;
        if (!accepts(proto.getSlot().getType().which())) return std::nullopt;
        return proto.getSlot().getOffset();
      }
      return std::nullopt;
    };
    const auto st = s.getProto().getStruct();
    data_words = st.getDataWordCount();
    pointers = st.getPointerCount();
    if (st.getFields().size() != F::kWords.size() + F::kHalves.size() + F::kFlags.size() + (F::kSymbol ? 1 : 0))
      return;
    if (pointers != (F::kSymbol ? 1 : 0)) return;
    if constexpr (F::kSymbol) {
      const auto text = slot("symbol", [](Type::Which w) { return w == Type::TEXT; });
      if (!text || *text >= pointers) return;
      symbol = *text;
    }
    for (std::size_t i = 0; i < words.size(); ++i) {
      const auto at = slot(F::kWords[i], [](Type::Which w) { return w == Type::INT64 || w == Type::UINT64; });
      if (!at || *at >= data_words) return;
      words[i] = *at;
    }
    for (std::size_t i = 0; i < halves.size(); ++i) {
      const auto at = slot(F::kHalves[i], [](Type::Which w) { return w == Type::UINT32; });
      if (!at || *at >= data_words * 2u) return;
      halves[i] = *at;
    }
    for (std::size_t i = 0; i < flags.size(); ++i) {
      const auto bit = slot(F::kFlags[i], [](Type::Which w) { return w == Type::BOOL; });
      if (!bit || *bit >= data_words * 64u) return;
      flags[i] = *bit;
    }
    usable = true;
  }
};

template <class T>
const Layout<T>& layout_of() {
  static const Layout<T> layout;
  return layout;
}

// The message as a builder lays it out: the segment table, the root pointer, the struct's
// data and pointer sections, then the symbol's bytes (the one object it allocates), NUL
// ended and padded to a word.
template <class T>
bool write(const T& m, std::vector<std::uint64_t>& out) {
  using F = Fields<T>;
  const Layout<T>& layout = layout_of<T>();
  if (!layout.usable) return false;
  std::string_view symbol;
  if constexpr (F::kSymbol) symbol = m.symbol;
  // A NUL inside ends the text where the builder takes it from (it reads a C string).
  if (symbol.find('\0') != std::string_view::npos) return false;
  const std::size_t text_bytes = F::kSymbol ? symbol.size() + 1 : 0;
  const std::size_t text_words = (text_bytes + 7) / 8;
  const std::size_t data = Layout<T>::kData, text = layout.text_at();
  const std::size_t segment_words = text + text_words - 1;  // all but the table
  if (segment_words > kFlatFirstSegmentWords) return false;

  out.assign(text + text_words, 0);
  out[0] = std::uint64_t{segment_words} << 32;  // one segment (count - 1 = 0), then its size
  out[1] = layout.root();
  const auto v = F::values(m);
  for (std::size_t i = 0; i < v.words.size(); ++i) out[data + layout.words[i]] = v.words[i];
  for (std::size_t i = 0; i < v.halves.size(); ++i)
    out[data + layout.halves[i] / 2] |= std::uint64_t{v.halves[i]} << (32 * (layout.halves[i] % 2));
  for (std::size_t i = 0; i < v.flags.size(); ++i)
    if (v.flags[i]) out[data + layout.flags[i] / 64] |= std::uint64_t{1} << (layout.flags[i] % 64);
  if constexpr (F::kSymbol) {
    // A list of bytes: kind 1, the offset in words from the end of the pointer, element size 2.
    const std::size_t at = layout.pointers_at() + layout.symbol;
    out[at] = 1 | (static_cast<std::uint64_t>(text - at - 1) << 2) | (std::uint64_t{2} << 32) |
              (static_cast<std::uint64_t>(text_bytes) << 35);
    std::memcpy(&out[text], symbol.data(), symbol.size());
  }
  return true;
}

// The reverse of write(): the value, when `w` holds exactly what write() gives for it.
template <class T>
std::optional<Message> read(std::span<const std::uint64_t> w) {
  using F = Fields<T>;
  const Layout<T>& layout = layout_of<T>();
  if (!layout.usable) return std::nullopt;
  const std::size_t data = Layout<T>::kData, text = layout.text_at();
  if (w.size() < text + (F::kSymbol ? 1 : 0) || w.size() - 1 > kFlatFirstSegmentWords) return std::nullopt;
  if (w[0] != std::uint64_t{w.size() - 1} << 32) return std::nullopt;  // one segment, all of the rest
  if (w[1] != layout.root()) return std::nullopt;
  std::string symbol;
  if constexpr (F::kSymbol) {
    // The symbol: a list of bytes starting right after the struct, filling the words to
    // the end, NUL ended.
    const std::size_t at = layout.pointers_at() + layout.symbol;
    const std::uint64_t p = w[at];
    const std::uint64_t bytes = p >> 35;
    if ((p & 3) != 1 || ((p >> 2) & 0x3fffffff) != text - at - 1 || ((p >> 32) & 7) != 2 || bytes == 0 ||
        (bytes + 7) / 8 != w.size() - text)
      return std::nullopt;
    const auto* chars = reinterpret_cast<const char*>(&w[text]);
    if (chars[bytes - 1] != '\0') return std::nullopt;
    symbol.assign(chars, bytes - 1);
  } else if (w.size() != text) {
    return std::nullopt;
  }
  typename F::V v;
  for (std::size_t i = 0; i < v.words.size(); ++i) v.words[i] = w[data + layout.words[i]];
  for (std::size_t i = 0; i < v.halves.size(); ++i)
    v.halves[i] = static_cast<std::uint32_t>(w[data + layout.halves[i] / 2] >> (32 * (layout.halves[i] % 2)));
  for (std::size_t i = 0; i < v.flags.size(); ++i) v.flags[i] = (w[data + layout.flags[i] / 64] >> (layout.flags[i] % 64)) & 1;
  return F::make(std::move(symbol), v);
}

}  // namespace

std::optional<Message> read_flat_market(std::uint16_t type_id, std::span<const std::uint64_t> words) {
  switch (type_id) {
    case Trade::kTypeId: return read<Trade>(words);
    case BookTicker::kTypeId: return read<BookTicker>(words);
    case AggTrade::kTypeId: return read<AggTrade>(words);
    case Kline::kTypeId: return read<Kline>(words);
    case Candle::kTypeId: return read<Candle>(words);
    case ClockTick::kTypeId: return read<ClockTick>(words);
    default: return std::nullopt;
  }
}

bool write_flat_market(const Message& message, std::vector<std::uint64_t>& words) {
  if (const auto* t = std::get_if<Trade>(&message)) return write(*t, words);
  if (const auto* b = std::get_if<BookTicker>(&message)) return write(*b, words);
  if (const auto* a = std::get_if<AggTrade>(&message)) return write(*a, words);
  if (const auto* k = std::get_if<Kline>(&message)) return write(*k, words);
  if (const auto* c = std::get_if<Candle>(&message)) return write(*c, words);
  if (const auto* t = std::get_if<ClockTick>(&message)) return write(*t, words);
  return false;
}

}  // namespace trader
