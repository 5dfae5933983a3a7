#include "messages/flat_market.hpp"

#include <array>
#include <cstring>
#include <optional>
#include <string_view>

#include <capnp/schema.h>

#include "messages/schema/market.capnp.h"

namespace trader {
namespace {

using capnp::schema::Type;

// What each covered type writes: its text symbol, its 64-bit fields (names as in the
// schema, values in the same order) and at most one bool, nothing else.
template <class T>
struct Fields;

template <>
struct Fields<Trade> {
  using Schema = schema::Trade;
  static constexpr std::array<const char*, 5> kWords{"price", "qty", "tradeId", "exchangeTsMs", "tradeTsMs"};
  static constexpr const char* kFlag = "buyerMaker";
  static std::array<std::uint64_t, 5> words(const Trade& m) {
    return {static_cast<std::uint64_t>(m.price), static_cast<std::uint64_t>(m.qty), m.trade_id,
            static_cast<std::uint64_t>(m.exchange_ts_ms), static_cast<std::uint64_t>(m.trade_ts_ms)};
  }
  static bool flag(const Trade& m) { return m.buyer_maker; }
  static Trade make(std::string symbol, const std::array<std::uint64_t, 5>& w, bool flag) {
    return Trade{std::move(symbol), static_cast<std::int64_t>(w[0]), static_cast<std::int64_t>(w[1]), w[2],
                 static_cast<std::int64_t>(w[3]), static_cast<std::int64_t>(w[4]), flag};
  }
};

template <>
struct Fields<AggTrade> {
  using Schema = schema::AggTrade;
  static constexpr std::array<const char*, 7> kWords{"price",       "qty",          "aggTradeId", "firstTradeId",
                                                     "lastTradeId", "exchangeTsMs", "tradeTsMs"};
  static constexpr const char* kFlag = "buyerMaker";
  static std::array<std::uint64_t, 7> words(const AggTrade& m) {
    return {static_cast<std::uint64_t>(m.price), static_cast<std::uint64_t>(m.qty), m.agg_trade_id,
            m.first_trade_id, m.last_trade_id, static_cast<std::uint64_t>(m.exchange_ts_ms),
            static_cast<std::uint64_t>(m.trade_ts_ms)};
  }
  static bool flag(const AggTrade& m) { return m.buyer_maker; }
  static AggTrade make(std::string symbol, const std::array<std::uint64_t, 7>& w, bool flag) {
    return AggTrade{std::move(symbol),
                    static_cast<std::int64_t>(w[0]),
                    static_cast<std::int64_t>(w[1]),
                    w[2],
                    w[3],
                    w[4],
                    static_cast<std::int64_t>(w[5]),
                    static_cast<std::int64_t>(w[6]),
                    flag};
  }
};

template <>
struct Fields<BookTicker> {
  using Schema = schema::BookTicker;
  static constexpr std::array<const char*, 6> kWords{"updateId", "bidPrice", "bidQty",
                                                     "askPrice", "askQty",   "exchangeTsMs"};
  static constexpr const char* kFlag = nullptr;
  static std::array<std::uint64_t, 6> words(const BookTicker& m) {
    return {m.update_id,
            static_cast<std::uint64_t>(m.bid_price),
            static_cast<std::uint64_t>(m.bid_qty),
            static_cast<std::uint64_t>(m.ask_price),
            static_cast<std::uint64_t>(m.ask_qty),
            static_cast<std::uint64_t>(m.exchange_ts_ms)};
  }
  static bool flag(const BookTicker&) { return false; }
  static BookTicker make(std::string symbol, const std::array<std::uint64_t, 6>& w, bool) {
    return BookTicker{std::move(symbol),
                      w[0],
                      static_cast<std::int64_t>(w[1]),
                      static_cast<std::int64_t>(w[2]),
                      static_cast<std::int64_t>(w[3]),
                      static_cast<std::int64_t>(w[4]),
                      static_cast<std::int64_t>(w[5])};
  }
};

// Where a type's fields sit, read once from its compiled-in schema. Unusable (so the
// builder writes the type) if any field is not where and what this writer assumes: a
// plain slot of the type named, with no default (a builder stores a value XOR its default).
template <class T>
struct Layout {
  bool usable = false;
  std::uint16_t data_words = 0, pointers = 0;
  std::uint32_t symbol = 0;  // its pointer's index
  std::array<std::uint32_t, Fields<T>::kWords.size()> words{};  // each one's word in the data section
  std::uint32_t flag_bit = 0;  // the bool's bit in the data section

  // Where things sit in the flat words: the segment table, the root pointer, the data
  // section, the pointer section, then the symbol's bytes.
  static constexpr std::size_t kData = 2;
  std::size_t pointers_at() const { return kData + data_words; }
  std::size_t text_at() const { return pointers_at() + pointers; }
  // The root: a struct pointer to the word after it (offset 0) with this struct's sizes.
  std::uint64_t root() const { return (std::uint64_t{data_words} << 32) | (std::uint64_t{pointers} << 48); }

