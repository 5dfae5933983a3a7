#pragma once
// Coinbase's request tokens: a JWT signed ES256 (ECDSA P-256 over SHA-256) with a CDP API
// key's EC private key, fresh for every request. Header {alg ES256, kid, nonce, typ JWT};
// claims {sub = the key name, iss "cdp", nbf = now, exp = now + 120, uri "METHOD
// host/path"}; a WebSocket token has no uri. Through OpenSSL; errors never hold the key.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace trader::credentials {

inline constexpr std::int64_t kJwtLifetimeS = 120;

struct JwtRequest {
  std::string key_name;  // "organizations/{org_id}/apiKeys/{key_id}": the header's kid and the claims' sub
  std::int64_t now_s = 0;  // nbf; exp is now + kJwtLifetimeS
  std::string uri;         // "GET api.coinbase.com/api/v3/brokerage/accounts"; empty: a WebSocket token
  std::string nonce;       // random per token (random_nonce_hex)
};

// The signed token. `private_key_pem`: an EC P-256 key, SEC1 ("EC PRIVATE KEY", as CDP
// hands them out) or PKCS#8; the "\n" escapes of CDP's JSON key files are read as line
// breaks.
Result<std::string> es256_jwt(std::string_view private_key_pem, const JwtRequest& request);

// 16 random bytes from OpenSSL's generator, as hex.
std::string random_nonce_hex();

// A token whose signature checks out: its header and claims, as JSON text.
struct VerifiedJwt {
  std::string header_json, claims_json;
};
// Checks an ES256 token's signature with `key_pem`: a public key, or a private key's
// public part (the simulator holds the test key). Claims (exp, nbf, uri) are the caller's
// to judge.
Result<VerifiedJwt> verify_es256_jwt(std::string_view token, std::string_view key_pem);

// base64url without padding (RFC 7515), and back (nullopt-like error for bad text).
std::string base64url(std::string_view bytes);
Result<std::string> from_base64url(std::string_view text);

}  // namespace trader::credentials
