#pragma once
// The node's schedule (actors/sequencer/sequencer.hpp), driven synchronously on one
// thread: each recipient's core is called in place. Verify, what-if and crash recovery
// run sessions through it; the live node drives the same Sequencer through CAF actors.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "actors/actor_core.hpp"
#include "actors/market_feed/market_feed_core.hpp"
#include "actors/sequencer/sequencer.hpp"
#include "base/result.hpp"

namespace trader::replay {

// Where sequenced messages go: a new journal (what-if) or a comparison with a recorded
// one (verify, recovery).
using RecordSink = SequencerSink<Message>;

class Simulator {
 public:
  // `snapshot_every`, `last_seq`, `last_snapshot_seq`: the snapshot schedule (see Sequencer).
  explicit Simulator(Cores cores, std::uint64_t snapshot_every = 0, std::uint64_t last_seq = 0,
                     std::uint64_t last_snapshot_seq = 0);

  // Sequences one external input and everything it causes. A record of the feed's
  // (from_feed) goes through the feed core first, which refuses one it would not have
  // written there (feed_refusal() then says why).
  Status run(const EnvelopeHeader& header, Message input, RecordSink& sink);

  // The market feed's core, if this run has one (what-if admits received messages
  // through it; recovery settles it).
  MarketFeedCore* feed() { return feed_; }
  // Whether a record from `source` is one of this run's cores' outputs, which it must
  // produce itself, rather than an input (the feed's records are inputs).
  bool produces(Actor source) const { return !from_feed(source) && cores_.count(source) != 0; }
  const std::string& feed_refusal() const { return feed_refusal_; }

  bool snapshot_due() const { return sequencer_.snapshot_due(); }
  void snapshot_taken() { sequencer_.snapshot_taken(); }
  std::uint64_t last_seq() const { return sequencer_.last_seq(); }
  std::uint64_t deliveries() const { return deliveries_; }
  Cores& cores() { return cores_; }

 private:
  Cores cores_;
  MarketFeedCore* feed_ = nullptr;  // in cores_
  std::string feed_refusal_;
  Sequencer<Message> sequencer_;
  Outbox outbox_;
  std::vector<Sequencer<Message>::Output> outputs_;
  std::uint64_t deliveries_ = 0;
};

// All cores' state in one blob (the journal's snapshot value), and back.
std::vector<std::uint8_t> save_cores(const Cores& cores);
// The same blob from states saved one by one (the live node asks each actor for its own).
std::vector<std::uint8_t> encode_snapshot(const std::vector<std::pair<Actor, std::vector<std::uint8_t>>>& states);
// Each actor's state in a snapshot blob, in the blob's order.
Result<std::vector<std::pair<Actor, std::vector<std::uint8_t>>>> decode_snapshot(std::span<const std::uint8_t> snapshot);
Status load_cores(Cores& cores, std::span<const std::uint8_t> snapshot);

}  // namespace trader::replay
