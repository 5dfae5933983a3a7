#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

#include "credentials/credentials.hpp"
#include "base/hex.hpp"

namespace trader::credentials {

std::string hmac_sha256_hex(std::string_view secret, std::string_view payload) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  return to_hex({mac, len});
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace trader::credentials
