#include "actors/node/feed_actor.hpp"
#include "base/wall_clock.hpp"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

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

// What one capture item puts into the node (none for a filtered symbol or a known
// unknown stream). The same for live and for fast-forwarding after a crash.
void feed_item(FeedState& st, CaptureItem& item, std::vector<FeedInput>& inputs) {
  st.last_ts = std::max(st.last_ts, item.recv_ts_ns);
  switch (item.kind) {
    case CaptureItem::Kind::message: {
      const std::string* sym = symbol_of(item.message);
      if (!st.symbols.empty() && sym && !st.symbols.count(*sym)) {
        st.stats->filtered++;
        return;
      }
      const auto gaps_before = st.core->gaps();
      const auto implausible_before = st.core->implausible_times();
      st.core->on_market_data(item.recv_ts_ns, std::move(item.message), inputs);
      st.stats->gaps += st.core->gaps() - gaps_before;
      if (st.core->implausible_times() > implausible_before && st.stats->implausible++ == 0)
        spdlog::warn("{} (further ones are journaled and counted, not logged)",
                     std::get<ErrorReport>(inputs.back().message).message);
      return;
    }
    case CaptureItem::Kind::unknown_stream:
      st.stats->unknown++;
      if (!st.unknown_seen.insert(item.stream).second) return;
      inputs.push_back({Actor::market_feed, item.recv_ts_ns,
                        ErrorReport{"unknown_stream", "stream " + item.stream + " is not handled; its frames are counted, not journaled",
                                    item.where, 0, item.recv_ts_ns}});
      return;
    case CaptureItem::Kind::status:  // the live source's connects and disconnects, journaled
      if (const auto* f = std::get_if<FeedStatus>(&item.message))
        spdlog::info("market feed {}: {}", f->kind == FeedStatusKind::connected ? "connected" : "disconnected", f->detail);
      inputs.push_back({Actor::market_feed, item.recv_ts_ns, std::move(item.message)});
      return;
    case CaptureItem::Kind::malformed:
      st.stats->malformed++;
      spdlog::warn("malformed frame {}: {}", item.where, item.error);
      inputs.push_back({Actor::market_feed, item.recv_ts_ns,
                        ErrorReport{"malformed_frame", item.error, item.where, 0, item.recv_ts_ns}});
      return;
  }
}

}  // namespace

feed_actor::behavior_type feed_fn(feed_actor::stateful_pointer<FeedState> self, std::shared_ptr<FeedState> init) {
  self->state = std::move(*init);
  return {[self](next_atom) -> WireBatch {
    auto& st = self->state;
    WireBatch batch;
    if (st.ended) {
      batch.end_of_data = true;
      return batch;
    }
    const std::size_t want = st.speed > 0 || st.stream->live() ? 1 : 256;
    std::vector<FeedInput> inputs;
    CaptureItem item;
    while (batch.items.size() < want && !st.ended) {
      if (st.stop->load()) {
        st.ended = true;
        break;
      }
      inputs.clear();
      std::uint64_t item_no = 0;
      auto more = st.stream->next(item);
      if (!more || !*more) {
        // The end has a feed position too (one past the last item), so a node resuming a
        // finished session knows its end was journaled already.
        item_no = st.stream->lines() + 1;
        if (!more)
          inputs.push_back({Actor::market_feed, st.last_ts,
                            ErrorReport{st.stream->live() ? "feed_error" : "capture_read_error", more.error().message,
                                        "", 0, st.last_ts}});
        const char* what = st.stream->live() ? "live feed" : "capture";
        st.core->on_end(st.last_ts,
                        more ? (st.stream->live() ? std::string("live feed stopped") : std::string("end of capture"))
                             : fmt::format("{} failed: {}", what, more.error().message),
                        inputs);
        st.ended = true;
      } else {
        item_no = st.stream->lines();
        st.stats->lines++;
        if (!st.stream->live() && item_no >= st.resume_item && item.kind == CaptureItem::Kind::message)
          pace(st, item.recv_ts_ns);
        feed_item(st, item, inputs);
      }
      if (item_no < st.resume_item) continue;  // journaled before the crash: it only rebuilt state
      if (item_no == st.resume_item) {
        const auto skip = std::min<std::size_t>(st.resume_skip, inputs.size());
        inputs.erase(inputs.begin(), inputs.begin() + static_cast<std::ptrdiff_t>(skip));
      }
      const std::int64_t ingress = wall_ns();
      for (const auto& in : inputs) {
        batch.items.push_back(to_wire(in.source, Actor::none, in.recv_ts_ns, in.message));
        batch.items.back().ingress_wall_ns = ingress;
        batch.items.back().ingress_seq = item_no;
      }
    }
    batch.end_of_data = st.ended;
    return batch;
  }};
}

}  // namespace trader::node
