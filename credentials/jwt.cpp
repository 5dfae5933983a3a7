#include "credentials/jwt.hpp"

#include <memory>
#include <vector>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <fmt/format.h>

#include "base/hex.hpp"

namespace trader::credentials {
namespace {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using Sig = std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)>;

constexpr std::size_t kCoordinate = 32;  // P-256: r and s are 32 bytes each in a JWS

// CDP's JSON key files hold the PEM with "\n" escapes; a PEM pasted from one may too.
std::string unescaped(std::string_view pem) {
  std::string out;
  for (std::size_t i = 0; i < pem.size(); ++i) {
    if (pem[i] == '\\' && i + 1 < pem.size() && pem[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += pem[i];
    }
  }
  return out;
}

// A P-256 key from PEM: private (SEC1 or PKCS#8) or, when `public_ok`, public.
Result<PKey> load_p256(std::string_view pem_text, bool public_ok) {
  const std::string pem = unescaped(pem_text);
  auto read = [&](bool as_public) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    EVP_PKEY* key = as_public ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)
                              : PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    return PKey(key, &EVP_PKEY_free);
  };
  PKey key = read(false);
  if (!key && public_ok) key = read(true);
  if (!key)
    return fail(public_ok ? "the key is not a PEM EC key (public, or private: SEC1 or PKCS#8)"
                          : "the API secret is not a PEM EC private key (SEC1 \"EC PRIVATE KEY\" or PKCS#8)");
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(key.get(), "group", group, sizeof group, &len) != 1 ||
      std::string_view(group) != "prime256v1")
    return fail("the key is not on the P-256 curve, which ES256 needs");
  return key;
}

// JSON string content for a claim: the key name and uri are plain text, never quotes or
// control characters, so they need no escaping (refused otherwise).
bool plain(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == '"' || c == '\\') return false;
  return true;
}

}  // namespace

std::string base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

Result<std::string> from_base64url(std::string_view text) {
  std::string b64(text);
  for (auto& c : b64) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return fail("not base64url");
  }
  const std::size_t pad = (4 - b64.size() % 4) % 4;
  if (pad == 3) return fail("not base64url (bad length)");
  b64.append(pad, '=');
  std::string out(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return fail("not base64url");
  out.resize(static_cast<std::size_t>(n) - pad);  // DecodeBlock counts the padding's zero bytes
  return out;
}

std::string random_nonce_hex() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no randomness: nothing safe to sign with
  return to_hex({bytes, sizeof bytes});
}

Result<std::string> es256_jwt(std::string_view private_key_pem, const JwtRequest& r) {
  if (r.key_name.empty()) return fail("the API key name is empty");
  if (!plain(r.key_name) || !plain(r.uri) || !plain(r.nonce))
    return fail("the key name, uri and nonce must be plain text (no quotes, backslashes or control characters)");
  auto key = load_p256(private_key_pem, false);
  if (!key) return tl::unexpected(key.error());
  const std::string header =
      fmt::format(R"({{"alg":"ES256","kid":"{}","nonce":"{}","typ":"JWT"}})", r.key_name, r.nonce);
  std::string claims = fmt::format(R"({{"sub":"{}","iss":"cdp","nbf":{},"exp":{})", r.key_name, r.now_s,
                                   r.now_s + kJwtLifetimeS);
  if (!r.uri.empty()) claims += fmt::format(R"(,"uri":"{}")", r.uri);
  claims += "}";
  const std::string input = base64url(header) + "." + base64url(claims);

  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t der_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return fail("signing failed");
  std::vector<unsigned char> der(der_len);
  if (EVP_DigestSign(ctx.get(), der.data(), &der_len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    return fail("signing failed");
  // A JWS carries r and s as two fixed-width numbers, not OpenSSL's DER.
  const unsigned char* p = der.data();
  Sig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)), &ECDSA_SIG_free);
  if (!sig) return fail("signing failed");
  unsigned char raw[2 * kCoordinate];
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, kCoordinate) != kCoordinate ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + kCoordinate, kCoordinate) != kCoordinate)
    return fail("signing failed");
  return input + "." + base64url({reinterpret_cast<const char*>(raw), sizeof raw});
}

Result<VerifiedJwt> verify_es256_jwt(std::string_view token, std::string_view key_pem) {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return fail("not a JWT (three base64url parts)");
  VerifiedJwt out;
  auto header = from_base64url(token.substr(0, dot1));
  auto claims = from_base64url(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto raw = from_base64url(token.substr(dot2 + 1));
  if (!header || !claims || !raw) return fail("not a JWT (three base64url parts)");
  if (header->find(R"("alg":"ES256")") == std::string::npos) return fail("the JWT is not signed ES256");
  if (raw->size() != 2 * kCoordinate) return fail("the JWT's signature is not 64 bytes (ES256)");
  auto key = load_p256(key_pem, true);
  if (!key) return tl::unexpected(key.error());
  Sig sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()), kCoordinate, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()) + kCoordinate, kCoordinate, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return fail("the JWT's signature is not an ECDSA signature");
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return fail("the JWT's signature is not an ECDSA signature");
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(der, [](unsigned char* d) { OPENSSL_free(d); });
  const std::string_view input = token.substr(0, dot2);
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()) != 1 ||
      EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return fail("the JWT's signature does not verify with this key");
  out.header_json = std::move(*header);
  out.claims_json = std::move(*claims);
  return out;
}

}  // namespace trader::credentials
