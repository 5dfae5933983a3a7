#include <doctest/doctest.h>

#include "credentials/credentials.hpp"

using namespace trader::credentials;

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

TEST_CASE("the fingerprint names a key without showing it") {
  const auto f = kDocExample.fingerprint();
  CHECK(f.size() == 8);
  CHECK(kDocExample.api_key.find(f) == std::string::npos);
  CHECK(ApiCredentials{"other", "x"}.fingerprint() != f);
}
