#include "actors/node/node_runtime.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <filesystem>
#include <future>
#include <set>

#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/core_factory/core_factory.hpp"
#include "actors/market_feed/market_feed_core.hpp"
#include "actors/node/feed_actor.hpp"
#include "actors/node/journal_space.hpp"
#include "actors/node/node_alerts.hpp"
#include "actors/node/node_projection.hpp"
#include "actors/node/node_startup.hpp"
#include "actors/node/node_status.hpp"
#include "actors/node/recovery.hpp"
#include "actors/node/warmup.hpp"
#include "actors/node/venue_gateway.hpp"
#include "actors/node/wire.hpp"
#include "actors/portfolio/portfolio_core.hpp"
#include "actors/risk/risk_core.hpp"
#include "actors/sequencer/sequencer.hpp"
#include "actors/strategy/xgb_strategy_core.hpp"
#include "base/wall_clock.hpp"
#include "config/client_ids.hpp"
#include "journal/directory.hpp"
#include "journal/journal.hpp"
#include "journal/record_format.hpp"
#include "messages/message_codec.hpp"
#include "alerts/session_end.hpp"
#include "replay/decision_hash.hpp"
#include "replay/session_record.hpp"
#include "replay/simulator.hpp"

namespace trader::node {

namespace {

// ---- business actors ------------------------------------------------------------------
struct CoreState {
  std::shared_ptr<ActorCore> core;
  Outbox outbox;
};

// What an actor answers to one WireDeliveries: the last item's outputs (when awaited).
WireAnswer answer_deliveries(CoreState& st, const WireDeliveries& in) {
  WireAnswer answer;
  answer.ticket = in.ticket;
  const Actor me = st.core->id();
  for (std::size_t i = 0; i < in.items.size(); ++i) {
    const WireDelivery& d = in.items[i];
    const bool awaited = in.answer && i + 1 == in.items.size();
    auto body = decode_body_flat(d.type_id, d.body);
    if (!body) {  // cannot happen for bytes the sequencer just journaled; say so if it does
      if (!awaited) {
        answer.error = fmt::format("{} cannot read seq {}: {}", actor_name(me), d.seq, body.error().message);
        return answer;
      }
      answer.items.push_back(to_wire(me, Actor::none, 0,
                                     ErrorReport{"undeliverable", body.error().message, actor_name(me), 0, 0}));
      break;
    }
    st.outbox.clear();
    st.core->on(Delivery{d.seq, d.recv_ts_ns, static_cast<Actor>(d.source), *body}, st.outbox);
    if (!awaited) {
      if (st.outbox.empty()) continue;
      answer.error = quiet_broken(me, d.type_id, d.seq, st.outbox.size());
      return answer;
    }
    answer.items.reserve(st.outbox.size());
    for (const auto& o : st.outbox) answer.items.push_back(to_wire(me, o.destination, d.recv_ts_ns, o.message));
  }
  if (in.answer) answer.quiet = st.core->quiet();  // a flush answers nothing: nothing to declare
  return answer;
}

core_actor::behavior_type core_fn(core_actor::stateful_pointer<CoreState> self, std::shared_ptr<ActorCore> core) {
  self->state.core = std::move(core);
  // A core that throws ends its actor; its reason carries what was thrown, and the
  // sequencer, which monitors it, stops the run saying so (set_down_handler below).
  self->set_exception_handler([](std::exception_ptr& thrown) -> caf::error {
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error, std::string("an exception of unknown type"));
    }
  });
  return {[self](deliver_atom, const WireDeliveries& in) {
            self->send(caf::actor_cast<answer_sink>(self->current_sender()), answer_atom::value,
                       answer_deliveries(self->state, in));
          },
          [self](snapshot_atom) -> WireState {
            StateWriter w;
            self->state.core->save(w);
            return WireState{std::move(w.bytes())};
          }};
}

// ---- the journal actor: drives the Sequencer (actors/sequencer/sequencer.hpp) ------------
using FlatBody = std::vector<std::uint8_t>;  // a message body, flat Cap'n Proto (encode_body_flat)
using Schedule = Sequencer<FlatBody>;
struct SequencerState;

// The node's journal, as the sequencer sees it. The summary, the status view and the
// decision hash watch each record go in.
class NodeJournalSink final : public SequencerSink<FlatBody> {
 public:
  explicit NodeJournalSink(SequencerState& st) : st_(st) {}
  Result<std::uint64_t> append(const EnvelopeHeader& header, const FlatBody& body) override;
  bool batch_full() const override;
  Status commit() override;
  // Adds the decisions journaled since the last call to the session's decision hash, in
  // journal order. The hash is read only when the session ends, so the sequencer calls this
  // once a cascade is over: hashing is not on the path from an input to its order.
  Status hash_decisions();

 private:
  SequencerState& st_;
  std::vector<std::pair<std::uint16_t, FlatBody>> unhashed_;  // type and body of each, in journal order
  // Hops from the cascade's input to each of its records, by seq - first_seq_ (latency only).
  std::uint64_t first_seq_ = 0;
  std::vector<std::uint32_t> hops_;
};

