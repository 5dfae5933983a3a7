#pragma once
// Exchange trading rules the cores respect when sizing and pricing orders, from config
// (journaled with it, so replay sizes orders the same): one set for every symbol, and a
// set of its own for a symbol whose venue steps differ. A testnet/live start checks each
// symbol's against the venue's filters (node::check_market_rules).
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "messages/fixed_point.hpp"

namespace trader {

struct MarketRules {
  std::int64_t lot_step = 1000;            // fixed point: 0.00001
  std::int64_t min_notional = 500000000;   // fixed point quote: 5
  std::int64_t tick_size = 1000000;        // fixed point quote: 0.01; a limit price is a multiple of it
  bool operator==(const MarketRules&) const = default;
};

// Every symbol's rules: [market] for all, [market."SYMBOL"] for a symbol whose steps differ
// (a cheap token beside BTC: BTC's tick of 0.01 would price a bid for a token at 0.1234
// 2.8 % off). One value for the strategies, risk, the paper venue and the portfolio.
struct MarketRuleBook {
  MarketRules every_symbol;
  std::map<std::string, MarketRules, std::less<>> by_symbol;  // ordered: printed and compared the same every run
  const MarketRules& of(std::string_view symbol) const {
    const auto it = by_symbol.find(symbol);
    return it == by_symbol.end() ? every_symbol : it->second;
  }
  // The config key that sets `rule` ("tick_size") for `symbol`: market.tick_size, or
  // market.SYMBOL.tick_size where the symbol has rules of its own.
  std::string key(std::string_view symbol, std::string_view rule) const {
    std::string k = "market.";
    if (by_symbol.find(symbol) != by_symbol.end()) k.append(symbol).append(".");
    return k.append(rule);
  }
  bool operator==(const MarketRuleBook&) const = default;
};

// Rounds a positive quantity down to the lot step.
inline std::int64_t floor_to_lot(std::int64_t qty, std::int64_t lot_step) {
  if (qty <= 0 || lot_step <= 0) return qty <= 0 ? 0 : qty;
  return qty - qty % lot_step;
}

// Rounds a positive price down to the tick (a buy's limit never rounds up past its budget).
inline std::int64_t floor_to_tick(std::int64_t price, std::int64_t tick_size) {
  if (price <= 0 || tick_size <= 0) return price <= 0 ? 0 : price;
  return price - price % tick_size;
}

// Rounds a positive price up to the tick (a short's limit above the close).
inline std::int64_t ceil_to_tick(std::int64_t price, std::int64_t tick_size) {
  if (price <= 0 || tick_size <= 0) return price <= 0 ? 0 : price;
  return price % tick_size == 0 ? price : price - price % tick_size + tick_size;
}

// What an exit of a position (either sign) can send at `price`: its whole lots, if they
// are worth the minimum notional. A spot venue refuses less, market orders included
// (Binance's NOTIONAL filter, at a recent price), every time: that rest is dust, valued
// and held, and sold with the symbol's next exit. A perpetual's exit is reduce-only, which
// the minimum exempts. With no price known (0) the whole lots: the venue decides.
inline std::int64_t exit_qty(std::int64_t held, std::int64_t price, const MarketRules& rules, bool reduce_only) {
  const std::int64_t size = held >= 0 ? held : held == std::numeric_limits<std::int64_t>::min() ? -(held + 1) : -held;
  const std::int64_t qty = floor_to_lot(size, rules.lot_step);
  if (qty <= 0 || reduce_only || price <= 0) return qty;
  const auto notional = mul_fixed_checked(qty, price);
  return !notional || *notional >= rules.min_notional ? qty : 0;  // no notional: beyond 64 bits, far above
}

}  // namespace trader
