#pragma once
// Reading Binance's JSON answers (REST and the WebSocket API share their field formats):
// decimal strings as fixed point, order statuses. Internal to exchange/binance.
#include <cstdint>
#include <optional>
#include <string_view>

#include <simdjson.h>

#include "exchange/venue.hpp"

namespace trader::binance {

std::optional<VenueOrderStatus> parse_status(std::string_view s);
// A decimal string field as fixed point; false if absent or not a decimal.
bool fixed_field(simdjson::dom::element e, const char* key, std::int64_t* out);

}  // namespace trader::binance
