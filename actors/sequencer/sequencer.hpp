#pragma once
// The node's schedule, written once. The live node (actors/node, CAF actors answering
// asynchronously) and replay (replay/simulator, cores called in place) both drive this
// class; neither orders anything itself. The rule:
//
//   1. One external input at a time: everything it causes is sequenced before the next
//      input is taken (begin() only when idle()).
//   2. What it causes is a FIFO queue. The message at its head is appended to the journal,
//      which gives it its seq, and is then delivered to its recipients
//      (actors/routing.hpp), in their fixed order. A message nobody receives is journaled
//      and goes no further.
//   3. When every recipient has answered, their outputs join the queue recipient by
//      recipient, each recipient's in the order it sent them, whatever order the answers
//      arrived in. An output's source is its recipient, its receive time the delivered
//      message's, and its cause (journaled in its header) the delivered message's seq.
//      A recipient that declared such messages quiet in its last answer (ActorCore::
//      quiet: by type, clock ticks before a time, or by value: a candle's interval, a
//      portfolio state within bounds, read by the driver's probe) is delivered the message
//      but not waited for: it answers with nothing, and a quiet delivery that produces
//      output stops the run (quiet_broken). The journal is the same whatever recipients
//      declare.
//   4. A snapshot is due once a cascade is over and at least `snapshot_every` records
//      have been sequenced since the last one.
//   5. The journal batch is committed as soon as the sink reports it full.
//
// No threads, no clock, no CAF: `Body` is how the driver carries a message (packed bytes
// in the node, a decoded Message in replay); the sequencer only reads the header.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "actors/actor_core.hpp"
#include "actors/routing.hpp"
#include "base/result.hpp"

namespace trader {

// Why a run stops when a recipient produced output for a delivery of a type it had
// declared quiet (rule 3): its declaration was wrong, and what it sent is lost.
std::string quiet_broken(Actor recipient, std::uint16_t type_id, std::uint64_t seq, std::size_t outputs);

// Where sequenced messages go: a journal (the node, what-if), or a comparison with a
// recorded journal (verify, recovery).
template <class Body>
class SequencerSink {
 public:
  virtual ~SequencerSink() = default;
  // Journals one message and returns its seq. `header.cause_seq`: the seq of the delivery
  // that produced it (0 for an external input). An error stops the cascade.
  virtual Result<std::uint64_t> append(const EnvelopeHeader& header, const Body& body) = 0;
  virtual bool batch_full() const { return false; }
  virtual Status commit() { return {}; }
};

template <class Body>
class Sequencer {
 public:
  struct Output {
    Actor destination = Actor::none;  // none: published to the type's subscribers
    std::uint16_t type_id = 0;
    Body body;
  };
  // The message being delivered: journaled at header.seq, waiting for its recipients.
  struct Delivery {
    EnvelopeHeader header;
    Body body;
    std::span<const Actor> recipients;
    std::uint32_t quiet = 0;  // bit i: recipient i declared the type quiet; no answer is awaited
    bool awaits(std::size_t i) const { return (quiet >> i & 1U) == 0; }
  };

  // `last_seq`: the journal's last seq before this run; `last_snapshot_seq`: its last
  // snapshot (the schedule of snapshots goes on from there).
  Sequencer(std::uint64_t snapshot_every, std::uint64_t last_seq, std::uint64_t last_snapshot_seq)
      : snapshot_every_(snapshot_every), last_seq_(last_seq), last_snapshot_seq_(last_snapshot_seq) {}

  // No cascade under way: the next external input may begin.
  bool idle() const { return head_ == queue_.size() && !current_; }

  // Starts the cascade of one external input. `header.type_id` names its type.
  void begin(EnvelopeHeader header, Body body) {
    header.cause_seq = 0;
    queue_.push_back({header, std::move(body)});
  }

  // Reads the values a value-bound quiet declaration looks at (quiet_probe) from a body;
  // nothing when it cannot, and then no value bound covers it.
  using Probe = std::optional<QuietProbe> (*)(std::uint16_t type_id, const Body& body);

