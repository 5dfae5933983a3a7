#include "replay/simulator.hpp"

#include <algorithm>

#include <fmt/format.h>


namespace trader::replay {

Simulator::Simulator(Cores cores, std::uint64_t snapshot_every, std::uint64_t last_seq, std::uint64_t last_snapshot_seq)
    : cores_(std::move(cores)), sequencer_(snapshot_every, last_seq, last_snapshot_seq) {
  if (auto it = cores_.find(Actor::market_feed); it != cores_.end()) feed_ = dynamic_cast<MarketFeedCore*>(it->second.get());
}

Status Simulator::run(const EnvelopeHeader& header, Message input, RecordSink& sink) {
  EnvelopeHeader h = header;
  h.type_id = type_id_of(input);
  if (feed_ && from_feed(h.source))
    if (auto st = feed_->record(h, input); !st) {
      feed_refusal_ = st.error().message;
      return fail("the journal holds what the market feed would not have written: " + feed_refusal_);
    }
  sequencer_.begin(h, std::move(input));
  for (;;) {
    auto delivery = sequencer_.next(sink, [](std::uint16_t, const Message& m) -> std::optional<QuietProbe> {
      return quiet_probe(m);
    });
    if (!delivery) return tl::unexpected(delivery.error());
    if (*delivery == nullptr) return {};
    const auto& d = **delivery;
    for (std::size_t i = 0; i < d.recipients.size(); ++i) {
      outputs_.clear();
      Quiet quiet;
      if (auto it = cores_.find(d.recipients[i]); it != cores_.end()) {  // a recipient this run has
        outbox_.clear();
        it->second->on(Delivery{d.header.seq, d.header.recv_ts_ns, d.header.source, d.body}, outbox_);
        ++deliveries_;
        if (!d.awaits(i)) {  // declared quiet: it may not answer
          if (outbox_.empty()) continue;
          const auto why = quiet_broken(d.recipients[i], d.header.type_id, d.header.seq, outbox_.size());
          sequencer_.clear();
          return fail(why);
        }
        for (auto& o : outbox_) {
          const auto type = type_id_of(o.message);
          outputs_.push_back({o.destination, type, std::move(o.message)});
        }
        quiet = it->second->quiet();
      }
      sequencer_.answer(i, std::move(outputs_), quiet);
    }
  }
}

std::vector<std::uint8_t> encode_snapshot(const std::vector<std::pair<Actor, std::vector<std::uint8_t>>>& states) {
  StateWriter w;
  w.u32(static_cast<std::uint32_t>(states.size()));
  for (const auto& [actor, bytes] : states) {
    w.u32(static_cast<std::uint32_t>(actor));
    w.str(std::string(bytes.begin(), bytes.end()));
  }
  return std::move(w.bytes());
}

std::vector<std::uint8_t> save_cores(const Cores& cores) {
  std::vector<std::pair<Actor, std::vector<std::uint8_t>>> states;
  for (const auto& [actor, core] : cores) {
    StateWriter one;
    core->save(one);
    states.emplace_back(actor, std::move(one.bytes()));
  }
  return encode_snapshot(states);
}

Result<std::vector<std::pair<Actor, std::vector<std::uint8_t>>>> decode_snapshot(std::span<const std::uint8_t> snapshot) {
  StateReader r(snapshot);
  std::vector<std::pair<Actor, std::vector<std::uint8_t>>> states;
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    const auto actor = static_cast<Actor>(r.u32());
    const std::string state = r.str();
    if (r.ok()) states.emplace_back(actor, std::vector<std::uint8_t>(state.begin(), state.end()));
  }
  if (!r.ok() || !r.at_end()) return fail("snapshot is truncated or corrupt");
  return states;
}

Status load_cores(Cores& cores, std::span<const std::uint8_t> snapshot) {
  auto states = decode_snapshot(snapshot);
  if (!states) return tl::unexpected(states.error());
  // Snapshots before the feed kept state have none for it: its decisions after this point
  // are taken on trust.
  const bool has_feed = std::any_of(states->begin(), states->end(), [](const auto& s) { return s.first == Actor::market_feed; });
  if (auto it = cores.find(Actor::market_feed); it != cores.end() && !has_feed)
    if (auto* feed = dynamic_cast<MarketFeedCore*>(it->second.get())) feed->trust();
  for (const auto& [actor, state] : *states) {
    auto it = cores.find(actor);
    if (it == cores.end()) return fail(fmt::format("snapshot holds state for {}, which this run does not have", actor_name(actor)));
    StateReader one(state);
    if (auto st = it->second->load(one); !st) return st;
    if (!one.at_end()) return fail(fmt::format("snapshot of {} has trailing bytes", actor_name(actor)));
  }
  return {};
}

}  // namespace trader::replay
