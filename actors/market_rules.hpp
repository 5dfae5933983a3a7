#pragma once
// Exchange trading rules the cores respect when sizing orders (one set for all symbols,
// from config, so replay sizes orders the same; a testnet/live start checks them against
// the venue's filters for each symbol: node::check_market_rules).
#include <cstdint>

namespace trader {

struct MarketRules {
  std::int64_t lot_step = 1000;            // fixed point: 0.00001
  std::int64_t min_notional = 500000000;   // fixed point quote: 5
  std::int64_t tick_size = 1000000;        // fixed point quote: 0.01; a limit price is a multiple of it
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

}  // namespace trader
