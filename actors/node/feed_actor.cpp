#include "actors/node/feed_actor.hpp"
#include "actors/node/detached_thread_exit.hpp"
#include "base/wall_clock.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "exchange/capture_stream.hpp"

namespace trader::node {
namespace {

// Waits until data time `ts` is due at the configured speed (never at speed "max").
void pace(FeedState& st, std::int64_t ts) {
  if (st.speed <= 0) return;
  if (st.first_data_ns == 0) {
    st.first_data_ns = ts;
    st.start_wall_ns = wall_ns();
  }
  const auto due = st.start_wall_ns + static_cast<std::int64_t>(static_cast<double>(ts - st.first_data_ns) / st.speed);
  while (!st.stop->load()) {
    const auto now = wall_ns();
    if (now >= due) return;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(due - now, 100'000'000)));
  }
}

// The record one capture item is received as (none for a filtered symbol or a known
// unknown stream). The same for live and for fast-forwarding after a crash.
std::optional<Message> received(FeedState& st, CaptureItem& item) {
  st.last_ts = std::max(st.last_ts, item.recv_ts_ns);
  switch (item.kind) {
    case CaptureItem::Kind::message: {
      const std::string* sym = symbol_of(item.message);
      if (!st.symbols.empty() && sym && !st.symbols.count(*sym)) {
        st.stats->filtered++;
        return std::nullopt;
      }
      return std::move(item.message);
    }
    case CaptureItem::Kind::unknown_stream:
      st.stats->unknown++;
      if (!st.unknown_seen.insert(item.stream).second) return std::nullopt;
      return ErrorReport{"unknown_stream", "stream " + item.stream + " is not handled; its frames are counted, not journaled",
                         item.where, 0, item.recv_ts_ns};
    case CaptureItem::Kind::status:  // the live source's connects and disconnects (and warm-up), journaled
      if (const auto* f = std::get_if<FeedStatus>(&item.message))
        // A reconnect's failed attempts are logged by the stream itself, the warm-up by itself.
        if (f->kind == FeedStatusKind::connected || f->kind == FeedStatusKind::disconnected)
          spdlog::info("market feed {}: {}", f->kind == FeedStatusKind::connected ? "connected" : "disconnected", f->detail);
      return std::move(item.message);
    case CaptureItem::Kind::malformed:
      st.stats->malformed++;
      spdlog::warn("malformed frame {}: {}", item.where, item.error);
      return ErrorReport{"malformed_frame", item.error, item.where, 0, item.recv_ts_ns};
  }
  return std::nullopt;
}

}  // namespace

feed_actor::behavior_type feed_fn(feed_actor::stateful_pointer<FeedState> self, std::shared_ptr<FeedState> init) {
  self->state = std::move(*init);
  free_openssl_thread_state_at_exit(self);  // a live stream speaks TLS
  return {[self](next_atom) -> WireBatch {
    auto& st = self->state;
    WireBatch batch;
    if (st.ended) {
      batch.end_of_data = true;
      return batch;
    }
    const std::size_t want = st.speed > 0 || st.stream->live() ? 1 : 256;
    CaptureItem item;
    auto send = [&](std::uint64_t item_no, std::int64_t recv_ts_ns, const Message& m) {
      batch.items.push_back(to_wire(Actor::market_feed, Actor::none, recv_ts_ns, m));
      batch.items.back().ingress_wall_ns = wall_ns();
      batch.items.back().ingress_seq = item_no;
    };
    while (batch.items.size() < want && !st.ended) {
      if (st.stop->load()) {
        st.ended = true;
        break;
      }
      auto more = st.stream->next(item);
      if (!more || !*more) {
        // The end has a feed position too (one past the last item; a failure before it
        // another), so a node resuming a finished session knows its end was journaled.
        std::uint64_t item_no = st.stream->lines();
        st.ended = true;
        const char* what = st.stream->live() ? "live feed" : "capture";
        if (!more && ++item_no >= st.resume_item)
          send(item_no, st.last_ts,
               ErrorReport{st.stream->live() ? "feed_error" : "capture_read_error", more.error().message, "", 0, st.last_ts});
        const std::string detail = more ? (st.stream->live() ? std::string("live feed stopped") : std::string("end of capture"))
                                        : fmt::format("{} failed: {}", what, more.error().message);
        if (++item_no >= st.resume_item)
          send(item_no, st.last_ts, FeedStatus{FeedStatusKind::end_of_data, "", "", 0, 0, detail, st.last_ts});
        break;
      }
      const std::uint64_t item_no = st.stream->lines();
      st.stats->lines++;
      if (!st.stream->live() && item_no >= st.resume_item && item.kind == CaptureItem::Kind::message)
        pace(st, item.recv_ts_ns);
      auto m = received(st, item);
      if (m && item_no >= st.resume_item) send(item_no, item.recv_ts_ns, *m);  // before it: journaled before the crash
    }
    batch.end_of_data = st.ended;
    return batch;
  }};
}

}  // namespace trader::node