  // Journals queued messages up to the next one with recipients and returns it, or nullptr
  // when the cascade is over. Call it again only after every recipient has answered. The
  // body is the driver's to take: the sequencer reads only the header from here on (and,
  // through `probe`, the values of a delivery some recipient's quiet bounds by value).
  Result<Delivery*> next(SequencerSink<Body>& sink, Probe probe = nullptr) {
    current_.reset();
    while (head_ < queue_.size()) {
      Queued q = std::move(queue_[head_++]);
      if (head_ == queue_.size()) {  // read to the end: empty it, keeping its capacity
        queue_.clear();
        head_ = 0;
      }
      auto seq = sink.append(q.header, q.body);
      if (!seq) return abandon(seq.error());
      q.header.seq = *seq;
      last_seq_ = *seq;
      if (sink.batch_full())
        if (auto c = sink.commit(); !c) return abandon(c.error());
      if (recipients(q.header.type_id, q.header.destination).empty()) continue;
      current_.emplace(Delivery{q.header, std::move(q.body), {}});
      // A message with a destination has that one recipient: the span points at the
      // delivery's own header, which lives as long as the delivery.
      current_->recipients = recipients(current_->header.type_id, current_->header.destination);
      const std::size_t n = current_->recipients.size();
      answers_.resize(n);  // each left empty, its capacity kept, by the last answer()
      answered_.assign(n, false);
      waiting_ = n;
      std::optional<std::optional<QuietProbe>> values;  // read once, if a recipient asks
      for (std::size_t i = 0; i < n; ++i) {
        const Quiet& q = quiet_of(current_->recipients[i]);
        const std::uint16_t type = current_->header.type_id;
        if (probe && !values && q.bounds(type)) values = probe(type, current_->body);
        const QuietProbe* read = values && *values ? &**values : nullptr;
        if (q.covers(type, current_->header.recv_ts_ns, read)) {
          current_->quiet |= 1U << i;
          answered_[i] = true;
          --waiting_;
        }
      }
      return &*current_;
    }
    return nullptr;
  }

  // Recipient `index` of the current delivery answered, with what it now declares quiet.
  // Returns true once all have, when their outputs are queued in recipient order.
  // `outputs` is taken; it is left empty, holding storage the sequencer kept from an
  // earlier answer, so a caller that reuses one vector allocates nothing once warm.
  bool answer(std::size_t index, std::vector<Output>&& outputs, Quiet quiet = {}) {
    if (!current_ || index >= answered_.size() || answered_[index]) return false;  // not asked, or twice
    answered_[index] = true;
    answers_[index].swap(outputs);
    outputs.clear();
    if (const auto a = static_cast<std::size_t>(current_->recipients[index]); a < quiet_.size()) quiet_[a] = quiet;
    if (--waiting_ > 0) return false;
    const auto& in = current_->header;
    for (std::size_t i = 0; i < answers_.size(); ++i) {
      for (auto& o : answers_[i])
        queue_.push_back({EnvelopeHeader{0, in.recv_ts_ns, current_->recipients[i], o.destination, 0, o.type_id, 1, 0,
                                         in.seq},
                          std::move(o.body)});
      answers_[i].clear();
    }
    return true;
  }
  // Every recipient of the current delivery has answered (or there is none).
  bool answered() const { return waiting_ == 0; }

  bool snapshot_due() const {
    return idle() && snapshot_every_ > 0 && last_seq_ >= last_snapshot_seq_ + snapshot_every_;
  }
  // A snapshot of every core's state was taken at last_seq().
  void snapshot_taken() { last_snapshot_seq_ = last_seq_; }

  // Commits the journal batch now (before an order leaves for a venue, at the end).
  Status commit(SequencerSink<Body>& sink) { return sink.commit(); }

  std::uint64_t last_seq() const { return last_seq_; }
  std::size_t queued() const { return queue_.size() - head_; }

  // Drops the cascade under way (the run is failing).
  void clear() {
    queue_.clear();
    head_ = 0;
    current_.reset();
    answers_.clear();
    answered_.clear();
    waiting_ = 0;
  }

 private:
  struct Queued {
    EnvelopeHeader header;
    Body body;
  };

  const Quiet& quiet_of(Actor a) const {
    static const Quiet none;
    const auto i = static_cast<std::size_t>(a);
    return i < quiet_.size() ? quiet_[i] : none;
  }

  tl::unexpected<Error> abandon(Error e) {
    clear();
    return tl::unexpected(std::move(e));
  }

  std::uint64_t snapshot_every_;
  std::uint64_t last_seq_;
  std::uint64_t last_snapshot_seq_;
  // The cascade's FIFO: read from head_, emptied (capacity kept) once read to the end, so
  // queueing a message allocates nothing once the run is warm (a std::deque of messages
  // this large allocated a block every message or two).
  std::vector<Queued> queue_;
  std::size_t head_ = 0;
  std::optional<Delivery> current_;
  std::vector<std::vector<Output>> answers_;
  std::vector<bool> answered_;
  std::size_t waiting_ = 0;
  std::array<Quiet, kActorCount> quiet_{};  // what each actor declared quiet in its last answer
};

}  // namespace trader
