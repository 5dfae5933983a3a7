// trader-tools exchange-sim: the local venue (Binance, or Coinbase's REST) the live path is tested on.
#include <csignal>
#include <fstream>
#include <limits>
#include <memory>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "base/wall_clock.hpp"
#include "credentials/credentials.hpp"
#include "credentials/jwt.hpp"
#include "exchange/binance/frame_parser.hpp"
#include "exchange/sim/sim_server.hpp"
#include "messages/fixed_point.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {

sim::SimServer* g_running = nullptr;
void on_stop_signal(int) {
  if (g_running != nullptr) g_running->stop();
}

struct SimArgs {
  sim::SimOptions options;
  std::string listen = "127.0.0.1:0", cert_out, port_file, speed = "1";
  std::string venue = "binance";
  std::string key_env, secret_env, passphrase_env;  // default: the venue's (BINANCE_API_KEY, COINBASE_API_KEY...)
  std::vector<std::string> balances;
  std::string lot_step = "0.00001", min_notional = "5";
  std::string history;
  std::string funding_rate = "0.0001", funding_interval = "8h";  // binance_usdm's marks
};

// A duration like 20h or 8h in seconds (s, m, h, d or w; not months); 0 when not one.
std::uint32_t duration_s(const std::string& text) {
  return !text.empty() && text.back() == 'M' ? 0 : binance::interval_seconds(text);
}