struct SequencerState {
  std::shared_ptr<journal::Writer> writer;
  std::uint64_t session_id = 0;
  std::map<Actor, core_actor> actors;
  feed_actor feed;
  std::unique_ptr<Schedule> schedule;
  std::unique_ptr<NodeJournalSink> sink;
  std::deque<WireOutput> external;  // inputs fetched from the feed (or the venue, an operator), not yet started
  // The feed's core decides next to the journal, so its state is the journal's: the group
  // it made of the last received message, still to be started, decoded and packed.
  std::shared_ptr<MarketFeedCore> feed_core;
  struct Admitted {
    WireOutput wire;
    Message message;
  };
  std::deque<Admitted> admitted;
  std::uint64_t resume_item = 0, resume_skip = 0;  // a capture item whose group a crash cut short
  bool feed_done = false, stopping = false, finished = false, idle_commit = false;
  RunSummary summary;
  const std::atomic<bool>* stop = nullptr;
  std::shared_ptr<std::promise<Result<RunSummary>>> done;
  std::string failure;
  replay::DecisionHash decisions;
  bool snapshotting = false;
  std::int64_t current_ingress_ns = 0;  // of the external input whose consequences are being sequenced
  std::unique_ptr<NodeStatus> status;    // what the control API shows
  bool awaiting_feed = false;
  std::int64_t data_time_ns = 0;         // receive time of the last message sequenced
  std::uint64_t min_free_bytes = 0;      // journal room below which trading halts
  bool space_halted = false;             // that halt has been journaled
  std::map<VenueId, caf::actor> venues;  // testnet/live: each venue's gateway (together the `exchange` actor)
  std::size_t venue_outstanding = 0;     // requests handed to them and not yet done
  std::chrono::milliseconds venue_wait{0};  // how long a stop waits for those
  bool venue_waiting = false, venue_wait_over = false;
  std::shared_ptr<NodeAlerts> alerts;       // null: no channel on
  // Deliveries of types an actor declared quiet, not handed over yet: they ride with its
  // next message (a delivery it answers, a flush, a snapshot request's flush).
  std::array<std::vector<WireDelivery>, kActorCount> quiet_pending;
  bool mark_source_warned = false;  // a venue mark or funding refused in a book-marked session: said once
  std::size_t flushes = 0;  // flushes whose acknowledgement a stop waits for
};

// How many quiet deliveries an actor may have pending before they go without waiting for
// its next answered one (an idle paper venue hears every trade).
constexpr std::size_t kMaxQuietPending = 256;

// After a commit: when the journal is running out of room, a halt goes in ahead of
// everything else, journaled like an operator's, while there is still room to record it.
void check_journal_space(SequencerState& st) {
  auto space = st.writer->space();
  if (!space) {
    spdlog::warn("{}", space.error().message);
    return;
  }
  st.status->set_journal_space(space->left());
  if (st.alerts) st.alerts->on_journal_space(space->left(), st.min_free_bytes, st.data_time_ns);
  if (st.space_halted) return;
  auto reason = journal_space_halt(*space, st.min_free_bytes);
  if (!reason) return;
  st.space_halted = true;
  spdlog::error("{}", *reason);
  const OperatorCommand cmd{OperatorCommandKind::halt, "journal", *reason, st.data_time_ns};
  WireOutput w = to_wire(Actor::operator_, Actor::none, st.data_time_ns, cmd);
  w.ingress_wall_ns = wall_ns();
  st.external.push_front(std::move(w));
}

