#pragma once
// One KuCoin REST connection as both KuCoin APIs use it (spot's api.kucoin.com and
// futures' api-futures.kucoin.com share the protocol): KC-API-* signed requests
// (credentials/kucoin_sign.hpp) dated on KuCoin's clock (KuCoin refuses a timestamp 5 s
// off its own), KuCoin's {"code":"200000","data":...} answers, and its failures as
// VenueFailures: 429 (429000) rate_limited until the resource pool resets
// (gw-ratelimit-reset, ms), 5xx may have happened (unknown), anything else refused with
// KuCoin's code and message. Internal to exchange/kucoin.
#include <cstdint>
#include <memory>
#include <string>

#include <simdjson.h>

#include "base/result.hpp"
#include "exchange/kucoin/rest_options.hpp"
#include "exchange/venue.hpp"

namespace trader::net {
class HttpsClient;
}

namespace trader::kucoin {

class RestSession {
 public:
  // Refuses a key without its passphrase or of a version KuCoin does not sign with.
  static Result<std::unique_ptr<RestSession>> create(RestVenueOptions options);
  ~RestSession();

  // One request: its answer's "data" when KuCoin says "200000" (valid until the next call),
  // else the failure. `query` without its "?"; a signed request carries KC-API-* headers.
  VenueReply<simdjson::dom::element> call(const char* method, const std::string& path, const std::string& query,
                                          const std::string& body, bool signed_);
  // The same, `read` making the caller's value of the data.
  template <class T, class Read>
  VenueReply<T> call(const char* method, const std::string& path, const std::string& query, const std::string& body,
                     bool signed_, Read&& read) {
    auto data = call(method, path, query, body, signed_);
    if (!data) return tl::unexpected(data.error());
    return read(*data);
  }
  // GET /api/v1/timestamp: KuCoin's clock minus ours (ms), which dates every signed request after.
  VenueReply<std::int64_t> sync_time();
  // What the resource pool says is used (gw-ratelimit-limit - gw-ratelimit-remaining).
  std::int64_t used_weight() const { return pool_used_; }

 private:
  RestSession() = default;
  RestVenueOptions options_;
  std::unique_ptr<net::HttpsClient> http_;
  simdjson::dom::parser parser_;
  std::int64_t offset_ms_ = 0;
  std::int64_t pool_used_ = 0;
};

}  // namespace trader::kucoin
