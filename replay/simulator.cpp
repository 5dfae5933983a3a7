#include "replay/simulator.hpp"

#include <fmt/format.h>

#include "actors/routing.hpp"

namespace trader::replay {

Simulator::Simulator(Cores cores) : cores_(std::move(cores)) {}

Status Simulator::run(const EnvelopeHeader& header, Message input, RecordSink& sink) {
  queue_.push_back({header, std::move(input), 0});
  while (!queue_.empty()) {
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    p.header.type_id = type_id_of(p.message);
    auto seq = sink.append(p.header, p.message, p.cause_seq);
    if (!seq) {
      queue_.clear();
      return tl::unexpected(seq.error());
    }
    for (const Actor to : recipients(p.header.type_id, p.header.destination)) {
      auto it = cores_.find(to);
      if (it == cores_.end()) continue;
      outbox_.clear();
      it->second->on(Delivery{*seq, p.header.recv_ts_ns, p.header.source, p.message}, outbox_);
      ++deliveries_;
      for (auto& o : outbox_)
        queue_.push_back({EnvelopeHeader{0, p.header.recv_ts_ns, to, o.destination, 0, type_id_of(o.message), 1},
                          std::move(o.message), *seq});
    }
  }
  return {};
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
