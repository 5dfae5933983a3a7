#pragma once
// What a symbol in a message names: an instrument of one venue. The text form is the
// venue's own symbol, then "@" and the venue ("BTC-USD@coinbase"). Binance's symbols are
// written bare ("BTCUSDT"): every journal before other venues holds them so, and
// "BTCUSDT@binance" in a config means the same instrument. Assets come from the venue's
// symbol: Coinbase and KuCoin write BASE-QUOTE, Binance glues them (the quote is a known
// suffix), so per-asset limits add one asset held on several venues.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace trader {

// binance_usdm: Binance USDⓈ-M futures, a venue of its own (its own hosts, keys, account
// and symbols: "BTCUSDT@binance_usdm" is the perpetual, "BTCUSDT" the spot pair).
// kucoin_futures: KuCoin Futures, likewise ("XBTUSDTM@kucoin_futures": KuCoin's USDT-margined
// bitcoin perpetual, whose base it names XBT, which is BTC).
enum class VenueId : std::uint8_t { binance = 0, coinbase, kucoin, binance_usdm, kucoin_futures };

// What an instrument is: a spot pair, or a linear (quote-margined) perpetual. It follows
// from the venue: a futures venue lists perpetuals.
enum class InstrumentKind : std::uint8_t { spot = 0, linear_perpetual };
InstrumentKind kind_of(VenueId venue);
std::string_view kind_name(InstrumentKind kind);

std::string_view venue_name(VenueId venue);
std::optional<VenueId> parse_venue(std::string_view name);

struct Instrument {
  VenueId venue = VenueId::binance;
  std::string symbol;  // the venue's own: "BTCUSDT", "BTC-USD"
  std::string base, quote;
  InstrumentKind kind() const { return kind_of(venue); }
  // The form messages and configs use: "BTCUSDT", "BTC-USD@coinbase".
  std::string name() const;
};

// "BTCUSDT", "BTCUSDT@binance", "BTC-USD@coinbase", "BTCUSDT@binance_usdm", "XBTUSDTM@kucoin_futures"
// (BASE QUOTE "M", glued). An unknown venue, an empty symbol or
// a symbol the venue does not write that way is an error saying so.
Result<Instrument> parse_instrument(std::string_view text);

// The form messages use for a venue's symbol: binance bare, others "SYMBOL@venue".
std::string instrument_name(VenueId venue, std::string_view venue_symbol);

// The venue an instrument's text form names: "BTC-USD@coinbase" -> coinbase; a bare
// symbol (or an unknown venue) -> binance.
VenueId venue_of(std::string_view instrument);

// Whether an instrument's text form names a perpetual ("BTCUSDT@binance_usdm", "XBTUSDTM@kucoin_futures").
bool is_perpetual(std::string_view instrument);

// Whether an instrument's text form is quoted in `asset`: its known quote ("BTCUSDT": USDT,
// "BTC-USD@coinbase": USD), or for a glued symbol without one ("XRPETH") whether the
// symbol ends in `asset` after a base. What one portfolio counting one cash asset may
// trade; false for text that names no instrument.
bool quoted_in(std::string_view instrument, std::string_view asset);

// Whether `text` is an asset as venues write it: capitals and digits, not empty ("USDT",
// "1000PEPE"). A symbol is assets glued or joined by a dash.
bool is_asset_name(std::string_view text);

// The base asset of an instrument's text form: "BTCUSDT" -> "BTC", "BTC-USD@coinbase" ->
// "BTC", "XBTUSDTM@kucoin_futures" -> "BTC". A text that names no known quote is its own asset.
std::string_view base_asset(std::string_view instrument);

}  // namespace trader
