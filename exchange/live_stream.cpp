#include "exchange/live_stream.hpp"

#include <deque>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/stoppable_sleep.hpp"
#include "base/wall_clock.hpp"
#include "exchange/frame_decoder.hpp"
#include "exchange/net/backoff.hpp"
#include "exchange/net/ws_client.hpp"

namespace trader {

struct LiveStream::Impl {
  LiveStreamOptions options;
  std::unique_ptr<FrameDecoder> decoder;
  std::vector<ParsedFrame> decoded;
  std::deque<ParsedFrame> queued;  // a frame's items not handed out yet
  std::int64_t queued_ts_ns = 0;
  std::string queued_where;
  net::Backoff backoff{std::chrono::milliseconds(100), std::chrono::seconds(10),
                       static_cast<std::uint64_t>(wall_ns())};
  std::unique_ptr<net::WsClient> ws;
  std::vector<std::string> early;  // frames of the handshake, read before the connection's
  std::uint64_t items = 0, frames = 0;
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

StreamConnector url_connector(std::string url, std::string ca_file, std::chrono::seconds idle_timeout,
                              std::vector<std::string> subscribe) {
  return [url = std::move(url), ca_file = std::move(ca_file), idle_timeout,
          subscribe = std::move(subscribe)](bool& permanent) -> Result<StreamConnection> {
    auto parsed = net::parse_wss_url(url);
    if (!parsed) {
      permanent = true;
      return tl::unexpected(parsed.error());
    }
    auto ws = net::WsClient::connect(*parsed, ca_file, idle_timeout, &permanent);
    if (!ws) return tl::unexpected(ws.error());
    for (const auto& request : subscribe)
      if (auto sent = (*ws)->write(request); !sent) return tl::unexpected(sent.error());
    return StreamConnection{std::move(*ws), {}};
  };
}

LiveStream::LiveStream(LiveStreamOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const auto& o = impl_->options;
  if (!o.connect) impl_->options.connect = url_connector(o.url, o.ca_file, o.idle_timeout, o.subscribe);
  impl_->decoder = make_frame_decoder(impl_->options.venue);
}
LiveStream::~LiveStream() = default;
std::uint64_t LiveStream::lines() const { return impl_->items; }

Result<bool> LiveStream::next(CaptureItem& item) {
  auto& s = *impl_;
  for (;;) {
    if (!s.queued.empty()) {  // a frame received is handed out whole, even when told to stop
      ++s.items;
      item.recv_ts_ns = s.queued_ts_ns;
      item.where = s.queued_where;
      set_from_frame(std::move(s.queued.front()), item);
      s.queued.pop_front();
      return true;
    }
    if (s.stopping()) return false;
    if (!s.decoder) return fail(fmt::format("no live {} stream is built yet", venue_name(s.options.venue)));
    if (!s.ws) {
      s.wait(std::exchange(s.reconnect_delay, std::chrono::milliseconds(0)));
      if (s.stopping()) return false;
      for (;;) {
        bool permanent = false;
        auto ws = s.options.connect(permanent);
        if (ws) {
          s.ws = std::move(ws->ws);
          s.early = std::move(ws->early_frames);
          s.decoder->reset();  // a new connection numbers its frames afresh
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
    Result<std::string> frame = std::string();
    if (!s.early.empty()) {
      frame = std::move(s.early.front());
      s.early.erase(s.early.begin());
    } else {
      frame = s.ws->read(s.options.stop);
    }
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
    s.decoded.clear();
    s.decoder->decode(frame->data(), frame->size(), frame->size(), s.decoded);
    s.queued_ts_ns = wall_ns();
    s.queued_where = fmt::format("live frame {}", ++s.frames);
    for (auto& f : s.decoded) s.queued.push_back(std::move(f));
    // a frame of nothing (a heartbeat) reads on
  }
}

}  // namespace trader
