#include "alerts/alert_sender.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/wall_clock.hpp"
#include "exchange/net/https_client.hpp"

namespace trader::alerts {

struct AlertSender::Worker {
  ChannelConfig channel;
  const SenderOptions& options;
  RateLimit limit;
  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<Alert> queue;
  bool stopping = false;
  std::chrono::steady_clock::time_point deadline;  // once stopping: nothing is sent after it
  ChannelCounts counts;
  std::unique_ptr<net::HttpsClient> client;
  std::thread thread;

  Worker(ChannelConfig c, const SenderOptions& o) : channel(std::move(c)), options(o), limit(channel.max_per_minute) {
    thread = std::thread([this] { run(); });
  }

  std::string_view name() const { return channel_name(channel.kind); }
  bool past_deadline() const { return stopping && std::chrono::steady_clock::now() >= deadline; }

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and all sent
      if (past_deadline()) {
        counts.dropped += queue.size();
        spdlog::warn("alerts to {}: {} not sent, the node stopped", name(), queue.size());
        queue.clear();
        return;
      }
      Alert alert = std::move(queue.front());
      queue.pop_front();
      if (!limit.admit(wall_ns())) {
        ++counts.held_back;
        continue;
      }
      if (const auto held = limit.take_suppressed(); held > 0)
        alert.text += fmt::format(" ({} earlier alert(s) held back by this channel's rate limit)", held);
      lock.unlock();
      const bool delivered = send(alert);
      lock.lock();
      ++(delivered ? counts.delivered : counts.failed);
    }
  }

  // One alert, tried up to options.attempts times. The network is used without the lock.
  bool send(const Alert& alert) {
    auto post = make_post(channel, alert, options.node_id);
    if (!post) {
      spdlog::warn("alert {} to {}: {}", alert.kind, name(), post.error().message);
      return false;
    }
    auto backoff = options.backoff;
    std::string why;
    for (int attempt = 1; attempt <= options.attempts; ++attempt) {
      if (!client || client->url().host != post->host || client->url().port != post->port) {
        auto made = net::HttpsClient::create({post->host, post->port}, options.ca_file, options.timeout);
        if (!made) {
          spdlog::warn("alert {} to {}: {}", alert.kind, name(), made.error().message);
          return false;
        }
        client = std::move(*made);
      }
      auto outcome = client->send({"POST", post->target, post->body, {{"Content-Type", "application/json"}}});
      const int status = outcome.kind == net::HttpOutcome::Kind::answered ? outcome.response.status : 0;
      if (status >= 200 && status < 300) {
        spdlog::info("alert {} to {}: delivered (HTTP {})", alert.kind, name(), status);
        return true;
      }
      why = status != 0 ? fmt::format("HTTP {}", status) : outcome.error;
      if (status != 0 && status != 429 && status < 500) break;  // the channel refuses this request: no retry
      if (status == 0) client.reset();  // a fresh connection for the next attempt
      std::unique_lock lock(mutex);
      if (attempt == options.attempts || past_deadline()) break;
      spdlog::warn("alert {} to {}: {}; retrying in {} ms (attempt {} of {})", alert.kind, name(), why, backoff.count(),
                   attempt, options.attempts);
      wake.wait_for(lock, backoff, [&] { return past_deadline(); });
      backoff *= 2;
    }
    spdlog::warn("alert {} to {}: not delivered: {}", alert.kind, name(), why);
    return false;
  }
};

AlertSender::AlertSender(std::vector<ChannelConfig> channels, SenderOptions options) : options_(std::move(options)) {
  for (auto& c : channels) workers_.push_back(std::make_unique<Worker>(std::move(c), options_));
}

AlertSender::~AlertSender() { stop({}); }

void AlertSender::post(const std::vector<Alert>& alerts) {
  for (auto& w : workers_) {
    std::lock_guard lock(w->mutex);
    if (w->stopping) continue;
    bool any = false;
    for (const auto& a : alerts) {
      if (a.severity < w->channel.min_severity) continue;
      if (w->queue.size() >= options_.max_queue) {
        if (w->counts.dropped++ == 0) spdlog::warn("alerts to {}: queue full, dropping the oldest", w->name());
        w->queue.pop_front();
      }
      w->queue.push_back(a);
      any = true;
    }
    if (any) w->wake.notify_one();
  }
}

void AlertSender::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& w : workers_) {
    std::lock_guard lock(w->mutex);
    w->stopping = true;
    w->deadline = deadline;
    w->wake.notify_all();
  }
  for (auto& w : workers_) {
    w->thread.join();
    const auto& c = w->counts;
    spdlog::info("alerts to {}: {} delivered, {} not delivered, {} held back by the rate limit, {} dropped", w->name(),
                 c.delivered, c.failed, c.held_back, c.dropped);
  }
}

std::vector<std::pair<ChannelKind, ChannelCounts>> AlertSender::counts() const {
  std::vector<std::pair<ChannelKind, ChannelCounts>> out;
  for (const auto& w : workers_) {
    std::lock_guard lock(w->mutex);
    out.emplace_back(w->channel.kind, w->counts);
  }
  return out;
}

}  // namespace trader::alerts
