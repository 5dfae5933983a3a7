#pragma once
// A KuCoin market-data connection, begun as KuCoin asks (handshake.hpp): a fresh token
// from POST {rest_url}/api/v1/bullet-public (a token serves one connection, so every
// reconnect asks again), connect, wait for "welcome", subscribe and wait for each "ack",
// then ping every pingInterval; no answer within pingTimeout ends the connection.
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
  std::string ca_file;                 // empty: the system CA store
  std::chrono::seconds idle_timeout{10};
  const std::atomic<bool>* stop = nullptr;
};

StreamConnector stream_connector(StreamSettings settings);

}  // namespace trader::kucoin
