#pragma once
// Carries alerts to their channels, off the node's path: post() queues and returns; each
// channel has its own thread, queue, rate limit and HTTPS connection, so a channel that
// hangs or fails delays only itself. Every outcome is logged (delivered, retried, given
// up, held back, dropped), never with the channel's secret URL or token.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alerts/channel.hpp"

namespace trader::alerts {

struct SenderOptions {
  std::string node_id;
  std::string ca_file;  // empty: the system CA store
  std::chrono::milliseconds timeout{5000};  // per attempt: connect, send, answer
  int attempts = 3;                         // a 5xx, a 429 or no answer is tried again, with backoff
  std::chrono::milliseconds backoff{500};   // before the second attempt; doubles
  std::size_t max_queue = 1000;             // per channel; beyond it the oldest alert is dropped (counted)
};

struct ChannelCounts {
  std::uint64_t delivered = 0, failed = 0, held_back = 0, dropped = 0;
};

class AlertSender {
 public:
  AlertSender(std::vector<ChannelConfig> channels, SenderOptions options);
  ~AlertSender();  // stop({}) if not stopped
  AlertSender(const AlertSender&) = delete;
  AlertSender& operator=(const AlertSender&) = delete;

  // Queues each alert for every channel whose severity filter admits it. Never waits on
  // the network.
  void post(const std::vector<Alert>& alerts);
  // Lets the channels send what is queued for at most `grace`, then stops them: what is
  // left is dropped and counted. Logs each channel's counts. Waits at most `grace` plus
  // one attempt's timeout.
  void stop(std::chrono::milliseconds grace);
  std::vector<std::pair<ChannelKind, ChannelCounts>> counts() const;

 private:
  struct Worker;
  SenderOptions options_;  // before the workers, which read it
  std::vector<std::unique_ptr<Worker>> workers_;
  bool stopped_ = false;
};

}  // namespace trader::alerts