// Group commit, timed for /metrics.
Result<journal::BatchInfo> commit_timed(SequencerState& st) {
  const auto t0 = std::chrono::steady_clock::now();
  auto c = st.writer->commit();
  if (c && c->last_seq != 0) {
    st.status->on_commit(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (st.alerts) st.alerts->on_commit();  // what the committed records raised goes out now, not before
    check_journal_space(st);
  }
  return c;
}

using sequencer_ptr = caf::stateful_actor<SequencerState>*;
void pump(sequencer_ptr self);

void finish(sequencer_ptr self) {
  auto& st = self->state;
  st.finished = true;
  if (auto hashed = st.sink->hash_decisions(); !hashed && st.failure.empty()) st.failure = hashed.error().message;
  auto committed = commit_timed(st);
  // replay/session_record.hpp says what each ending means for the session's last cascade.
  const std::string error(replay::kSessionError);
  std::string reason = !st.failure.empty()              ? error + st.failure
                       : !st.summary.feed_failure.empty() ? "feed failed: " + st.summary.feed_failure
                       : st.stopping                      ? "stopped by signal"
                                                          : "completed";
  if (!committed && st.failure.empty()) reason = error + committed.error().message;
  auto ended = st.writer->end_session(st.session_id, wall_ns(), reason);
  if (st.alerts) st.alerts->on_end(committed.has_value(), reason, alerts::session_failed(reason));
  st.summary.end_reason = reason;
  st.summary.decisions = st.decisions.decisions();
  st.summary.decision_hash = st.decisions.hex();
  for (auto& [actor, handle] : st.actors) self->send_exit(handle, caf::exit_reason::user_shutdown);
  self->send_exit(st.feed, caf::exit_reason::user_shutdown);
  for (auto& [id, gateway] : st.venues) self->send_exit(gateway, caf::exit_reason::user_shutdown);
  if (!st.failure.empty()) st.done->set_value(fail(st.failure));
  else if (!committed) st.done->set_value(tl::unexpected(committed.error()));
  else if (!ended) st.done->set_value(tl::unexpected(ended.error()));
  else st.done->set_value(st.summary);
  st.writer.reset();
  self->quit();
}

void abort_run(sequencer_ptr self, std::string why) {
  auto& st = self->state;
  if (st.finished) return;
  st.failure = std::move(why);
  st.schedule->clear();
  finish(self);
}

// Why a failed commit (journal full, I/O error) stops the session: nothing more may be
// delivered; what was committed stays, and the node can resume from it.
std::string commit_failure(const SequencerState& st, const Error& e) {
  return fmt::format("{}; the node stopped: records up to seq {} are committed{}", e.message,
                     st.writer->last_committed_seq(),
                     st.space_halted ? ", trading had been halted for lack of journal space" : "");
}

Result<std::uint64_t> NodeJournalSink::append(const EnvelopeHeader& header, const FlatBody& body) {
  auto& st = st_;
  const std::uint64_t cause_seq = header.cause_seq;
  auto seq = st.writer->append_flat(header, header.type_id, body);
  if (!seq) return seq;
  if (cause_seq == 0) {  // an input: a new cascade
    first_seq_ = *seq;
    hops_.clear();
  }
  hops_.push_back(cause_seq >= first_seq_ && cause_seq - first_seq_ < hops_.size() ? hops_[cause_seq - first_seq_] + 1 : 0);
  auto& s = st.summary;
  const auto type_id = header.type_id;
  st.data_time_ns = std::max(st.data_time_ns, header.recv_ts_ns);
  if (s.first_seq == 0) s.first_seq = *seq;
  s.last_seq = *seq;
  ++s.by_source[header.source];
  ++s.by_type[type_id];
  if (replay::may_be_decision(type_id)) unhashed_.emplace_back(type_id, body);
  // Decode only what the summary, the status view and the feed-failure check need (the
  // journal has the bytes; they decoded on the way in).
  if (!NodeStatus::wants(type_id) && !(st.alerts && st.alerts->wants(type_id))) {
    st.status->on_message(*seq, type_id, nullptr);
    return seq;
  }
  auto m = decode_body_flat(type_id, body);
  if (!m) return tl::unexpected(m.error());  // append_flat read these same bytes: cannot happen
  if (const auto* request = std::get_if<OrderRequest>(&*m)) {
    // A cancel (a limit order's expiry, say) is no order: not counted as one, not timed.
    if (request->cancel) {
      ++s.cancels;
    } else if (st.current_ingress_ns != 0) {
      s.tick_to_order_hops.push_back(hops_.back());
      s.tick_to_order_ns.push_back(wall_ns() - st.current_ingress_ns);
      st.status->on_tick_to_order(static_cast<double>(s.tick_to_order_ns.back()) / 1e9);
    }
  }
  // A feed that failed (a cut capture, a live feed that gave up) ends the session as a
  // failure, not as "completed".
  if (header.source == Actor::market_feed)
    if (const auto* e = std::get_if<ErrorReport>(&*m); e && (e->code == "capture_read_error" || e->code == "feed_error"))
      s.feed_failure = e->message;
  if (header.source == Actor::portfolio)
    if (const auto* e = std::get_if<ErrorReport>(&*m); e && e->code == PortfolioCore::kFeeAssetUnvalued)
      ++s.unvalued_fee_fills;
  if (const auto* e = PortfolioCore::lost_book(header.source, *m)) {
    if (s.lost_book.empty()) spdlog::error("seq {}: {}; trading halted", *seq, e->message);
    s.lost_book.push_back(fmt::format("seq {}: {}", *seq, e->message));
  }
  st.status->on_message(*seq, type_id, &*m);
  if (st.alerts) st.alerts->on_record(*seq, *m);
  if (auto* p = std::get_if<PortfolioState>(&*m)) s.portfolio = std::move(*p);
  return seq;
}

Status NodeJournalSink::hash_decisions() {
  for (const auto& [type_id, body] : unhashed_) {
    auto m = decode_body_flat(type_id, body);
    if (!m) return tl::unexpected(m.error());  // append_flat read these same bytes: cannot happen
    st_.decisions.add(*m);
  }
  unhashed_.clear();
  return {};
}

bool NodeJournalSink::batch_full() const { return st_.writer->batch_full(); }

Status NodeJournalSink::commit() {
  if (auto c = commit_timed(st_); !c) return fail(commit_failure(st_, c.error()));
  return {};
}

// The gateway of the venue an order request's instrument trades on ("BTC-USD@coinbase":
// coinbase's). The config gives every traded venue one; should one lack it, another venue
// refuses the instrument it does not list.
const caf::actor& venue_for(const SequencerState& st, const WireDelivery& d) {
  const auto body = decode_body_flat(d.type_id, d.body);
  if (body)
    if (const auto* request = std::get_if<OrderRequest>(&*body))
      if (const auto it = st.venues.find(venue_of(request->symbol)); it != st.venues.end()) return it->second;
  return st.venues.begin()->second;
}

// Tickets of the deliveries no answer is awaited for (flushes); an awaited delivery's is
// its recipient's index in the delivery.
constexpr std::uint32_t kFlushTicket = 0x8000'0000U;
constexpr std::uint32_t kCountedFlushTicket = kFlushTicket | 1U;  // a stop waits for its acknowledgement

// Hands an actor its pending quiet deliveries now (nothing to answer). `counted`: a stop
// waits for its acknowledgement. A quiet delivery that produced output stops the run.
void flush_quiet(sequencer_ptr self, Actor to, bool counted) {
  auto& st = self->state;
  auto& pending = st.quiet_pending[static_cast<std::size_t>(to)];
  if (pending.empty()) return;
  const auto it = st.actors.find(to);
  if (it == st.actors.end()) return pending.clear();
  if (counted) ++st.flushes;
  self->send(it->second, deliver_atom::value,
             WireDeliveries{std::move(pending), false, counted ? kCountedFlushTicket : kFlushTicket});
  pending.clear();
}

// An actor's answer to a delivery or a flush (WireDeliveries::ticket).
void on_answer(sequencer_ptr self, WireAnswer& reply) {
  auto& st = self->state;
  if (st.finished) return;
  if (!reply.error.empty()) return abort_run(self, reply.error);
  if (reply.ticket == kFlushTicket) return;
  if (reply.ticket == kCountedFlushTicket) {
    if (--st.flushes == 0) pump(self);
    return;
  }
  std::vector<Schedule::Output> outputs;
  outputs.reserve(reply.items.size());
  for (auto& o : reply.items) outputs.push_back({static_cast<Actor>(o.destination), o.type_id, std::move(o.body)});
  if (st.schedule->answer(reply.ticket, std::move(outputs), reply.quiet)) pump(self);
}

// Hands a journaled message to its recipients; each answer goes back to the schedule.
void dispatch(sequencer_ptr self, Schedule::Delivery& d) {
  auto& st = self->state;
  WireDelivery delivery{d.header.seq, d.header.recv_ts_ns, static_cast<std::uint16_t>(d.header.source),
                        d.header.type_id, std::move(d.body)};
  for (std::size_t i = 0; i < d.recipients.size(); ++i) {
    const Actor to = d.recipients[i];
    if (to == Actor::exchange && !st.venues.empty()) {
      // A real venue hears of an order only once the order is durable in the journal:
      // after a crash, every order the venue knows is one the node can look up. Its
      // answers come back later, as external inputs.
      if (d.header.type_id == OrderRequest::kTypeId) {  // market data is for the paper venue
        if (st.stopping) {  // a stopping node places nothing new; the next start finds it unsent
          spdlog::warn("stopping: order request seq {} is journaled but not sent", d.header.seq);
        } else {
          if (auto c = st.schedule->commit(*st.sink); !c) return abort_run(self, c.error().message);
          self->send(venue_for(st, delivery), venue_order_atom::value, delivery);
          ++st.venue_outstanding;
        }
      }
      st.schedule->answer(i, {});
      continue;
    }
    auto it = st.actors.find(to);
    if (it == st.actors.end()) {  // a recipient this node does not run
      st.schedule->answer(i, {});
      continue;
    }
    ++st.summary.deliveries;
    auto& pending = st.quiet_pending[static_cast<std::size_t>(to)];
    if (i + 1 == d.recipients.size()) pending.push_back(std::move(delivery));  // the last one needs no copy
    else pending.push_back(delivery);
    if (!d.awaits(i)) {  // quiet: it goes with the actor's next message
      if (pending.size() >= kMaxQuietPending) flush_quiet(self, to, false);
      continue;
    }
    ++st.summary.round_trips;
    self->send(it->second, deliver_atom::value, WireDeliveries{std::move(pending), true, static_cast<std::uint32_t>(i)});
    pending.clear();
  }
}

// The group the feed core makes of the next received message (a tick, a gap, a refusal,
// the message), queued to be journaled record by record. After a crash, the part of a
// group that was journaled already is not queued again.
Status admit_received(SequencerState& st) {
  WireOutput in = std::move(st.external.front());
  st.external.pop_front();
  auto message = decode_body_flat(in.type_id, in.body);
  if (!message) return fail(fmt::format("market feed item {}: {}", in.ingress_seq, message.error().message));
  std::vector<FeedInput> group;
  st.feed_core->admit(in.recv_ts_ns, std::move(*message), group);
  std::size_t skip = 0;
  if (in.ingress_seq != 0 && in.ingress_seq == st.resume_item) skip = std::min<std::size_t>(st.resume_skip, group.size());
  for (std::size_t i = skip; i < group.size(); ++i) {
    auto& g = group[i];
    auto& s = st.summary;
    if (const auto* f = std::get_if<FeedStatus>(&g.message); f && f->kind == FeedStatusKind::gap) ++s.gaps;
    if (const auto* e = std::get_if<ErrorReport>(&g.message)) {
      if (e->code == MarketFeedCore::kImplausibleTime && s.implausible_times++ == 0)
        spdlog::warn("{} (further ones are journaled and counted, not logged)", e->message);
      if (e->code == MarketFeedCore::kStaleId && s.stale_ids++ == 0)
        spdlog::warn("{} {} (further ones are journaled and counted, not logged)", e->context, e->message);
      if (e->code == MarketFeedCore::kOtherMarkSource && !std::exchange(st.mark_source_warned, true))
        spdlog::warn("{} (further ones are journaled, not logged)", e->message);
    }
    WireOutput w;
    if (i + 1 == group.size()) {  // the received message itself: its bytes as they came
      w = std::move(in);
      w.destination = static_cast<std::uint16_t>(g.destination);
    } else {
      w = to_wire(g.source, g.destination, g.recv_ts_ns, g.message);
      w.ingress_wall_ns = in.ingress_wall_ns;
      w.ingress_seq = in.ingress_seq;
    }
    st.admitted.push_back({std::move(w), std::move(g.message)});
  }
  return {};
}

// Nothing under way that an answer will resume: an event may start the pump. A request
// to the feed may be outstanding: a live feed answers when the market trades, and the
// venue's answers and operator commands must not wait for that.
bool at_rest(const SequencerState& st) { return st.schedule->answered() && !st.snapshotting && st.flushes == 0; }

// Asks every actor for its state (in actor order) and journals the set as a snapshot
// at the last seq; the queue is empty and nothing is in flight, so it is a clean cut.
void take_snapshot(sequencer_ptr self) {
  auto& st = self->state;
  st.snapshotting = true;
  auto states = std::make_shared<std::vector<std::pair<Actor, std::vector<std::uint8_t>>>>();
  auto remaining = std::make_shared<std::size_t>(st.actors.size());
  const std::uint64_t at = st.schedule->last_seq();
  StateWriter feed_state;  // market_feed comes first in actor order
  st.feed_core->save(feed_state);
  states->emplace_back(Actor::market_feed, std::move(feed_state.bytes()));
  for (auto& [actor, handle] : st.actors) {
    flush_quiet(self, actor, false);  // ahead of the snapshot request: its state includes them
    states->emplace_back(actor, std::vector<std::uint8_t>{});
    const std::size_t i = states->size() - 1;
    self->request(handle, caf::infinite, snapshot_atom::value)
        .then(
            [self, states, remaining, i, at](WireState& state) {
              auto& st = self->state;
              if (st.finished) return;
              (*states)[i].second = std::move(state.bytes);
              if (--*remaining > 0) return;
              if (auto put = st.writer->put_snapshot(at, replay::encode_snapshot(*states)); !put)
                return abort_run(self, put.error().message);
              st.schedule->snapshot_taken();
              ++st.summary.snapshots;
              st.snapshotting = false;
              pump(self);
            },
            [self](caf::error& e) { abort_run(self, "snapshot failed: " + self->system().render(e)); });
  }
}

// Inputs read ahead of the sequencer: while fewer wait, one request to the feed stays
// outstanding, so the feed reads and parses its next batch on its own thread meanwhile.
constexpr std::size_t kFeedAhead = 256;

void request_feed(sequencer_ptr self) {
  auto& st = self->state;
  if (st.finished || st.awaiting_feed || st.feed_done || st.stopping || st.external.size() >= kFeedAhead) return;
  st.awaiting_feed = true;
  self->request(st.feed, caf::infinite, next_atom::value)
      .then(
          [self](WireBatch& batch) {
            auto& st = self->state;
            st.awaiting_feed = false;
            for (auto& item : batch.items) st.external.push_back(std::move(item));
            if (batch.end_of_data) st.feed_done = true;
            request_feed(self);
            pump(self);  // it goes on only if nothing else is under way
          },
          [self](caf::error& e) { abort_run(self, "market feed failed: " + self->system().render(e)); });
}

void pump(sequencer_ptr self) {
  auto& st = self->state;
  auto& schedule = *st.schedule;
  while (!st.finished && at_rest(st)) {
    request_feed(self);
    if (!schedule.idle()) {  // the cascade goes on: journal the next message, deliver it
      auto delivery = schedule.next(*st.sink, [](std::uint16_t type_id, const FlatBody& body) -> std::optional<QuietProbe> {
        auto m = decode_body_flat(type_id, body);
        return m ? std::optional(quiet_probe(*m)) : std::nullopt;
      });
      if (!delivery) return abort_run(self, delivery.error().message);
      if (*delivery) dispatch(self, **delivery);
      continue;
    }
    if (auto hashed = st.sink->hash_decisions(); !hashed) return abort_run(self, hashed.error().message);
    if (schedule.snapshot_due()) return take_snapshot(self);
    if (st.stop->load() && !st.stopping) st.stopping = true;
    if (st.stopping && !st.venues.empty()) {  // only the venues' answers still go in
      std::erase_if(st.external, [](const WireOutput& w) { return w.source != static_cast<std::uint16_t>(Actor::exchange); });
      st.admitted.clear();  // a group cut short: the next start reads its message again
    }
    if (!st.admitted.empty() && !st.stopping) {  // the feed's group goes in record by record
      auto& [in, message] = st.admitted.front();
      EnvelopeHeader header{0, in.recv_ts_ns, static_cast<Actor>(in.source), static_cast<Actor>(in.destination),
                            0, in.type_id, 1, in.ingress_seq};
      if (auto recorded = st.feed_core->record(header, message); !recorded)
        return abort_run(self, "market feed: " + recorded.error().message);
      st.current_ingress_ns = in.ingress_wall_ns;
      schedule.begin(header, std::move(in.body));
      st.admitted.pop_front();
      continue;
    }
    if (!st.external.empty() && st.external.front().source == static_cast<std::uint16_t>(Actor::market_feed) &&
        !st.stopping) {
      if (auto admitted = admit_received(st); !admitted) return abort_run(self, admitted.error().message);
      continue;
    }
    if (!st.external.empty() && (!st.stopping || !st.venues.empty())) {
      WireOutput in = std::move(st.external.front());
      st.external.pop_front();
      st.current_ingress_ns = in.ingress_wall_ns;
      schedule.begin(EnvelopeHeader{0, in.recv_ts_ns, static_cast<Actor>(in.source), static_cast<Actor>(in.destination),
                                    0, in.type_id, 1, in.ingress_seq},
                     std::move(in.body));
      continue;
    }
    if ((st.feed_done || st.stopping) && st.venue_outstanding > 0 && !st.venue_wait_over) {
      // Orders at the venue whose answers are not back: wait for them (bounded), so the
      // journal ends with what the venue did rather than leaving it to the next start.
      if (!st.venue_waiting) {
        st.venue_waiting = true;
        spdlog::info("stopping: waiting for the venue's answers to {} order request(s)", st.venue_outstanding);
        self->delayed_send(self, st.venue_wait, venue_wait_over_atom::value);
      }
      return;
    }
    if (st.feed_done || st.stopping) {
      // The quiet deliveries still pending go first: one that produced output fails the
      // session rather than ending it as if nothing were lost.
      for (auto& [actor, handle] : st.actors) flush_quiet(self, actor, true);
      if (st.flushes > 0) return;  // the last acknowledgement resumes the pump
      return finish(self);
    }
    if (st.idle_commit && st.writer->staged() > 0) {  // paced feeds: commit while waiting
      if (auto c = schedule.commit(*st.sink); !c) return abort_run(self, c.error().message);
    }
    st.status->set_queues(schedule.queued(), st.external.size(), st.writer->staged());
    return;  // the feed's answer (requested above), the venue's or an operator's resumes the pump
  }
}

struct SequencerInit {
  std::shared_ptr<journal::Writer> writer;
  std::uint64_t session_id;
  std::map<Actor, core_actor> actors;
  feed_actor feed;
  const std::atomic<bool>* stop;
  std::shared_ptr<std::promise<Result<RunSummary>>> done;
  bool idle_commit;
  std::uint64_t snapshot_every;
  std::uint64_t last_snapshot_seq;
  RunSummary summary;  // what is known before the run (recovery)
  std::shared_ptr<MarketFeedCore> feed_core;
  std::uint64_t resume_item, resume_skip;
  std::string node_id, model_id;
  std::uint64_t min_free_bytes;
  std::vector<WireOutput> first_inputs;  // journaled before anything else (venue reconciliation)
  OrderMode order_mode;
  std::function<void(NodeStatus&, std::uint64_t)> restore_status;  // set when resumed
  std::shared_ptr<NodeAlerts> alerts;
  RiskLimits limits;  // what the status view shows each limit's use against
};

caf::behavior sequencer_fn(sequencer_ptr self, std::shared_ptr<SequencerInit> init) {
  auto& st = self->state;
  st.writer = init->writer;
  st.session_id = init->session_id;
  st.actors = init->actors;
  st.feed = init->feed;
  st.stop = init->stop;
  st.done = init->done;
  st.idle_commit = init->idle_commit;
  st.min_free_bytes = init->min_free_bytes;
  st.summary = init->summary;
  st.feed_core = init->feed_core;
  st.resume_item = init->resume_item;
  st.resume_skip = init->resume_skip;
  st.alerts = init->alerts;
  // Seqs (and the snapshot schedule) go on from the journal as it stands: a resumed or
  // appended session must not count from zero.
  st.summary.last_seq = st.writer->last_committed_seq();
  st.schedule = std::make_unique<Schedule>(init->snapshot_every, st.summary.last_seq,
                                           std::max(init->last_snapshot_seq, st.summary.last_seq));
  st.sink = std::make_unique<NodeJournalSink>(st);
  st.summary.session_id = init->session_id;
  st.status = std::make_unique<NodeStatus>(init->node_id, init->model_id, init->session_id);
  st.status->set_order_mode(std::string(name(init->order_mode)));
  st.status->set_limits(init->limits);
  if (init->restore_status) init->restore_status(*st.status, st.summary.last_seq);
  for (auto& w : init->first_inputs) st.external.push_back(std::move(w));
  // Deliveries are plain messages (wire.hpp): an actor that dies answers nothing, so its
  // death is what stops the run.
  for (auto& [actor, handle] : st.actors) self->monitor(handle);
  self->set_down_handler([self](caf::down_msg& down) {
    auto& st = self->state;
    if (st.finished) return;
    const auto died = std::find_if(st.actors.begin(), st.actors.end(),
                                   [&down](const auto& a) { return a.second.address() == down.source; });
    abort_run(self, fmt::format("actor {} failed: {}", died != st.actors.end() ? actor_name(died->first) : "?",
                                self->system().render(down.reason)));
  });
  return {
      [self](start_atom) { pump(self); },
      [self](answer_atom, WireAnswer& reply) { on_answer(self, reply); },
      [self](attach_venue_atom, std::uint8_t venue, caf::actor gateway, std::int64_t wait_ms) {
        self->state.venues[static_cast<VenueId>(venue)] = std::move(gateway);
        self->state.venue_wait = std::max(self->state.venue_wait, std::chrono::milliseconds(wait_ms));
      },
      [self](venue_done_atom) {
        auto& st = self->state;
        if (st.venue_outstanding > 0) --st.venue_outstanding;
        if (!st.finished && st.venue_waiting && at_rest(st)) pump(self);
      },
      [self](venue_wait_over_atom) {
        auto& st = self->state;
        if (st.finished) return;
        spdlog::warn("stopping without the venue's answers to {} order request(s): the next start looks them up",
                     st.venue_outstanding);
        st.venue_wait_over = true;
        if (at_rest(st)) pump(self);
      },
      // The venue's answers are external inputs, journaled in the order they arrive.
      [self](venue_event_atom, WireBatch& batch) {
        auto& st = self->state;
        if (st.finished) return;
        for (auto& item : batch.items) st.external.push_back(std::move(item));
        if (at_rest(st)) pump(self);
      },
      [self](status_atom, const std::string& what) -> std::string {
        auto& st = self->state;
        st.status->set_queues(st.schedule->queued(), st.external.size(), st.writer ? st.writer->staged() : 0);
        st.status->set_feed_done(st.feed_done);
        if (what == "health") return st.status->health_json();
        if (what == "metrics") return st.status->metrics_text();
        if (what == "dashboard") return st.status->dashboard_json();
        return st.status->status_json();
      },
      // An operator command is an external input like market data: journaled, then
      // delivered, so replay reproduces it. It goes ahead of queued market data.
      [self](operator_atom, std::uint8_t kind, const std::string& by, const std::string& reason) -> std::string {
        auto& st = self->state;
        if (st.finished || st.stopping) return R"({"error":"the node is stopping"})";
        const OperatorCommand cmd{static_cast<OperatorCommandKind>(kind), by, reason, st.data_time_ns};
        WireOutput w = to_wire(Actor::operator_, Actor::none, st.data_time_ns, cmd);
        w.ingress_wall_ns = wall_ns();
        st.external.push_front(std::move(w));
        if (at_rest(st)) pump(self);
        static const char* names[] = {"halt", "resume", "flatten", "shutdown"};
        return fmt::format(R"({{"accepted":"{}"}})", names[kind % 4]);
      }};
}

}  // namespace

