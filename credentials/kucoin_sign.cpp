#include "credentials/kucoin_sign.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace trader::credentials {

std::string hmac_sha256_base64(std::string_view secret, std::string_view payload) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  std::string out(4 * ((len + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(len));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

KucoinHeaders kucoin_headers(const ApiCredentials& c, std::int64_t timestamp_ms, std::string_view method,
                             std::string_view endpoint, std::string_view body, int key_version) {
  KucoinHeaders h;
  h.key = c.api_key;
  h.timestamp = std::to_string(timestamp_ms);
  std::string payload = h.timestamp;
  payload.append(method).append(endpoint).append(body);
  h.sign = hmac_sha256_base64(c.api_secret, payload);
  h.passphrase = hmac_sha256_base64(c.api_secret, c.passphrase);
  h.key_version = std::to_string(key_version);
  return h;
}

}  // namespace trader::credentials