Status parse_args(SimArgs& a) {
  const auto colon = a.listen.rfind(':');
  if (colon == std::string::npos) return fail(fmt::format("--listen {}: expected HOST:PORT", a.listen));
  a.options.host = a.listen.substr(0, colon);
  try {
    const int port = std::stoi(a.listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    a.options.port = static_cast<unsigned short>(port);
  } catch (const std::exception&) {
    return fail(fmt::format("--listen {}: expected HOST:PORT with a port 0-65535", a.listen));
  }
  if (a.speed == "max") {
    a.options.speed = 0;
  } else {
    try {
      a.options.speed = std::stod(a.speed);
    } catch (const std::exception&) {
      return fail(fmt::format("--speed {}: expected \"max\" or a multiple of real time", a.speed));
    }
    if (a.options.speed <= 0) return fail(fmt::format("--speed {}: expected a positive multiple", a.speed));
  }
  a.options.venue = parse_venue(a.venue).value_or(VenueId::binance);
  const auto rate = parse_fixed(a.funding_rate);
  if (!rate) return fail(fmt::format("--funding-rate {}: expected a decimal, e.g. 0.0001 or -0.00005", a.funding_rate));
  a.options.marks.funding_rate = *rate;
  const auto funding_s = duration_s(a.funding_interval);
  if (funding_s == 0)
    return fail(fmt::format("--funding-interval {}: expected a duration like 8h or 1m (s, m, h, d or w)", a.funding_interval));
  a.options.marks.funding_interval_ms = std::int64_t{funding_s} * 1000;
  const bool coinbase = a.options.venue == VenueId::coinbase;
  const auto key_variables = credentials::default_key_variables(a.venue);
  if (a.key_env.empty()) a.key_env = key_variables.key;
  if (a.secret_env.empty()) a.secret_env = key_variables.secret;
  if (a.passphrase_env.empty()) a.passphrase_env = key_variables.passphrase;
  if (coinbase) a.options.balances = {{"USD", 10'000'00000000}, {"USDC", 10'000'00000000}};
  if (!a.balances.empty()) a.options.balances.clear();
  for (const auto& b : a.balances) {
    const auto eq = b.find('=');
    const auto amount = eq == std::string::npos ? std::nullopt : parse_fixed(b.substr(eq + 1));
    if (!amount) return fail(fmt::format("--balance {}: expected ASSET=AMOUNT, e.g. USDT=10000", b));
    a.options.balances[b.substr(0, eq)] = *amount;
  }
  const auto step = parse_fixed(a.lot_step);
  if (!step || *step <= 0) return fail(fmt::format("--lot-step {}: expected a positive decimal, e.g. 0.00001", a.lot_step));
  a.options.filters.step_size = a.options.filters.min_qty = *step;
  const auto notional = parse_fixed(a.min_notional);
  if (!notional || *notional < 0) return fail(fmt::format("--min-notional {}: expected a decimal, e.g. 5", a.min_notional));
  a.options.filters.min_notional = *notional;
  if (!a.history.empty()) {
    const auto s = duration_s(a.history);
    if (s == 0) return fail(fmt::format("--history {}: expected a duration like 20h or 2d (s, m, h, d or w)", a.history));
    a.options.history_ms = std::int64_t{s} * 1000;
  }
  auto creds = credentials::from_env(a.key_env.c_str(), a.secret_env.c_str(), a.passphrase_env.c_str());
  if (!creds) return fail(fmt::format("{} (the simulator's one account uses these credentials)", creds.error().message));
  a.options.api_key = creds->api_key;
  a.options.api_secret = creds->api_secret;
  a.options.api_passphrase = creds->passphrase;
  if (coinbase)  // the key must sign, or every request would be refused for a reason nobody sees
    if (auto probe = credentials::es256_jwt(creds->api_secret, {creds->api_key, wall_ns() / 1'000'000'000, "", "0"}); !probe)
      return fail(fmt::format("{}: {}", a.secret_env, probe.error().message));
  return {};
}

}  // namespace

void add_exchange_sim_command(CLI::App& app, int& exit_code) {
  // Fault counts and delays: 0 is off; a negative one is a typo, not a fault.
  const CLI::Range kNotNegative(0, std::numeric_limits<int>::max());
  auto a = std::make_shared<SimArgs>();
  auto* cmd = app.add_subcommand("exchange-sim",
                                 "A local Binance-compatible venue over TLS: the combined stream replays captures, "
                                 "REST takes signed orders and fills them against the replayed trades");
  cmd->add_option("--venue", a->venue,
                  "binance; coinbase: Advanced Trade REST with JWT checks and its market-data WebSocket, over Coinbase "
                  "captures; kucoin: spot REST with KC-API-* checks, the bullet handshake and KuCoin's WebSocket "
                  "protocol, over KuCoin captures; binance_usdm: Binance USDⓈ-M's combined stream over USDⓈ-M captures, "
                  "with <symbol>@markPrice@1s frames made from their books, and its /fapi REST; kucoin_futures: KuCoin "
                  "Futures' bullet, contracts and WebSocket over KuCoin Futures captures, with /contract/instrument marks "
                  "and /contract/announcement funding made from their books (market data only)")
      ->check(CLI::IsMember({"binance", "binance_usdm", "coinbase", "kucoin", "kucoin_futures"}))
      ->capture_default_str();
  cmd->add_option("--listen", a->listen, "HOST:PORT (port 0: any free one)")->capture_default_str();
  cmd->add_option("--funding-rate", a->funding_rate,
                  "binance_usdm, kucoin_futures: the funding rate the marks announce (positive: longs pay shorts)")
      ->capture_default_str();
  cmd->add_option("--funding-interval", a->funding_interval,
                  "binance_usdm, kucoin_futures: funding times are multiples of this since the epoch (UTC)")
      ->capture_default_str();
  cmd->add_option("--capture", a->options.captures, "capture file(s) the stream replays")->required();
  cmd->add_option("--speed", a->speed, "multiple of real time, or \"max\"")->capture_default_str();
  cmd->add_option("--history", a->history,
                  "the captures' first DURATION (e.g. 20h) is history: not streamed, its closed klines served by "
                  "/api/v3/klines");
  cmd->add_option("--cert-out", a->cert_out, "write the self-signed certificate (PEM) here for the client's CA file");
  cmd->add_option("--port-file", a->port_file, "write the port listened on here once ready");
  cmd->add_option("--key-env", a->key_env, "variable with the account's API key (default BINANCE_API_KEY, COINBASE_API_KEY)");
  cmd->add_option("--passphrase-env", a->passphrase_env, "kucoin: variable with the key's API passphrase (default KUCOIN_API_PASSPHRASE)");
  cmd->add_option("--ping-interval-ms", a->options.ping_interval_ms,
                  "kucoin: the pingInterval the bullet tells clients (no ping within it and pingTimeout closes)")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{600'000}))
      ->capture_default_str();
  cmd->add_option("--ping-timeout-ms", a->options.ping_timeout_ms, "kucoin: the pingTimeout the bullet tells clients")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{600'000}))
      ->capture_default_str();
  cmd->add_option("--expire-tokens", a->options.expire_tokens,
                  "fault (kucoin): the first N stream connections are refused, their token expired")
      ->check(kNotNegative);
  cmd->add_option("--secret-env", a->secret_env,
                  "variable with the account's API secret (default BINANCE_API_SECRET, COINBASE_API_SECRET: the EC key)");
  cmd->add_option("--balance", a->balances, "starting balance ASSET=AMOUNT (repeatable; default USDT and USDC 10000, coinbase: USD and USDC)");
  cmd->add_flag("--fee-in-bnb", a->options.fee_in_bnb,
                "binance: take every commission in BNB (three quarters of the rate, at 600 of the quote asset a BNB) "
                "from the BNB balance, as Binance does with its BNB discount on; give one with --balance BNB=...");
  cmd->add_option("--lot-step", a->lot_step, "every symbol's LOT_SIZE stepSize and minQty")->capture_default_str();
  cmd->add_option("--min-notional", a->min_notional, "every symbol's NOTIONAL minNotional")->capture_default_str();
  cmd->add_option("--drop-every", a->options.drop_every, "fault: close each stream connection after N frames")
      ->check(kNotNegative);
  cmd->add_flag("--hold-while-away", a->options.hold_while_away,
                "the stream waits while no client is connected and keeps what was on its way for the next one, "
                "so faults fall at the same frames whatever the client's speed");
  cmd->add_option("--malformed-every", a->options.malformed_every, "fault: cut every N-th stream frame in half")
      ->check(kNotNegative);
  cmd->add_option("--delay-ms", a->options.delay_ms, "fault: delay every REST response")
      ->check(kNotNegative);
  cmd->add_option("--slow-orders-ms", a->options.slow_orders_ms,
                  "fault: answer new orders this late (they are placed at once): the client's timeout path")
      ->check(kNotNegative);
  cmd->add_option("--jwt-clock-ahead-s", a->options.jwt_clock_ahead_s,
                  "fault (coinbase): judge request JWTs by a clock N s ahead (over 120: every token has expired)");
  cmd->add_option("--clock-ahead-s", a->options.clock_ahead_s,
                  "coinbase: run the venue's clock (its time, orders and JWT checks) N s ahead of this machine's");
  cmd->add_option("--burst-429-every", a->options.burst_429_every,
                  "fault: after every N REST requests answer the next 3 with 429 and Retry-After")
      ->check(kNotNegative);
  cmd->add_option("--user-stream-drop-every", a->options.user_stream_drop_every,
                  "fault: close a user-data stream connection after N events (the next event is lost with it)")
      ->check(kNotNegative);
  cmd->add_option("--user-stream-lose-every", a->options.user_stream_lose_every,
                  "fault: do not send every N-th user-data event (the connection stays up)")
      ->check(kNotNegative);
  cmd->add_flag("--refuse-user-stream", a->options.refuse_user_stream,
                "fault: refuse every user-data stream subscription as a bad signature (-1022)");
  cmd->callback([a, &exit_code] {
    exit_code = kExitError;
    spdlog::set_default_logger(spdlog::stderr_color_mt("exchange-sim"));  // stdout says where it listens
    if (auto st = parse_args(*a); !st) return fmt::print(stderr, "error: {}\n", st.error().message);
    auto cert = net::make_self_signed();
    if (!cert) return fmt::print(stderr, "error: {}\n", cert.error().message);
    if (!a->cert_out.empty()) {
      std::ofstream out(a->cert_out);
      out << cert->cert_pem;
      if (!out) return fmt::print(stderr, "error: cannot write {}\n", a->cert_out);
    }
    auto server = sim::SimServer::start(a->options, *cert);
    if (!server) return fmt::print(stderr, "error: {}\n", server.error().message);
    const auto port = (*server)->port();
    const std::string cert_note = a->cert_out.empty() ? "" : ", certificate in " + a->cert_out;
    if (a->options.venue == VenueId::kucoin)
      fmt::print("exchange-sim (kucoin): https://{0}:{1} (spot REST: /api/v1, /api/v2, the bullet at /api/v1/bullet-public), "
                 "wss://{0}:{1}/ (market data, with a bullet's token){2}\n",
                 a->options.host, port, cert_note);
    else if (a->options.venue == VenueId::coinbase)
      fmt::print("exchange-sim (coinbase): https://{0}:{1} (Advanced Trade REST: /api/v3/brokerage, /v2/time), "
                 "wss://{0}:{1} (market data){2}\n",
                 a->options.host, port, cert_note);
    else if (a->options.venue == VenueId::kucoin_futures)
      fmt::print("exchange-sim (kucoin_futures): https://{0}:{1} (REST: /api/v1/bullet-public, /api/v1/contracts, "
                 "/api/v1/timestamp), wss://{0}:{1}/ (market data, with a bullet's token){2}\n",
                 a->options.host, port, cert_note);
    else if (a->options.venue == VenueId::binance_usdm)
      fmt::print("exchange-sim (binance_usdm): https://{0}:{1} (USDⓈ-M REST: /fapi/v1, /fapi/v2), "
                 "wss://{0}:{1}/stream (combined stream, with <symbol>@markPrice@1s){2}\n",
                 a->options.host, port, cert_note);
    else
      fmt::print("exchange-sim: https://{0}:{1} (REST), wss://{0}:{1}/stream (combined stream), wss://{0}:{1}/ws-api/v3 (WebSocket API){2}\n",
                 a->options.host, port, cert_note);
    std::fflush(stdout);
    if (!a->port_file.empty()) {
      const std::string tmp = a->port_file + ".tmp";
      std::ofstream(tmp) << port << "\n";
      std::rename(tmp.c_str(), a->port_file.c_str());  // readers never see a half-written file
    }
    g_running = server->get();
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    (*server)->run();
    g_running = nullptr;
    exit_code = kExitOk;
  });
}

}  // namespace trader::tools
