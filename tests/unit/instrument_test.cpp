#include <doctest/doctest.h>

#include "messages/instrument.hpp"

using namespace trader;

TEST_CASE("instruments: the venue after @, binance written bare, assets from the venue's symbol") {
  auto i = parse_instrument("BTC-USD@coinbase");
  REQUIRE(i);
  CHECK(i->venue == VenueId::coinbase);
  CHECK(i->symbol == "BTC-USD");
  CHECK(i->base == "BTC");
  CHECK(i->quote == "USD");
  CHECK(i->name() == "BTC-USD@coinbase");
  i = parse_instrument("BTCUSDT@binance");
  REQUIRE(i);
  CHECK(i->name() == "BTCUSDT");  // as every journal before other venues holds it
  CHECK(i->base == "BTC");
  CHECK(i->quote == "USDT");
  i = parse_instrument("ETHFDUSD");
  REQUIRE(i);
  CHECK(i->venue == VenueId::binance);
  CHECK(i->base == "ETH");
  i = parse_instrument("BTC-USDT@kucoin");
  REQUIRE(i);
  CHECK(i->quote == "USDT");
  CHECK(venue_of("BTC-USD@coinbase") == VenueId::coinbase);
  CHECK(venue_of("BTCUSDT") == VenueId::binance);
  CHECK(venue_of("BTC-USDT@kucoin") == VenueId::kucoin);
}

TEST_CASE("instruments that are not: each error says what is expected") {
  auto err = [](const char* text) {
    auto i = parse_instrument(text);
    REQUIRE_FALSE(i);
    return i.error().message;
  };
  CHECK(err("BTCUSD@kraken").find("unknown venue \"kraken\"") != std::string::npos);
  CHECK(err("BTCUSD@coinbase").find("BASE-QUOTE") != std::string::npos);
  CHECK(err("BTC-USD").find("without a dash") != std::string::npos);  // a Coinbase symbol with no venue
  CHECK(err("@coinbase").find("no symbol") != std::string::npos);
  CHECK(err("btcusdt").find("upper-case") != std::string::npos);
  CHECK(err("BTC-USD-X@coinbase").find("BASE-QUOTE") != std::string::npos);
}

TEST_CASE("one asset on several venues is one asset") {
  CHECK(base_asset("BTCUSDT") == "BTC");
  CHECK(base_asset("BTC-USD@coinbase") == "BTC");
  CHECK(base_asset("BTC-USDT@kucoin") == "BTC");
  CHECK(base_asset("ETHBTC") == "ETHBTC");  // no stable quote: counts on its own
}

TEST_CASE("a Binance USDⓈ-M perpetual is an instrument of its own venue, and of kind linear perpetual") {
  auto i = parse_instrument("BTCUSDT@binance_usdm");
  REQUIRE(i);
  CHECK(i->venue == VenueId::binance_usdm);
  CHECK(i->base == "BTC");
  CHECK(i->quote == "USDT");
  CHECK(i->kind() == InstrumentKind::linear_perpetual);
  CHECK(i->name() == "BTCUSDT@binance_usdm");
  CHECK(parse_instrument("BTCUSDT")->kind() == InstrumentKind::spot);
  CHECK(is_perpetual("BTCUSDT@binance_usdm"));
  CHECK_FALSE(is_perpetual("BTCUSDT"));
  CHECK_FALSE(is_perpetual("BTC-USDT@kucoin"));
  CHECK(base_asset("BTCUSDT@binance_usdm") == "BTC");  // one asset with the spot pair's
  auto dashed = parse_instrument("BTC-USDT@binance_usdm");
  REQUIRE_FALSE(dashed);
  CHECK(dashed.error().message.find("binance_usdm writes its symbols without a dash") != std::string::npos);
}

TEST_CASE("a KuCoin Futures perpetual: BASE QUOTE M, glued, its XBT is bitcoin, one asset with BTC elsewhere") {
  auto i = parse_instrument("XBTUSDTM@kucoin_futures");
  REQUIRE(i);
  CHECK(i->venue == VenueId::kucoin_futures);
  CHECK(i->symbol == "XBTUSDTM");
  CHECK(i->base == "BTC");
  CHECK(i->quote == "USDT");
  CHECK(i->kind() == InstrumentKind::linear_perpetual);
  CHECK(i->name() == "XBTUSDTM@kucoin_futures");
  CHECK(is_perpetual("XBTUSDTM@kucoin_futures"));
  CHECK(base_asset("XBTUSDTM@kucoin_futures") == "BTC");
  CHECK(base_asset("ETHUSDTM@kucoin_futures") == "ETH");
  CHECK(venue_of("ETHUSDTM@kucoin_futures") == VenueId::kucoin_futures);
  for (const char* odd : {"XBTUSDT@kucoin_futures", "XBT-USDTM@kucoin_futures", "M@kucoin_futures", "XBTM@kucoin_futures"}) {
    auto refused = parse_instrument(odd);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("XBTUSDTM") != std::string::npos);
  }
}

TEST_CASE("quoted_in: one portfolio counts one cash asset, so what an instrument is quoted in must be that one") {
  CHECK(quoted_in("BTCUSDT", "USDT"));
  CHECK_FALSE(quoted_in("BTCUSDT", "USDC"));  // another stablecoin is another asset
  CHECK(quoted_in("BTC-USD@coinbase", "USD"));
  CHECK_FALSE(quoted_in("BTC-USDT@kucoin", "USD"));
  CHECK(quoted_in("BTCUSDT@binance_usdm", "USDT"));
  CHECK(quoted_in("XBTUSDTM@kucoin_futures", "USDT"));
  // Glued symbols quoted in a crypto asset: by their ending.
  CHECK(quoted_in("XRPETH", "ETH"));
  CHECK_FALSE(quoted_in("XRPETH", "USDT"));
  CHECK(quoted_in("ETHBTC", "BTC"));
  CHECK_FALSE(quoted_in("ETH", "ETH"));  // no base before it
  CHECK_FALSE(quoted_in("btcusdt", "USDT"));  // not an instrument
  CHECK_FALSE(quoted_in("BTCUSDT", ""));
}

TEST_CASE("is_asset_name: capitals and digits, not empty, the rule a symbol's parts and a config's cash asset share") {
  for (const std::string_view good : {"USDT", "BTC", "1000PEPE", "USD"}) CHECK(is_asset_name(good));
  for (const std::string_view bad : {"", "usdt", "US-D", "USD ", "BTC@binance", "ÜSD"}) CHECK_FALSE(is_asset_name(bad));
  // The symbol check rests on the same characters: a lower-case letter is refused in both.
  CHECK_FALSE(parse_instrument("BTCusdt").has_value());
  CHECK(parse_instrument("1000PEPEUSDT").has_value());
}