  Layout() {
    const auto s = capnp::Schema::from<typename Fields<T>::Schema>();
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
    const auto text = slot("symbol", [](Type::Which w) { return w == Type::TEXT; });
    if (!text || *text >= pointers) return;
    symbol = *text;
    for (std::size_t i = 0; i < words.size(); ++i) {
      const auto at = slot(Fields<T>::kWords[i], [](Type::Which w) { return w == Type::INT64 || w == Type::UINT64; });
      if (!at || *at >= data_words) return;
      words[i] = *at;
    }
    if (Fields<T>::kFlag != nullptr) {
      const auto bit = slot(Fields<T>::kFlag, [](Type::Which w) { return w == Type::BOOL; });
      if (!bit || *bit >= data_words * 64u) return;
      flag_bit = *bit;
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
  const Layout<T>& layout = layout_of<T>();
  // A NUL inside ends the text where the builder takes it from (it reads a C string).
  if (!layout.usable || m.symbol.find('\0') != std::string::npos) return false;
  const std::size_t text_bytes = m.symbol.size() + 1;
  const std::size_t text_words = (text_bytes + 7) / 8;
  const std::size_t data = Layout<T>::kData, text = layout.text_at();
  const std::size_t segment_words = text + text_words - 1;  // all but the table
  if (segment_words > kFlatFirstSegmentWords) return false;

  out.assign(text + text_words, 0);
  out[0] = std::uint64_t{segment_words} << 32;  // one segment (count - 1 = 0), then its size
  out[1] = layout.root();
  const auto values = Fields<T>::words(m);
  for (std::size_t i = 0; i < values.size(); ++i) out[data + layout.words[i]] = values[i];
  if (Fields<T>::flag(m)) out[data + layout.flag_bit / 64] |= std::uint64_t{1} << (layout.flag_bit % 64);
  // A list of bytes: kind 1, the offset in words from the end of the pointer, element size 2.
  const std::size_t at = layout.pointers_at() + layout.symbol;
  out[at] = 1 | (static_cast<std::uint64_t>(text - at - 1) << 2) | (std::uint64_t{2} << 32) |
            (static_cast<std::uint64_t>(text_bytes) << 35);
  std::memcpy(&out[text], m.symbol.data(), m.symbol.size());
  return true;
}

// The reverse of write(): the value, when `w` holds exactly what write() gives for it.
template <class T>
std::optional<Message> read(std::span<const std::uint64_t> w) {
  const Layout<T>& layout = layout_of<T>();
  if (!layout.usable) return std::nullopt;
  const std::size_t data = Layout<T>::kData, pointers = layout.pointers_at(), text = layout.text_at();
  if (w.size() <= text || w.size() - 1 > kFlatFirstSegmentWords) return std::nullopt;
  if (w[0] != std::uint64_t{w.size() - 1} << 32) return std::nullopt;  // one segment, all of the rest
  if (w[1] != layout.root()) return std::nullopt;
  for (std::size_t i = 0; i < layout.pointers; ++i)  // every pointer null but the symbol's
    if (i != layout.symbol && w[pointers + i] != 0) return std::nullopt;
  // The symbol: a list of bytes starting right after the struct, filling the words to the
  // end, NUL ended.
  const std::uint64_t p = w[pointers + layout.symbol];
  const std::size_t at = pointers + layout.symbol;
  const std::uint64_t bytes = p >> 35;
  if ((p & 3) != 1 || ((p >> 2) & 0x3fffffff) != text - at - 1 || ((p >> 32) & 7) != 2 || bytes == 0 ||
      (bytes + 7) / 8 != w.size() - text)
    return std::nullopt;
  const auto* chars = reinterpret_cast<const char*>(&w[text]);
  if (chars[bytes - 1] != '\0') return std::nullopt;
  std::array<std::uint64_t, Fields<T>::kWords.size()> values{};
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = w[data + layout.words[i]];
  const bool flag = Fields<T>::kFlag != nullptr && ((w[data + layout.flag_bit / 64] >> (layout.flag_bit % 64)) & 1);
  return Fields<T>::make(std::string(chars, bytes - 1), values, flag);
}

}  // namespace

std::optional<Message> read_flat_market(std::uint16_t type_id, std::span<const std::uint64_t> words) {
  switch (type_id) {
    case Trade::kTypeId: return read<Trade>(words);
    case BookTicker::kTypeId: return read<BookTicker>(words);
    case AggTrade::kTypeId: return read<AggTrade>(words);
    default: return std::nullopt;
  }
}

bool write_flat_market(const Message& message, std::vector<std::uint64_t>& words) {
  if (const auto* t = std::get_if<Trade>(&message)) return write(*t, words);
  if (const auto* b = std::get_if<BookTicker>(&message)) return write(*b, words);
  if (const auto* a = std::get_if<AggTrade>(&message)) return write(*a, words);
  return false;
}

}  // namespace trader
