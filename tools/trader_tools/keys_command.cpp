// trader-tools keys encrypt|check and sign binance|coinbase|kucoin: credentials without ever echoing them.
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/wall_clock.hpp"
#include "credentials/credentials.hpp"
#include "credentials/jwt.hpp"
#include "credentials/kucoin_sign.hpp"
#include "journal/directory.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {

constexpr const char* kPassphraseEnv = "TRADER_KEYS_PASSPHRASE";

struct KeysOptions {
  std::string file, key_env = "BINANCE_API_KEY", secret_env = "BINANCE_API_SECRET", api_passphrase_env;
  std::string passphrase_env = kPassphraseEnv;
  bool force = false;
};

// Whether `path` may be written: not a journal's file (--force truncates what it names),
// not an existing file without --force. Checked before the passphrase is asked for.
Status check_key_file_path(const std::string& path, bool force) {
  if (auto own = journal::refuse_own_file(path); !own) return own;
  std::error_code ec;
  if (!force && std::filesystem::exists(path, ec)) return fail(fmt::format("{} exists (use --force to replace it)", path));
  return {};
}

// Writes `text` to a new file readable by its owner only. `path` passed
// check_key_file_path before the passphrase was asked for; O_EXCL still refuses a file
// made since.
Status write_private(const std::string& path, const std::string& text, bool force) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0)
    return fail(errno == EEXIST ? fmt::format("{} exists (use --force to replace it)", path)
                                : fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  ::fchmod(fd, 0600);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) return fail(fmt::format("cannot write {}", path));
  return {};
}

}  // namespace

void add_keys_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<KeysOptions>();
  auto* keys = app.add_subcommand("keys", "Encrypt API credentials into a key file, or check one");
  keys->require_subcommand(1);

  auto* enc = keys->add_subcommand("encrypt",
                                   "Read the API key and secret from the environment and write them to FILE, "
                                   "encrypted (AES-256-GCM, PBKDF2-SHA256) with a passphrase");
  enc->add_option("--out", o->file, "key file to write (mode 0600)")->required();
  enc->add_option("--key-env", o->key_env, "variable holding the API key")->capture_default_str();
  enc->add_option("--secret-env", o->secret_env, "variable holding the API secret")->capture_default_str();
  enc->add_option("--api-passphrase-env", o->api_passphrase_env,
                  "variable holding the key's API passphrase (KuCoin's keys have one: KUCOIN_API_PASSPHRASE)");
  enc->add_option("--passphrase-env", o->passphrase_env,
                  "variable holding the passphrase (else asked at the terminal, or read from stdin)")
      ->capture_default_str();
  enc->add_flag("--force", o->force, "replace an existing file");
  enc->callback([o, &exit_code] {
    auto creds = credentials::from_env(o->key_env.c_str(), o->secret_env.c_str(), o->api_passphrase_env.c_str());
    if (!creds) {
      fmt::print(stderr, "error: {}\n", creds.error().message);
      exit_code = kExitError;
      return;
    }
    if (auto st = check_key_file_path(o->file, o->force); !st) {
      fmt::print(stderr, "error: {}\n", st.error().message);
      exit_code = kExitError;
      return;
    }
    auto pass = credentials::read_passphrase(o->passphrase_env.c_str(), "passphrase for the key file: ");
    if (pass) pass = credentials::check_new_passphrase(std::move(*pass));
    if (!pass) {
      fmt::print(stderr, "error: {}\n", pass.error().message);
      exit_code = kExitError;
      return;
    }
    if (auto st = write_private(o->file, credentials::encrypt_key_file(*creds, *pass), o->force); !st) {
      fmt::print(stderr, "error: {}\n", st.error().message);
      exit_code = kExitError;
      return;
    }
    fmt::print("wrote {}: API key {} (fingerprint), encrypted with AES-256-GCM\n", o->file, creds->fingerprint());
    exit_code = kExitOk;
  });

  auto* check = keys->add_subcommand("check", "Decrypt a key file with its passphrase and say whose key it holds");
  check->add_option("file", o->file, "key file")->required();
  check->add_option("--passphrase-env", o->passphrase_env, "variable holding the passphrase")->capture_default_str();
  check->callback([o, &exit_code] {
    auto pass = credentials::read_passphrase(o->passphrase_env.c_str(), "passphrase for the key file: ");
    if (!pass) {
      fmt::print(stderr, "error: {}\n", pass.error().message);
      exit_code = kExitError;
      return;
    }
    auto creds = credentials::load_key_file(o->file, *pass);
    if (!creds) {
      fmt::print(stderr, "error: {}\n", creds.error().message);
      exit_code = kExitFailed;
      return;
    }
    fmt::print("ok: {} holds API key {} (fingerprint), {}-character secret{}\n", o->file, creds->fingerprint(),
               creds->api_secret.size(), creds->passphrase.empty() ? "" : ", an API passphrase");
    exit_code = kExitOk;
  });
}

