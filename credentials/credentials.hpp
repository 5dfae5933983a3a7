#pragma once
// API credentials for a venue, and where they come from: environment variables or a key
// file encrypted with a passphrase. The secret never leaves this object except to sign;
// it has no formatter, and errors about it never include it.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace trader::credentials {

struct ApiCredentials {
  std::string api_key;
  std::string api_secret;
  std::string passphrase;  // the API passphrase KuCoin keys have (empty for venues without one)
  // A short public name for the key (first 8 hex of its SHA-256), for logs and messages.
  std::string fingerprint() const;
};

// From environment variables (e.g. BINANCE_API_KEY, BINANCE_API_SECRET; KuCoin's keys also
// KUCOIN_API_PASSPHRASE). A variable named and unset or empty is an error naming it.
Result<ApiCredentials> from_env(const char* key_var, const char* secret_var, const char* passphrase_var = nullptr);

// The variables a venue's keys are read from by default: "binance" -> BINANCE_API_KEY and
// BINANCE_API_SECRET, "coinbase" -> COINBASE_API_KEY (the key's name) and COINBASE_API_SECRET,
// "kucoin" -> KUCOIN_API_KEY, KUCOIN_API_SECRET and KUCOIN_API_PASSPHRASE.
struct KeyVariables {
  std::string key, secret, passphrase;  // passphrase: "" for a venue whose keys have none
};
KeyVariables default_key_variables(std::string_view venue);

// Key file: AES-256-GCM over the credentials, key derived from the passphrase with
// PBKDF2-HMAC-SHA256 (salted, iteration count in the file). Text, one field per line.
// "trader-keys v1" holds a key and a secret; "v2" (written when the credentials have an API
// passphrase) holds the three, each hex-encoded. Both read back.
inline constexpr std::uint32_t kDefaultIterations = 600'000;
std::string encrypt_key_file(const ApiCredentials& c, std::string_view passphrase,
                             std::uint32_t iterations = kDefaultIterations);
Result<ApiCredentials> decrypt_key_file(std::string_view file_text, std::string_view passphrase);

// Reads and decrypts `path`; errors name the file, never the secret.
Result<ApiCredentials> load_key_file(const std::string& path, std::string_view passphrase);

// HMAC-SHA256 of `payload` with `secret`, lowercase hex (Binance's request signature).
std::string hmac_sha256_hex(std::string_view secret, std::string_view payload);

// Constant-time comparison (signatures, tokens).
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace trader::credentials

namespace trader::credentials {

// The key file's passphrase: from the environment variable `env_var` if set, else typed at
// the terminal (not echoed), else one line of standard input (a pipe). Non-interactive
// runs (CI) without the variable and without input get an error, not a hang.
Result<std::string> read_passphrase(const char* env_var, const char* prompt);

// A secret kept in a file of its own (the control token): its first line, without the line
// end (a file saved with CRLF). A file that cannot be read, or whose first line is empty,
// is an error naming the file, never a silent "no secret".
Result<std::string> read_secret_file(const std::string& path);

// A new key file's passphrase, or why it is refused: anyone who copies the file may try
// passphrases offline, so it needs at least kMinPassphraseChars characters (a short
// sentence). Files made before keep opening with theirs.
inline constexpr std::size_t kMinPassphraseChars = 12;
Result<std::string> check_new_passphrase(std::string passphrase);

}  // namespace trader::credentials
