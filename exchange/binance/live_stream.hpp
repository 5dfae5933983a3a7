#pragma once
// The live Binance combined stream as a feed source: TLS WebSocket (SNI, certificate and
// host verification, pings, idle timeout), reconnect with exponential backoff and jitter.
// Connects and disconnects become FeedStatus items, so they are journaled; gaps in trade
// ids across a reconnect are found by the market_feed core like any other gap.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "exchange/feed_source.hpp"

namespace trader::binance {

struct LiveStreamOptions {
  std::string url;      // wss://HOST[:PORT]/stream?streams=a/b
  std::string ca_file;  // empty: the system CA store
  std::chrono::seconds idle_timeout{10};
  int max_failures = 20;  // connection attempts in a row without data before giving up
  const std::atomic<bool>* stop = nullptr;
};

// The combined-stream URL for `symbols` x `channels` (e.g. btcusdt@trade).
std::string combined_stream_url(const std::string& base, const std::vector<std::string>& symbols,
                                const std::vector<std::string>& channels);

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

}  // namespace trader::binance
