#pragma once
// A KuCoin market-data connection, begun as KuCoin asks (handshake.hpp): a fresh token
// from POST {rest_url}/api/v1/bullet-public (a token serves one connection, so every
// reconnect asks again), connect, wait for "welcome", subscribe and wait for each "ack",
// then ping every pingInterval; no answer within pingTimeout ends the connection. Symbols
// read by level2 get their book from GET /api/v1/market/orderbook/level2_100 once
// subscribed (updates that arrive before it are older or overlap: the market feed's
// sequence check sorts them out), handed on with the symbol written in, since KuCoin's
// answer names none. KuCoin Futures (rest_url https://api-futures.kucoin.com): each
// contract (GET /api/v1/contracts/{symbol}) is fetched with the bullet, before the
// connection, and handed on ahead of every frame: the frames' sizes are in its lots.
// Any step that fails fails the attempt, saying which step: the live stream journals it
// and retries with backoff.
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "exchange/live_stream.hpp"

namespace trader::kucoin {

struct StreamSettings {
  std::string rest_url;                // https://api.kucoin.com
  std::vector<std::string> subscribe;  // subscribe_frames(...)
  std::vector<std::string> book_symbols;  // KuCoin symbols ("BTC-USDT") whose REST book seeds level2
  std::vector<std::string> contract_symbols;  // KuCoin Futures ("XBTUSDTM"): each contract, fetched first
  std::string ca_file;                 // empty: the system CA store
  std::chrono::seconds idle_timeout{10};
  const std::atomic<bool>* stop = nullptr;
};

StreamConnector stream_connector(StreamSettings settings);

}  // namespace trader::kucoin
