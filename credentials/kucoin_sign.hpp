#pragma once
// KuCoin's request signing (API key versions 2 and 3): every private request carries
//   KC-API-KEY         the key,
//   KC-API-TIMESTAMP   the time in ms,
//   KC-API-SIGN        base64(HMAC-SHA256(secret, timestamp + METHOD + endpoint[?query] + body)),
//   KC-API-PASSPHRASE  base64(HMAC-SHA256(secret, the API passphrase)),
//   KC-API-KEY-VERSION "2" or "3" (the version the key was made with).
// The secret and the passphrase never leave this function except as those HMACs.
#include <cstdint>
#include <string>
#include <string_view>

#include "credentials/credentials.hpp"

namespace trader::credentials {

// HMAC-SHA256 of `payload` with `secret`, base64 (KuCoin's KC-API-SIGN and KC-API-PASSPHRASE).
std::string hmac_sha256_base64(std::string_view secret, std::string_view payload);

struct KucoinHeaders {
  std::string key, timestamp, sign, passphrase, key_version;
};

// The headers of one request: `method` "GET" or "POST", `endpoint` the path with its query
// ("/api/v1/orders?status=active"), `body` the JSON sent (empty for GET).
KucoinHeaders kucoin_headers(const ApiCredentials& c, std::int64_t timestamp_ms, std::string_view method,
                             std::string_view endpoint, std::string_view body, int key_version = 2);

}  // namespace trader::credentials
