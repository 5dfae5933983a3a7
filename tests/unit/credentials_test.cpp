#include <doctest/doctest.h>

#include <fstream>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "credentials/credentials.hpp"
#include "credentials/jwt.hpp"
#include "credentials/kucoin_sign.hpp"
#include "test_support.hpp"

using namespace trader::credentials;
namespace credentials = trader::credentials;

namespace {
// Binance's documented example key pair (public, from the API docs).
const ApiCredentials kDocExample{"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                                 "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"};
}  // namespace

TEST_CASE("HMAC-SHA256 reproduces Binance's documented signature") {
  CHECK(hmac_sha256_hex(kDocExample.api_secret,
                        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
                        "timestamp=1499827319559") ==
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
  CHECK(equal_constant_time("abc", "abc"));
  CHECK_FALSE(equal_constant_time("abc", "abd"));
  CHECK_FALSE(equal_constant_time("abc", "abcd"));
}

TEST_CASE("key file: round trip, no plaintext, wrong passphrase and tampering refused") {
  const std::string file = encrypt_key_file(kDocExample, "correct horse", 2000);
  CHECK(file.rfind("trader-keys v1\nkdf pbkdf2-sha256 2000\n", 0) == 0);
  CHECK(file.find(kDocExample.api_secret) == std::string::npos);
  CHECK(file.find(kDocExample.api_key) == std::string::npos);
  CHECK(file.find("NhqPtmdS") == std::string::npos);

  auto back = decrypt_key_file(file, "correct horse");
  REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().message));
  CHECK(back->api_key == kDocExample.api_key);
  CHECK(back->api_secret == kDocExample.api_secret);
  CHECK(encrypt_key_file(kDocExample, "correct horse", 2000) != file);  // fresh salt and nonce

  auto wrong = decrypt_key_file(file, "correct horse!");
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().message.find("wrong passphrase") != std::string::npos);

  // One flipped ciphertext digit, or a lowered iteration count: authentication fails.
  std::string flipped = file;
  const auto at = flipped.find("ciphertext ") + 11;
  flipped[at] = flipped[at] == '0' ? '1' : '0';
  CHECK_FALSE(decrypt_key_file(flipped, "correct horse").has_value());
  std::string weaker = file;
  weaker.replace(weaker.find("2000"), 4, "1000");
  CHECK_FALSE(decrypt_key_file(weaker, "correct horse").has_value());

  auto junk = decrypt_key_file("hello\n", "x");
  REQUIRE_FALSE(junk.has_value());
  CHECK(junk.error().message.find("not a key file") != std::string::npos);
  auto partial = decrypt_key_file("trader-keys v1\nkdf pbkdf2-sha256 2000\nsalt zz\n", "x");
  REQUIRE_FALSE(partial.has_value());
  CHECK(partial.error().message.find("line 3") != std::string::npos);
  // No error ever carries the secret.
  for (const auto& r : {wrong, junk, partial}) CHECK(r.error().message.find(kDocExample.api_secret) == std::string::npos);
}

TEST_CASE("KuCoin signing reproduces the signatures of KuCoin's own SDK tests") {
  // Kucoin/kucoin-go-sdk signer_test.go: secret "efg", plain "GET/api/v1/orders".
  CHECK(hmac_sha256_base64("efg", "GET/api/v1/orders") == "iOdkcc7K6cyY8Cdr3yMcTgXCof4vhHCaDyrDSG7Qf3w=");
  // Kucoin/kucoin-universal-sdk test_default_signer.py: secret "test_api_secret", plain "test_plain".
  CHECK(hmac_sha256_base64("test_api_secret", "test_plain") == "jie/gxS38wLFFaBwl/cAzFbAzlI8MIny96jSXrB+iP4=");
  // A request's headers: the sign covers timestamp + METHOD + endpoint with its query + body;
  // the passphrase goes as its HMAC; its time is the universal SDK test's (1234567890 s).
  const ApiCredentials kc{"test_api_key", "test_api_secret", "test_passphrase"};
  const auto h = kucoin_headers(kc, 1234567890000, "POST", "/api/v1/hf/orders", R"({"clientOid":"c42","side":"buy"})");
  CHECK(h.key == "test_api_key");
  CHECK(h.timestamp == "1234567890000");
  CHECK(h.sign == hmac_sha256_base64("test_api_secret", R"(1234567890000POST/api/v1/hf/orders{"clientOid":"c42","side":"buy"})"));
  CHECK(h.passphrase == "Ikr9KjwgA4urCb5Az1TNKgQELW10z84iOq+wsZsRRz0=");
  CHECK(h.key_version == "2");
  CHECK(kucoin_headers(kc, 1, "GET", "/api/v1/accounts?currency=USDT", "", 3).key_version == "3");
  CHECK(kucoin_headers(kc, 1, "GET", "/api/v1/accounts?currency=USDT", "").sign !=
        kucoin_headers(kc, 1, "GET", "/api/v1/accounts?currency=USDC", "").sign);
  for (const auto& v : {h.sign, h.passphrase}) {
    CHECK(v.find("test_api_secret") == std::string::npos);
    CHECK(v.find("test_passphrase") == std::string::npos);
  }
}

