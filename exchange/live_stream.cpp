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

LiveStream::LiveStream(LiveStreamOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
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
      auto url = net::parse_wss_url(s.options.url);
      if (!url) return tl::unexpected(url.error());
      for (;;) {
        bool permanent = false;
        auto ws = net::WsClient::connect(*url, s.options.ca_file, s.options.idle_timeout, &permanent);
        for (const auto& request : s.options.subscribe) {
          if (!ws) break;
          if (auto sent = (*ws)->write(request); !sent) ws = tl::unexpected(sent.error());
        }
        if (ws) {
          s.ws = std::move(*ws);
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
    s.decoded.clear();
    s.decoder->decode(frame->data(), frame->size(), frame->size(), s.decoded);
    s.queued_ts_ns = wall_ns();
    s.queued_where = fmt::format("live frame {}", ++s.frames);
    for (auto& f : s.decoded) s.queued.push_back(std::move(f));
    // a frame of nothing (a heartbeat) reads on
  }
}

}  // namespace trader