Result<RunSummary> run_node(const NodeConfig& given, const std::atomic<bool>& stop, const CoreFactory& factory) {
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  const bool resuming = given.if_exists == IfExists::resume &&
                        std::filesystem::exists(std::filesystem::path(given.journal_path) / "data.mdb", ec);
  auto prefixed = with_journal_client_ids(given, resuming);
  if (!prefixed) return tl::unexpected(prefixed.error());
  const NodeConfig& config = *prefixed;
  std::optional<Recovery> recovery;
  if (resuming)  // say so at once, before recovery reads the whole journal (Writer::open would refuse too)
    if (const auto pid = journal::writer_lock_holder(config.journal_path); !pid.empty())
      return fail(fmt::format("journal {} is already open for writing by process {}", config.journal_path, pid));
  if (resuming) {
    auto r = recover(config.journal_path, config, factory);
    if (!r) return fail("cannot resume " + config.journal_path + ": " + r.error().message);
    recovery = std::move(*r);
  }
  auto alerts = NodeAlerts::create(config);  // a channel's secret unset: refused before anything starts
  if (!alerts) return tl::unexpected(alerts.error());
  std::shared_ptr<NodeAlerts> node_alerts = std::move(*alerts);
  auto source = open_feed_source(config, stop);
  if (!source) return tl::unexpected(source.error());
  const bool live_feed = (*source)->live();
  // Cores (and the model) first: a bad model stops the node before it writes anything.
  std::string model_id;
  Result<Cores> cores = recovery ? Result<Cores>(std::move(recovery->cores)) : factory(config, &model_id);
  if (!cores) return tl::unexpected(cores.error());
  if (recovery) model_id = recovery->model_id;
  for (const auto& m : static_cast<const StrategyCore&>(*cores->at(Actor::strategy)).members())
    if (const auto* xgb = dynamic_cast<const XgbView*>(m.view.get()))
      spdlog::info("strategy {}model {}: {}", m.id.empty() ? "" : m.id + " ", m.model_id, xgb->model().predictor());
  if (live_feed && config.history.warmup)  // the recent klines first, as far back as the cores need
    *source = with_warmup(std::move(*source), plan_warmup(config, *cores),
                          [&config] { return make_history_venue(config); }, &stop);

  // Testnet and live: reach the venue and reconcile with it before anything new happens.
  auto venue = connect_venue(config, *cores);
  if (!venue) return tl::unexpected(venue.error());

  // The control API binds before the journal is touched: every check that can refuse the
  // start has run by the time an existing journal is archived or replaced.
  caf::actor_system_config cfg;
  add_wire_types(cfg);
  if (config.busy_poll) {
    // Idle workers keep polling instead of sleeping (CAF's default sleeps 50 us, then
    // 10 ms), so a message never waits for a thread to wake up.
    cfg.set("work-stealing.aggressive-poll-attempts", std::numeric_limits<std::int64_t>::max() / 2);
  }
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(config.threads));
  caf::actor_system system{cfg};

  auto control = start_control_api(config, system);
  if (!control) return tl::unexpected(control.error());
  auto writer = open_node_journal(config, resuming);
  if (!writer) return tl::unexpected(writer.error());
  auto session = begin_node_session(**writer, config, model_id, recovery ? &*recovery : nullptr, *cores);
  if (!session) return tl::unexpected(session.error());

  // A resumed node's status view starts from the state recovery rebuilt.
  std::function<void(NodeStatus&, std::uint64_t)> restore_status;
  if (recovery) {
    const auto& portfolio = static_cast<const PortfolioCore&>(*cores->at(Actor::portfolio)).state();
    restore_status = [portfolio,
                      risk = static_cast<const RiskCore&>(*cores->at(Actor::risk)).state_message(portfolio.ts_ms),
                      open = open_requests(*cores)](NodeStatus& status, std::uint64_t last_seq) {
      status.restore(last_seq, portfolio, risk, open);
    };
  }
  // The feed core decides next to the journal, not as an actor (its state is the journal's).
  std::shared_ptr<MarketFeedCore> feed_core(static_cast<MarketFeedCore*>(cores->at(Actor::market_feed).release()));
  cores->erase(Actor::market_feed);
  std::map<Actor, core_actor> actors;
  for (auto& [actor, core] : *cores)
    actors[actor] = system.spawn(core_fn, std::shared_ptr<ActorCore>(std::move(core)));

  auto feed_stats = std::make_shared<FeedStats>();
  auto feed_init = std::make_shared<FeedState>();
  feed_init->stream = std::move(*source);
  const auto traded = config.traded_symbols();
  feed_init->symbols = std::set<std::string>(traded.begin(), traded.end());
  feed_init->speed = config.speed;
  feed_init->stop = &stop;
  feed_init->stats = feed_stats;
  const bool fast_forward = recovery && !live_feed;  // a live stream continues where it is
  if (fast_forward) feed_init->resume_item = recovery->resume_item;
  auto feed = system.spawn<caf::detached>(feed_fn, feed_init);

  auto done = std::make_shared<std::promise<Result<RunSummary>>>();
  auto result = done->get_future();
  auto init = std::make_shared<SequencerInit>(
      SequencerInit{*writer, session->session_id, actors, feed, &stop, done, config.speed > 0 || live_feed,
                    config.snapshot_every, session->snapshot_seq, session->known, feed_core,
                    fast_forward ? recovery->resume_item : 0, fast_forward ? recovery->resume_skip : 0,
                    config.node_id, model_id, config.min_free_mb << 20, std::move(venue->first_inputs), config.order_mode,
                    std::move(restore_status), node_alerts,
                    RiskLimits{config.risk.max_daily_loss, config.risk.max_drawdown_ppm, config.risk.max_orders_per_minute,
                               config.risk.max_trades_per_day, config.risk.max_open_positions}});
  std::shared_ptr<journal::Reader> journal_reader = (*writer)->reader();  // /explain reads what is committed
  std::unique_ptr<NodeProjection> projection;
  if (!config.projection.db.empty()) {
    projection::ProjectOptions options;
    options.rows.candles = config.projection.candles;
    options.batch_records = 5'000;  // short reads: the journal's writer never waits long to grow its map
    projection = std::make_unique<NodeProjection>((*writer)->reader(), config.projection.db, config.journal_path,
                                                  options);
  }
  writer->reset();  // the sequencer owns it now
  auto sequencer = system.spawn(sequencer_fn, init);
  init.reset();
  for (auto& link : venue->venues) {  // one gateway per venue: one's slow answers never hold up another's orders
    auto handle = spawn_venue_gateway(system, std::move(link.venue), std::move(link.tracker), link.options,
                                      caf::actor_cast<caf::actor>(sequencer));
    // Arrives before start (same sender). A stop waits up to two request timeouts for answers.
    caf::anon_send(sequencer, attach_venue_atom::value, static_cast<std::uint8_t>(link.id), handle,
                   std::int64_t{2 * link.timeout_ms});
  }
  if (*control) (*control)->attach(caf::actor_cast<caf::actor>(sequencer), journal_reader);
  caf::anon_send(sequencer, start_atom::value);

  auto summary = result.get();
  if (*control) (*control)->stop();
  if (node_alerts) node_alerts->stop();  // bounded: what a dead channel has not sent by then is dropped, and said
  if (projection) projection->stop(std::chrono::seconds(10));  // the session's end included
  system.await_all_actors_done();
  if (!summary) return summary;
  summary->feed_items = feed_stats->lines;
  summary->malformed_lines = feed_stats->malformed;
  summary->unknown_stream_lines = feed_stats->unknown;
  summary->wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace trader::node
