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
#include <memory>
#include <string>
#include <vector>

#include "exchange/feed_source.hpp"
#include "messages/instrument.hpp"

namespace trader {

struct LiveStreamOptions {
  std::string url;                     // wss://HOST[:PORT]/...
  VenueId venue = VenueId::binance;    // whose frames: the decoder
  std::vector<std::string> subscribe;  // text frames sent after each connect
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