TEST_CASE("key file v2 keeps a KuCoin key's passphrase, and a key without one still writes v1") {
  const ApiCredentials kc{"kc-key", "kc-secret", "kc pass phrase\nwith a line break"};
  const std::string file = encrypt_key_file(kc, "correct horse", 2000);
  CHECK(file.rfind("trader-keys v2\nkdf pbkdf2-sha256 2000\n", 0) == 0);
  CHECK(file.find("kc pass") == std::string::npos);
  auto back = decrypt_key_file(file, "correct horse");
  REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().message));
  CHECK(back->api_key == kc.api_key);
  CHECK(back->api_secret == kc.api_secret);
  CHECK(back->passphrase == kc.passphrase);
  // The version is authenticated: a v2 file relabelled v1 does not decrypt.
  std::string relabelled = file;
  relabelled.replace(0, 14, "trader-keys v1");
  CHECK_FALSE(decrypt_key_file(relabelled, "correct horse").has_value());
  CHECK(encrypt_key_file(ApiCredentials{"k", "s", ""}, "p", 2000).rfind("trader-keys v1\n", 0) == 0);
  CHECK(default_key_variables("kucoin").passphrase == "KUCOIN_API_PASSPHRASE");
  CHECK(default_key_variables("binance").passphrase.empty());
}

TEST_CASE("a new key file's passphrase needs 12 characters, counted as characters, not bytes") {
  auto short_one = check_new_passphrase("x");
  REQUIRE_FALSE(short_one);
  CHECK(short_one.error().message ==
        "the passphrase has 1 character; a key file's needs at least 12 (a short sentence): anyone who copies the "
        "file can try passphrases offline");
  CHECK_FALSE(check_new_passphrase("eleven char"));
  CHECK(check_new_passphrase("correct horse").value() == "correct horse");
  CHECK_FALSE(check_new_passphrase("\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c"));  // "пароль": 12 bytes, 6 characters
  CHECK(check_new_passphrase("\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c \xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c"));
}

TEST_CASE("a secret's file gives its first line without the line end, and says when it has none") {
  trader::test::TempDir dir;
  std::ofstream(dir.sub("crlf")) << "0123456789abcdef\r\nsecond line\n";
  CHECK(read_secret_file(dir.sub("crlf")).value() == "0123456789abcdef");
  std::ofstream(dir.sub("empty")) << "\n";
  auto empty = read_secret_file(dir.sub("empty"));
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message == dir.sub("empty") + ": its first line is empty; expected the secret");
  auto missing = read_secret_file(dir.sub("missing"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == dir.sub("missing") + " cannot be read: No such file or directory");
}

TEST_CASE("the fingerprint names a key without showing it") {
  const auto f = kDocExample.fingerprint();
  CHECK(f.size() == 8);
  CHECK(kDocExample.api_key.find(f) == std::string::npos);
  CHECK(ApiCredentials{"other", "x"}.fingerprint() != f);
}

