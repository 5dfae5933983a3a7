#include "messages/instrument.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace trader {
namespace {

constexpr std::array<std::pair<std::string_view, VenueId>, 5> kVenueNames{{{"binance", VenueId::binance},
                                                                             {"coinbase", VenueId::coinbase},
                                                                             {"kucoin", VenueId::kucoin},
                                                                             {"binance_usdm", VenueId::binance_usdm},
                                                                             {"kucoin_futures", VenueId::kucoin_futures}}};

// Binance glues base and quote; the quote is one of these, longest first ("FDUSD" before "USD").
constexpr std::array<std::string_view, 8> kGluedQuotes{"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "DAI", "USD", "EUR"};

// What an asset's name is made of, as venues write it.
bool is_asset_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Venues that write BASE-QUOTE (Binance's glue them, spot and futures).
bool dashed(VenueId v) { return v == VenueId::coinbase || v == VenueId::kucoin; }

std::pair<std::string_view, std::string_view> split(VenueId venue, std::string_view symbol) {
  if (venue == VenueId::kucoin_futures) {  // "XBTUSDTM": BASE QUOTE "M"; KuCoin Futures names bitcoin XBT
    if (symbol.size() < 2 || symbol.back() != 'M') return {symbol, {}};
    auto [base, quote] = split(VenueId::binance_usdm, symbol.substr(0, symbol.size() - 1));
    if (quote.empty()) return {symbol, {}};
    return {base == "XBT" ? std::string_view("BTC") : base, quote};
  }
  if (dashed(venue)) {
    const auto dash = symbol.find('-');
    if (dash == std::string_view::npos) return {symbol, {}};
    return {symbol.substr(0, dash), symbol.substr(dash + 1)};
  }
  for (auto q : kGluedQuotes)
    if (symbol.size() > q.size() && symbol.substr(symbol.size() - q.size()) == q)
      return {symbol.substr(0, symbol.size() - q.size()), q};
  return {symbol, {}};
}

}  // namespace

std::string_view venue_name(VenueId venue) {
  for (const auto& [name, v] : kVenueNames)
    if (v == venue) return name;
  return "?";
}

std::optional<VenueId> parse_venue(std::string_view name) {
  for (const auto& [n, v] : kVenueNames)
    if (n == name) return v;
  return std::nullopt;
}

InstrumentKind kind_of(VenueId venue) {
  return venue == VenueId::binance_usdm || venue == VenueId::kucoin_futures ? InstrumentKind::linear_perpetual
                                                                              : InstrumentKind::spot;
}

std::string_view kind_name(InstrumentKind kind) {
  return kind == InstrumentKind::linear_perpetual ? "linear perpetual" : "spot";
}

bool is_perpetual(std::string_view instrument) {
  return kind_of(venue_of(instrument)) == InstrumentKind::linear_perpetual;
}

std::string Instrument::name() const { return instrument_name(venue, symbol); }

std::string instrument_name(VenueId venue, std::string_view venue_symbol) {
  if (venue == VenueId::binance) return std::string(venue_symbol);
  return fmt::format("{}@{}", venue_symbol, venue_name(venue));
}

bool is_asset_name(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_asset_char);
}

Result<Instrument> parse_instrument(std::string_view text) {
  Instrument out;
  std::string_view symbol = text;
  if (const auto at = text.rfind('@'); at != std::string_view::npos) {
    const auto venue = parse_venue(text.substr(at + 1));
    if (!venue)
      return fail(fmt::format("\"{}\": unknown venue \"{}\" (expected binance, binance_usdm, coinbase, kucoin or kucoin_futures)", text,
                              text.substr(at + 1)));
    out.venue = *venue;
    symbol = text.substr(0, at);
  }
  if (symbol.empty()) return fail(fmt::format("\"{}\": no symbol before the venue", text));
  for (char c : symbol)
    if (c != '-' && !is_asset_char(c))
      return fail(fmt::format("\"{}\": a symbol is upper-case letters and digits{}", text,
                              dashed(out.venue) ? ", BASE-QUOTE" : ""));
  const auto [base, quote] = split(out.venue, symbol);
  if (dashed(out.venue) && (quote.empty() || base.empty() || quote.find('-') != std::string_view::npos))
    return fail(fmt::format("\"{}\": {} writes its symbols BASE-QUOTE, e.g. BTC-USD", text, venue_name(out.venue)));
  if (!dashed(out.venue) && symbol.find('-') != std::string_view::npos)
    return fail(fmt::format("\"{}\": {} writes its symbols without a dash, e.g. {}", text, venue_name(out.venue),
                            out.venue == VenueId::kucoin_futures ? "XBTUSDTM" : "BTCUSDT"));
  if (out.venue == VenueId::kucoin_futures && quote.empty())
    return fail(fmt::format("\"{}\": kucoin_futures writes a perpetual BASE QUOTE M, e.g. XBTUSDTM", text));
  out.symbol = std::string(symbol);
  out.base = std::string(base);
  out.quote = std::string(quote);
  return out;
}

bool quoted_in(std::string_view instrument, std::string_view asset) {
  const auto i = parse_instrument(instrument);
  if (!i || asset.empty()) return false;
  if (!i->quote.empty()) return i->quote == asset;
  return i->symbol.size() > asset.size() && std::string_view(i->symbol).ends_with(asset);
}

VenueId venue_of(std::string_view instrument) {
  const auto at = instrument.rfind('@');
  if (at == std::string_view::npos) return VenueId::binance;
  return parse_venue(instrument.substr(at + 1)).value_or(VenueId::binance);
}

std::string_view base_asset(std::string_view instrument) {
  VenueId venue = VenueId::binance;
  std::string_view symbol = instrument;
  if (const auto at = instrument.rfind('@'); at != std::string_view::npos) {
    if (const auto v = parse_venue(instrument.substr(at + 1))) venue = *v;
    symbol = instrument.substr(0, at);
  }
  return split(venue, symbol).first;
}

}  // namespace trader
