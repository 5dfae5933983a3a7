#pragma once
// trader-tools exchange-sim: a local Binance-compatible venue over TLS. The WebSocket
// combined stream (/stream?streams=a/b) replays captures; REST serves time, exchange info,
// prices, orders, open orders and account, checking signatures and filters like Binance, and
// fills orders against the replayed trades (SimVenue); the WebSocket API (/ws-api/v3)
// takes signed user-data stream subscriptions and pushes every order change to them.
// Fault injection for the live path's tests.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "exchange/net/tls.hpp"
#include "exchange/sim/sim_marks.hpp"
#include "exchange/sim/sim_venue.hpp"
#include "messages/instrument.hpp"

namespace trader::sim {

struct SimOptions {
  // binance: Binance spot REST, streams and WebSocket API. coinbase: Advanced Trade REST
  // (coinbase_api.hpp) with JWT checks and its market-data WebSocket (subscribe messages,
  // frames numbered per connection), over Coinbase captures. kucoin: KuCoin spot REST
  // (kucoin_api.hpp) with KC-API-* checks, the bullet handshake and its WebSocket protocol
  // (a token serves one connection: reused, it is refused as expired; welcome, ping/pong,
  // subscribe/ack, no ping within pingInterval + pingTimeout closes), over KuCoin captures.
  // binance_usdm: Binance USDⓈ-M's market streams over USDⓈ-M captures, with the mark
  // price stream they lack made from their books (sim_marks.hpp), and its REST (/fapi/v1,
  // /fapi/v2: a USDT-margined futures account, one-way positions; no /api/v3).
  VenueId venue = VenueId::binance;
  MarkSchedule marks;  // binance_usdm
  std::string host = "127.0.0.1";
  unsigned short port = 0;            // 0: any free port
  std::vector<std::string> captures;  // replayed on the stream, from the first subscriber on
  double speed = 1;                   // multiple of real time; 0: as fast as possible
  // The captures' first history_ms are not streamed: the stream starts after them, and
  // their closed klines are what REST /api/v3/klines has to serve (a warm-up's history).
  std::int64_t history_ms = 0;
  std::string api_key, api_secret;    // the one account's credentials (coinbase: the key's name and its EC private key)
  std::string api_passphrase;         // kucoin: the key's API passphrase
  std::int64_t ping_interval_ms = 18'000, ping_timeout_ms = 10'000;  // kucoin: what the bullet tells clients
  int expire_tokens = 0;  // fault (kucoin): the first N stream connections find their token expired
  std::map<std::string, std::int64_t> balances{{"USDT", 10'000'00000000}, {"USDC", 10'000'00000000}};
  bool fee_in_bnb = false;  // binance spot: commissions in BNB (FeeAsset::bnb) instead of the asset received
  int drop_every = 0;       // fault: close each stream connection after N frames
  // The stream waits while no client is connected (after the first), and frames already
  // on their way are kept for the next client: what a client receives, where the drops,
  // cuts and gaps fall, depends only on the capture and the counts, not on how fast the
  // client reconnects (deterministic live-path tests).
  bool hold_while_away = false;
  int malformed_every = 0;  // fault: every N-th stream frame cut in half
  int delay_ms = 0;         // fault: delay every REST response
  int slow_orders_ms = 0;   // fault: delay the answers to new orders only (placed at once, answered late)
  int jwt_clock_ahead_s = 0;  // fault (coinbase): judge JWTs by a clock this far ahead (> 120: every one has expired)
  int clock_ahead_s = 0;      // coinbase: the venue's clock (its time, orders, JWT checks) this far ahead of ours
  int burst_429_every = 0;  // fault: after every N REST requests, the next 3 get 429 + Retry-After
  bool burst_as_418 = false;  // fault: those 3 get 418 (IP banned) without Retry-After instead
  SymbolFilters filters;    // every symbol's LOT_SIZE, PRICE_FILTER and NOTIONAL
  int user_stream_drop_every = 0;   // fault: close a user-data stream connection after N events (the next is lost)
  bool refuse_user_stream = false;  // fault: refuse every user-data stream subscription (-1022)
  int user_stream_lose_every = 0;   // fault: every N-th user-data event is not sent (the connection stays)
};

class SimServer {
 public:
  static Result<std::unique_ptr<SimServer>> start(const SimOptions& options, const net::SelfSigned& cert);
  ~SimServer();
  unsigned short port() const;
  void run();   // serves until stop() (or a signal handler calls stop())
  void stop();  // thread-safe

  struct Impl;  // the server's state, shared with its sessions (sim_server.cpp)

 private:
  explicit SimServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace trader::sim