namespace {
// A fresh EC key as PEM: SEC1 ("EC PRIVATE KEY", as CDP hands keys out) or its public part.
struct TestKey {
  std::string private_pem, public_pem;
  explicit TestKey(const char* curve = "P-256") {
    EVP_PKEY* key = EVP_EC_gen(curve);
    REQUIRE(key != nullptr);
    BIO* priv = BIO_new(BIO_s_mem());
    BIO* pub = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PrivateKey_traditional(priv, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    REQUIRE(PEM_write_bio_PUBKEY(pub, key) == 1);
    char* data = nullptr;
    const long priv_len = BIO_get_mem_data(priv, &data);
    private_pem.assign(data, static_cast<std::size_t>(priv_len));
    const long pub_len = BIO_get_mem_data(pub, &data);
    public_pem.assign(data, static_cast<std::size_t>(pub_len));
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(key);
  }
};
}  // namespace

TEST_CASE("ES256 JWT: Coinbase's header and claims, a signature the public key verifies") {
  TestKey key;
  CHECK(key.private_pem.rfind("-----BEGIN EC PRIVATE KEY-----", 0) == 0);
  credentials::JwtRequest r{"organizations/org-1/apiKeys/key-1", 1723161255, "GET api.coinbase.com/api/v3/brokerage/accounts",
                            "0123456789abcdef0123456789abcdef"};
  auto token = credentials::es256_jwt(key.private_pem, r);
  REQUIRE(token.has_value());
  for (const auto& with : {key.public_pem, key.private_pem}) {
    auto v = credentials::verify_es256_jwt(*token, with);
    REQUIRE(v.has_value());
    CHECK(v->header_json ==
          R"({"alg":"ES256","kid":"organizations/org-1/apiKeys/key-1","nonce":"0123456789abcdef0123456789abcdef","typ":"JWT"})");
    CHECK(v->claims_json == R"({"sub":"organizations/org-1/apiKeys/key-1","iss":"cdp","nbf":1723161255,"exp":1723161375,)"
                            R"("uri":"GET api.coinbase.com/api/v3/brokerage/accounts"})");
  }
  // A WebSocket token has no uri.
  r.uri.clear();
  token = credentials::es256_jwt(key.private_pem, r);
  REQUIRE(token.has_value());
  auto v = credentials::verify_es256_jwt(*token, key.public_pem);
  REQUIRE(v.has_value());
  CHECK(v->claims_json.find("uri") == std::string::npos);
  // The key as a CDP JSON file holds it: "\n" escapes.
  std::string escaped;
  for (char c : key.private_pem) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  CHECK(credentials::es256_jwt(escaped, r).has_value());
}

TEST_CASE("ES256 JWT: an edited token, another key, a wrong curve and a non-key are refused, naming no secret") {
  TestKey key, other;
  const credentials::JwtRequest r{"organizations/o/apiKeys/k", 1700000000, "POST api.coinbase.com/api/v3/brokerage/orders",
                                  credentials::random_nonce_hex()};
  CHECK(r.nonce.size() == 32);
  CHECK(r.nonce != credentials::random_nonce_hex());
  auto token = credentials::es256_jwt(key.private_pem, r);
  REQUIRE(token.has_value());
  auto refused = [](const std::string& t, const std::string& pem) {
    auto v = credentials::verify_es256_jwt(t, pem);
    REQUIRE_FALSE(v.has_value());
    return v.error().message;
  };
  CHECK(refused(*token, other.public_pem) == "the JWT's signature does not verify with this key");
  // The claims rewritten (a later exp), the signature kept.
  const auto dot1 = token->find('.'), dot2 = token->rfind('.');
  auto claims = credentials::from_base64url(token->substr(dot1 + 1, dot2 - dot1 - 1));
  REQUIRE(claims.has_value());
  claims->replace(claims->find("1700000120"), 10, "1800000120");
  const std::string edited = token->substr(0, dot1 + 1) + credentials::base64url(*claims) + token->substr(dot2);
  CHECK(refused(edited, key.public_pem) == "the JWT's signature does not verify with this key");
  CHECK(refused("a.b", key.public_pem) == "not a JWT (three base64url parts)");
  CHECK(refused(*token + "x", key.public_pem).find("signature") != std::string::npos);

  TestKey p384("P-384");
  auto wrong = credentials::es256_jwt(p384.private_pem, r);
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().message == "the key is not on the P-256 curve, which ES256 needs");
  const std::string not_a_key = "s3cret-that-is-not-a-pem";
  auto garbage = credentials::es256_jwt(not_a_key, r);
  REQUIRE_FALSE(garbage.has_value());
  CHECK(garbage.error().message.find(not_a_key) == std::string::npos);
  CHECK(garbage.error().message.find("PEM EC private key") != std::string::npos);
}

TEST_CASE("base64url: no padding, URL-safe, and back at every length") {
  CHECK(credentials::base64url("\xfb\xff") == "-_8");
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    auto back = credentials::from_base64url(credentials::base64url(bytes));
    REQUIRE(back.has_value());
    CHECK(*back == bytes);
    bytes += static_cast<char>(n * 37 + 250);
  }
  CHECK_FALSE(credentials::from_base64url("ab+c").has_value());
  CHECK_FALSE(credentials::from_base64url("abcde").has_value());
}
