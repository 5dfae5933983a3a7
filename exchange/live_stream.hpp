#pragma once
// A venue's live market stream as a feed source: TLS WebSocket (SNI, certificate and host
// verification, pings, idle timeout), reconnect with exponential backoff and jitter.
// After each connect it sends the venue's subscribe requests (Coinbase; Binance subscribes
// by the URL) and starts the frame decoder afresh (a connection's numbering starts over).
// Connects and disconnects become FeedStatus items, so they are journaled; gaps across a
// reconnect are found by the market_feed core (trade ids) or the decoder (Coinbase's
// frame numbers) like any other gap. A frame may make several items (lines() counts them).
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exchange/feed_source.hpp"
#include "exchange/net/ws_client.hpp"
#include "messages/instrument.hpp"

namespace trader {

// One connection, opened and ready for data: what arrived during its handshake (data
// frames between the acks of its subscriptions) is read first.
struct StreamConnection {
  std::unique_ptr<net::WsClient> ws;
  std::vector<std::string> early_frames;
};
// Opens a connection; sets `permanent` when retrying cannot help.
using StreamConnector = std::function<Result<StreamConnection>(bool& permanent)>;
// A stream that is a URL: connect, then send `subscribe` (Binance's, Coinbase's).
StreamConnector url_connector(std::string url, std::string ca_file, std::chrono::seconds idle_timeout,
                              std::vector<std::string> subscribe);

struct LiveStreamOptions {
  std::string url;                     // wss://HOST[:PORT]/...
  VenueId venue = VenueId::binance;    // whose frames: the decoder
  std::vector<std::string> subscribe;  // text frames sent after each connect
  // How each connection begins when it is more than a URL and subscribe frames (KuCoin:
  // a fresh token, a welcome, acks, pings): then `url` only names the stream in the journal.
  StreamConnector connect;
  std::string ca_file;                 // empty: the system CA store
  std::chrono::seconds idle_timeout{10};
  int max_failures = 20;  // connection attempts in a row without data before giving up
  const std::atomic<bool>* stop = nullptr;
};

class LiveStream final : public FeedSource {
 public:
  explicit LiveStream(LiveStreamOptions options);
  ~LiveStream() override;
  Result<bool> next(CaptureItem& item) override;
  std::uint64_t lines() const override;
  bool live() const override { return true; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader
