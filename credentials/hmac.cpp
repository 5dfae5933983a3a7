#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

#include "credentials/credentials.hpp"

namespace trader::credentials {

std::string hmac_sha256_hex(std::string_view secret, std::string_view payload) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  std::string out;
  out.reserve(2 * len);
  for (unsigned i = 0; i < len; ++i) fmt::format_to(std::back_inserter(out), "{:02x}", mac[i]);
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace trader::credentials