void add_sign_command(CLI::App& app, int& exit_code) {
  auto query = std::make_shared<std::string>();
  auto* sign = app.add_subcommand("sign", "Print a request signature (for 'signature not valid' errors)");
  sign->require_subcommand(1);
  auto* binance = sign->add_subcommand(
      "binance", "HMAC-SHA256 of the query string with the secret in BINANCE_API_SECRET, as Binance computes it");
  binance->add_option("--query", *query, "the query string (or body) exactly as sent, without &signature=")
      ->required();
  binance->callback([query, &exit_code] {
    const char* secret = std::getenv("BINANCE_API_SECRET");
    if (secret == nullptr || *secret == '\0') {
      fmt::print(stderr, "error: BINANCE_API_SECRET is not set\n");
      exit_code = kExitError;
      return;
    }
    fmt::print("{}\n", credentials::hmac_sha256_hex(secret, *query));
    exit_code = kExitOk;
  });

  auto uri = std::make_shared<std::string>();
  auto* coinbase = sign->add_subcommand(
      "coinbase",
      "A Coinbase request token: a JWT signed ES256 now with the key named in COINBASE_API_KEY and the EC private "
      "key (PEM) in COINBASE_API_SECRET, valid 120 s");
  coinbase->add_option("--uri", *uri, "\"METHOD host/path\", e.g. \"GET api.coinbase.com/api/v3/brokerage/accounts\"; "
                                      "without it, a WebSocket token");
  coinbase->callback([uri, &exit_code] {
    exit_code = kExitError;
    auto creds = credentials::from_env("COINBASE_API_KEY", "COINBASE_API_SECRET");
    if (!creds) return fmt::print(stderr, "error: {}\n", creds.error().message);
    const credentials::JwtRequest request{creds->api_key, wall_ns() / 1'000'000'000, *uri, credentials::random_nonce_hex()};
    auto token = credentials::es256_jwt(creds->api_secret, request);
    if (!token) return fmt::print(stderr, "error: COINBASE_API_SECRET: {}\n", token.error().message);
    fmt::print("{}\n", *token);
    exit_code = kExitOk;
  });

  struct KucoinRequest {
    std::string method = "GET", endpoint, body;
    std::int64_t timestamp_ms = 0;
    int key_version = 2;
  };
  auto kc = std::make_shared<KucoinRequest>();
  auto* kucoin = sign->add_subcommand(
      "kucoin",
      "KuCoin's request headers, as KuCoin computes them: KC-API-SIGN and KC-API-PASSPHRASE from the key in "
      "KUCOIN_API_KEY, KUCOIN_API_SECRET and KUCOIN_API_PASSPHRASE");
  kucoin->add_option("--method", kc->method, "GET, POST or DELETE")
      ->check(CLI::IsMember({"GET", "POST", "DELETE"}))
      ->capture_default_str();
  kucoin->add_option("--endpoint", kc->endpoint, "the path with its query, e.g. \"/api/v1/accounts?currency=USDT\"")
      ->required();
  kucoin->add_option("--body", kc->body, "the JSON body exactly as sent (POST)");
  kucoin->add_option("--timestamp", kc->timestamp_ms, "ms since 1970 (default: now)");
  kucoin->add_option("--key-version", kc->key_version, "the API key's version")->check(CLI::IsMember({2, 3}))
      ->capture_default_str();
  kucoin->callback([kc, &exit_code] {
    exit_code = kExitError;
    auto creds = credentials::from_env("KUCOIN_API_KEY", "KUCOIN_API_SECRET", "KUCOIN_API_PASSPHRASE");
    if (!creds) return fmt::print(stderr, "error: {}\n", creds.error().message);
    const auto h = credentials::kucoin_headers(*creds, kc->timestamp_ms > 0 ? kc->timestamp_ms : wall_ns() / 1'000'000,
                                               kc->method, kc->endpoint, kc->body, kc->key_version);
    fmt::print("KC-API-KEY: {}\nKC-API-TIMESTAMP: {}\nKC-API-SIGN: {}\nKC-API-PASSPHRASE: {}\nKC-API-KEY-VERSION: {}\n",
               h.key, h.timestamp, h.sign, h.passphrase, h.key_version);
    exit_code = kExitOk;
  });
}

}  // namespace trader::tools
