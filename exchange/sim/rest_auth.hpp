#pragma once
// Binance's SIGNED request check, as the simulator applies it: API key header, timestamp
// within recvWindow of the venue's clock, HMAC-SHA256 over query string + body.
#include <cstdint>
#include <string>
#include <string_view>

#include "exchange/sim/sim_venue.hpp"

namespace trader::sim {

// "a=1&b=%41" -> {a: 1, b: A}
Params parse_params(std::string_view text);

struct SignedRequest {
  std::string_view api_key_header;  // X-MBX-APIKEY ("" if absent)
  std::string_view query;           // after '?'
  std::string_view body;            // form body
};

// The request's parameters if it is properly signed with `secret` for `api_key`.
VenueResult<Params> authenticate(const SignedRequest& r, const std::string& api_key, const std::string& secret,
                                 std::int64_t now_ms);

}  // namespace trader::sim
