#include "messages/flat_market.hpp"

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <capnp/schema.h>

#include "messages/schema/market.capnp.h"
#include "messages/schema/system.capnp.h"
#include "messages/schema/trading.capnp.h"

namespace trader {
namespace {

using capnp::schema::Type;

// What each covered type writes: at most a text symbol, its 64-bit fields, its 32-bit
// fields and its bools, each named as in the schema beside the member it holds; nothing
// else (the layout checks the schema has no other field).
template <class T, class M>
struct Field {
  const char* name;
  M T::*member;
};
template <class T, class M>
Field(const char*, M T::*) -> Field<T, M>;

template <class T>
struct Fields;

template <>
struct Fields<Trade> {
  using Schema = schema::Trade;
  static constexpr bool kSymbol = true;
  static constexpr std::tuple kWords{Field{"price", &Trade::price}, Field{"qty", &Trade::qty},
                                     Field{"tradeId", &Trade::trade_id}, Field{"exchangeTsMs", &Trade::exchange_ts_ms},
                                     Field{"tradeTsMs", &Trade::trade_ts_ms}};
  static constexpr std::array<Field<Trade, std::uint32_t>, 0> kHalves{};
  static constexpr std::array kFlags{Field{"buyerMaker", &Trade::buyer_maker}};
};

template <>
struct Fields<AggTrade> {
  using Schema = schema::AggTrade;
  static constexpr bool kSymbol = true;
  static constexpr std::tuple kWords{
      Field{"price", &AggTrade::price},           Field{"qty", &AggTrade::qty},
      Field{"aggTradeId", &AggTrade::agg_trade_id}, Field{"firstTradeId", &AggTrade::first_trade_id},
      Field{"lastTradeId", &AggTrade::last_trade_id}, Field{"exchangeTsMs", &AggTrade::exchange_ts_ms},
      Field{"tradeTsMs", &AggTrade::trade_ts_ms}};
  static constexpr std::array<Field<AggTrade, std::uint32_t>, 0> kHalves{};
  static constexpr std::array kFlags{Field{"buyerMaker", &AggTrade::buyer_maker}};
};

template <>
struct Fields<BookTicker> {
  using Schema = schema::BookTicker;
  static constexpr bool kSymbol = true;
  static constexpr std::tuple kWords{
      Field{"updateId", &BookTicker::update_id}, Field{"bidPrice", &BookTicker::bid_price},
      Field{"bidQty", &BookTicker::bid_qty},     Field{"askPrice", &BookTicker::ask_price},
      Field{"askQty", &BookTicker::ask_qty},     Field{"exchangeTsMs", &BookTicker::exchange_ts_ms}};
  static constexpr std::array<Field<BookTicker, std::uint32_t>, 0> kHalves{};
  static constexpr std::array<Field<BookTicker, bool>, 0> kFlags{};
};

template <>
struct Fields<Kline> {
  using Schema = schema::Kline;
  static constexpr bool kSymbol = true;
  static constexpr std::tuple kWords{
      Field{"openTimeMs", &Kline::open_time_ms},
      Field{"closeTimeMs", &Kline::close_time_ms},
      Field{"open", &Kline::open},
      Field{"high", &Kline::high},
      Field{"low", &Kline::low},
      Field{"close", &Kline::close},
      Field{"volume", &Kline::volume},
      Field{"quoteVolume", &Kline::quote_volume},
      Field{"trades", &Kline::trades},
      Field{"takerBuyVolume", &Kline::taker_buy_volume},
      Field{"takerBuyQuoteVolume", &Kline::taker_buy_quote_volume},
      Field{"firstTradeId", &Kline::first_trade_id},
      Field{"lastTradeId", &Kline::last_trade_id},
      Field{"exchangeTsMs", &Kline::exchange_ts_ms}};
  static constexpr std::array kHalves{Field{"intervalS", &Kline::interval_s}};
  static constexpr std::array kFlags{Field{"closed", &Kline::closed}, Field{"history", &Kline::history}};
};

template <>
struct Fields<Candle> {
  using Schema = schema::Candle;
  static constexpr bool kSymbol = true;
  static constexpr std::tuple kWords{
      Field{"openTimeMs", &Candle::open_time_ms}, Field{"closeTimeMs", &Candle::close_time_ms},
      Field{"open", &Candle::open},               Field{"high", &Candle::high},
      Field{"low", &Candle::low},                 Field{"close", &Candle::close},
      Field{"volume", &Candle::volume},           Field{"quoteVolume", &Candle::quote_volume},
      Field{"trades", &Candle::trades},           Field{"vwap", &Candle::vwap}};
  static constexpr std::array kHalves{Field{"intervalS", &Candle::interval_s}};
  static constexpr std::array kFlags{Field{"fromExchange", &Candle::from_exchange}, Field{"history", &Candle::history}};
};

template <>
struct Fields<ClockTick> {
  using Schema = schema::ClockTick;
  static constexpr bool kSymbol = false;
  static constexpr std::tuple kWords{Field{"tsNs", &ClockTick::ts_ns}};
  static constexpr std::array<Field<ClockTick, std::uint32_t>, 0> kHalves{};
  static constexpr std::array<Field<ClockTick, bool>, 0> kFlags{};
};

template <class T>
constexpr std::size_t kWordCount = std::tuple_size_v<decltype(Fields<T>::kWords)>;

// Calls f(i, field) for each 64-bit field, in order.
template <class T, class F>
void for_each_word(F&& f) {
  std::apply([&](const auto&... field) {
    std::size_t i = 0;
    (f(i++, field), ...);
  }, Fields<T>::kWords);
}

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
  std::array<std::uint32_t, kWordCount<T>> words{};      // each one's word in the data section
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
    if (st.getFields().size() != kWordCount<T> + F::kHalves.size() + F::kFlags.size() + (F::kSymbol ? 1 : 0))
      return;
    if (pointers != (F::kSymbol ? 1 : 0)) return;
    if constexpr (F::kSymbol) {
      const auto text = slot("symbol", [](Type::Which w) { return w == Type::TEXT; });
      if (!text || *text >= pointers) return;
      symbol = *text;
    }
    bool placed = true;
    for_each_word<T>([&](std::size_t i, const auto& field) {
      const auto at = slot(field.name, [](Type::Which w) { return w == Type::INT64 || w == Type::UINT64; });
      if (!at || *at >= data_words) placed = false;
      else words[i] = *at;
    });
    if (!placed) return;
    for (std::size_t i = 0; i < halves.size(); ++i) {
      const auto at = slot(F::kHalves[i].name, [](Type::Which w) { return w == Type::UINT32; });
      if (!at || *at >= data_words * 2u) return;
      halves[i] = *at;
    }
    for (std::size_t i = 0; i < flags.size(); ++i) {
      const auto bit = slot(F::kFlags[i].name, [](Type::Which w) { return w == Type::BOOL; });
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
  for_each_word<T>([&](std::size_t i, const auto& field) {
    out[data + layout.words[i]] = static_cast<std::uint64_t>(m.*field.member);
  });
  for (std::size_t i = 0; i < F::kHalves.size(); ++i)
    out[data + layout.halves[i] / 2] |= std::uint64_t{m.*F::kHalves[i].member} << (32 * (layout.halves[i] % 2));
  for (std::size_t i = 0; i < F::kFlags.size(); ++i)
    if (m.*F::kFlags[i].member) out[data + layout.flags[i] / 64] |= std::uint64_t{1} << (layout.flags[i] % 64);
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
  T m{};
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
    m.symbol.assign(chars, bytes - 1);
  } else if (w.size() != text) {
    return std::nullopt;
  }
  for_each_word<T>([&](std::size_t i, const auto& field) {
    using Member = std::remove_reference_t<decltype(m.*field.member)>;
    m.*field.member = static_cast<Member>(w[data + layout.words[i]]);
  });
  for (std::size_t i = 0; i < F::kHalves.size(); ++i)
    m.*F::kHalves[i].member = static_cast<std::uint32_t>(w[data + layout.halves[i] / 2] >> (32 * (layout.halves[i] % 2)));
  for (std::size_t i = 0; i < F::kFlags.size(); ++i)
    m.*F::kFlags[i].member = ((w[data + layout.flags[i] / 64] >> (layout.flags[i] % 64)) & 1) != 0;
  return m;
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
