#include "exchange/binance/live_stream.hpp"
#include "base/stoppable_sleep.hpp"
#include "base/wall_clock.hpp"

#include <thread>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "exchange/binance/frame_parser.hpp"
#include "exchange/net/backoff.hpp"
#include "exchange/net/ws_client.hpp"

namespace trader::binance {
namespace {

}  // namespace

std::string combined_stream_url(const std::string& base, const std::vector<std::string>& symbols,
                                const std::vector<std::string>& channels) {
  std::string streams;
  for (const auto& s : symbols) {
    std::string lower = s;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& ch : channels) streams += (streams.empty() ? "" : "/") + lower + "@" + ch;
  }
  return base + "?streams=" + streams;
}

struct LiveStream::Impl {
  LiveStreamOptions options;
  FrameParser parser;
  net::Backoff backoff{std::chrono::milliseconds(100), std::chrono::seconds(10),
                       static_cast<std::uint64_t>(wall_ns())};
  std::unique_ptr<net::WsClient> ws;
  std::uint64_t items = 0;
  int failures = 0;
  bool got_data = false;
  std::chrono::milliseconds reconnect_delay{0};  // after a disconnect, before the next attempt

  bool stopping() const { return options.stop != nullptr && options.stop->load(); }

  // Sleeps `d`, waking early when told to stop.
  void wait(std::chrono::milliseconds d) { sleep_unless_stopped(d, options.stop); }

  void status(CaptureItem& item, FeedStatusKind kind, std::string detail) {
    item.kind = CaptureItem::Kind::status;
    item.recv_ts_ns = wall_ns();
    item.message = FeedStatus{kind, "", "", 0, 0, std::move(detail), item.recv_ts_ns};
    item.where = options.url;
  }
};

LiveStream::LiveStream(LiveStreamOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}
LiveStream::~LiveStream() = default;
std::uint64_t LiveStream::lines() const { return impl_->items; }

Result<bool> LiveStream::next(CaptureItem& item) {
  auto& s = *impl_;
  if (s.stopping()) return false;
  if (!s.ws) {
    s.wait(std::exchange(s.reconnect_delay, std::chrono::milliseconds(0)));
    if (s.stopping()) return false;
    auto url = net::parse_wss_url(s.options.url);
    if (!url) return tl::unexpected(url.error());
    for (;;) {
      bool permanent = false;
      auto ws = net::WsClient::connect(*url, s.options.ca_file, s.options.idle_timeout, &permanent);
      if (ws) {
        s.ws = std::move(*ws);
        s.got_data = false;
        ++s.items;
        s.status(item, FeedStatusKind::connected, s.options.url);
        return true;
      }
      if (permanent) return tl::unexpected(ws.error());
      if (++s.failures > s.options.max_failures)
        return fail(fmt::format("giving up after {} failed connection attempts: {}", s.options.max_failures,
                                ws.error().message));
      // Each failed attempt is journaled, so an outage shows in the journal while it lasts
      // (alerts judge a feed down by these records' times), not only once it is over.
      const auto delay = s.backoff.next();
      spdlog::warn("market feed: {}; retrying in {} ms", ws.error().message, delay.count());
      ++s.items;
      s.status(item, FeedStatusKind::reconnecting, fmt::format("{}; retrying in {} ms", ws.error().message, delay.count()));
      s.reconnect_delay = delay;
      return true;
    }
  }
  auto frame = s.ws->read(s.options.stop);
  if (!frame) {
    s.ws.reset();
    if (s.stopping()) return false;
    if (s.got_data) {
      s.backoff.reset();
      s.failures = 0;
    }
    ++s.failures;
    const auto delay = s.backoff.next();
    spdlog::warn("market feed disconnected: {}; reconnecting in {} ms", frame.error().message, delay.count());
    ++s.items;
    s.status(item, FeedStatusKind::disconnected, fmt::format("{}; reconnecting in {} ms", frame.error().message, delay.count()));
    s.reconnect_delay = delay;
    return true;
  }
  s.got_data = true;
  ++s.items;
  item.recv_ts_ns = wall_ns();
  item.where = fmt::format("live frame {}", s.items);
  set_from_frame(s.parser.parse(*frame), item);
  return true;
}

}  // namespace trader::binance
