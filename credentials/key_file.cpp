#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "credentials/credentials.hpp"

#include <cctype>
#include "base/hex.hpp"

namespace trader::credentials {
namespace {

constexpr std::string_view kMagic = "trader-keys v1";     // plaintext: key "\n" secret
constexpr std::string_view kMagicV2 = "trader-keys v2";   // plaintext: hex(key) "\n" hex(secret) "\n" hex(passphrase)
constexpr int kKeyBytes = 32, kSaltBytes = 16, kNonceBytes = 12, kTagBytes = 16;

std::string to_hex(const unsigned char* p, std::size_t n) { return trader::to_hex({p, n}); }
std::string hex_of(std::string_view text) { return to_hex(reinterpret_cast<const unsigned char*>(text.data()), text.size()); }

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// Wipes key material when it goes out of scope.
struct SecretBytes {
  unsigned char bytes[kKeyBytes];
  ~SecretBytes() { OPENSSL_cleanse(bytes, sizeof bytes); }
};

bool derive(std::string_view passphrase, const std::string& salt, std::uint32_t iterations, SecretBytes& key) {
  return PKCS5_PBKDF2_HMAC(passphrase.data(), static_cast<int>(passphrase.size()),
                           reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                           static_cast<int>(iterations), EVP_sha256(), kKeyBytes, key.bytes) == 1;
}

}  // namespace

std::string ApiCredentials::fingerprint() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(api_key.data(), api_key.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(md, 4);
}

KeyVariables default_key_variables(std::string_view venue) {
  std::string upper(venue);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  // KuCoin's keys (spot's and futures') have an API passphrase.
  return {upper + "_API_KEY", upper + "_API_SECRET",
          venue == "kucoin" || venue == "kucoin_futures" ? upper + "_API_PASSPHRASE" : ""};
}

Result<ApiCredentials> from_env(const char* key_var, const char* secret_var, const char* passphrase_var) {
  const char* key = std::getenv(key_var);
  const char* secret = std::getenv(secret_var);
  if (key == nullptr || *key == '\0') return fail(fmt::format("{} is not set", key_var));
  if (secret == nullptr || *secret == '\0') return fail(fmt::format("{} is not set", secret_var));
  ApiCredentials c{key, secret, ""};
  if (passphrase_var != nullptr && *passphrase_var != '\0') {
    const char* passphrase = std::getenv(passphrase_var);
    if (passphrase == nullptr || *passphrase == '\0') return fail(fmt::format("{} is not set", passphrase_var));
    c.passphrase = passphrase;
  }
  return c;
}

std::string encrypt_key_file(const ApiCredentials& c, std::string_view passphrase, std::uint32_t iterations) {
  unsigned char salt[kSaltBytes], nonce[kNonceBytes], tag[kTagBytes];
  RAND_bytes(salt, kSaltBytes);
  RAND_bytes(nonce, kNonceBytes);
  SecretBytes key;
  derive(passphrase, std::string(reinterpret_cast<char*>(salt), kSaltBytes), iterations, key);
  const std::string_view magic = c.passphrase.empty() ? kMagic : kMagicV2;
  std::string plain = c.passphrase.empty() ? c.api_key + "\n" + c.api_secret
                                           : hex_of(c.api_key) + "\n" + hex_of(c.api_secret) + "\n" + hex_of(c.passphrase);
  std::string cipher(plain.size(), '\0');
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes, nonce);
  // The header is authenticated too, so the iteration count cannot be lowered unnoticed.
  const std::string aad = fmt::format("{}\nkdf pbkdf2-sha256 {}", magic, iterations);
  EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()), static_cast<int>(aad.size()));
  EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(cipher.data()), &len,
                    reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx.get(), nullptr, &len);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag);
  OPENSSL_cleanse(plain.data(), plain.size());
  return fmt::format("{}\nsalt {}\nnonce {}\nciphertext {}\ntag {}\n", aad, to_hex(salt, kSaltBytes),
                     to_hex(nonce, kNonceBytes), to_hex(reinterpret_cast<const unsigned char*>(cipher.data()), cipher.size()),
                     to_hex(tag, kTagBytes));
}

Result<ApiCredentials> decrypt_key_file(std::string_view file_text, std::string_view passphrase) {
  std::istringstream in{std::string(file_text)};
  std::string magic, line;
  std::getline(in, magic);
  if (magic != kMagic && magic != kMagicV2)
    return fail(fmt::format("not a key file (expected first line \"{}\" or \"{}\")", kMagic, kMagicV2));
  std::uint32_t iterations = 0;
  std::string salt, nonce, cipher, tag;
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    const auto sp = line.find(' ');
    const std::string name = line.substr(0, sp);
    const std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
    bool ok = true;
    if (name == "kdf") {
      ok = value.rfind("pbkdf2-sha256 ", 0) == 0;
      if (ok) {
        char* end = nullptr;
        const unsigned long n = std::strtoul(value.c_str() + 14, &end, 10);
        ok = *end == '\0' && n >= 1000 && n <= 100'000'000;
        iterations = static_cast<std::uint32_t>(n);
      }
    } else if (name == "salt") {
      ok = from_hex(value, salt) && salt.size() == kSaltBytes;
    } else if (name == "nonce") {
      ok = from_hex(value, nonce) && nonce.size() == kNonceBytes;
    } else if (name == "ciphertext") {
      ok = from_hex(value, cipher) && !cipher.empty();
    } else if (name == "tag") {
      ok = from_hex(value, tag) && tag.size() == kTagBytes;
    } else {
      return fail(fmt::format("line {}: unknown field \"{}\"", lineno, name));
    }
    if (!ok) return fail(fmt::format("line {}: malformed \"{}\"", lineno, name));
  }
  if (iterations == 0 || salt.empty() || nonce.empty() || cipher.empty() || tag.empty())
    return fail("incomplete key file (needs kdf, salt, nonce, ciphertext and tag)");
  SecretBytes key;
  if (!derive(passphrase, salt, iterations, key)) return fail("key derivation failed");
  std::string plain(cipher.size(), '\0');
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const std::string aad = fmt::format("{}\nkdf pbkdf2-sha256 {}", magic, iterations);
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes,
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()), static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                    reinterpret_cast<const unsigned char*>(cipher.data()), static_cast<int>(cipher.size()));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data());
  if (EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return fail("wrong passphrase, or the file was altered (authentication failed)");
  }
  ApiCredentials c;
  bool read = false;
  if (magic == kMagic) {
    const auto nl = plain.find('\n');
    read = nl != std::string::npos;
    if (read) c = {plain.substr(0, nl), plain.substr(nl + 1), ""};
  } else {
    const auto a = plain.find('\n'), b = a == std::string::npos ? a : plain.find('\n', a + 1);
    read = b != std::string::npos && from_hex(plain.substr(0, a), c.api_key) &&
           from_hex(plain.substr(a + 1, b - a - 1), c.api_secret) && from_hex(plain.substr(b + 1), c.passphrase);
  }
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!read) return fail("decrypted content is not a key, a secret and (v2) a passphrase");
  return c;
}

Result<ApiCredentials> load_key_file(const std::string& path, std::string_view passphrase) {
  std::ifstream f(path);
  if (!f) return fail(fmt::format("cannot read key file {}", path));
  std::stringstream text;
  text << f.rdbuf();
  auto c = decrypt_key_file(text.str(), passphrase);
  if (!c) return fail(fmt::format("key file {}: {}", path, c.error().message));
  return c;
}

}  // namespace trader::credentials
