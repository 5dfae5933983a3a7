#include "actors/node/venue_gateway.hpp"
#include "actors/node/detached_thread_exit.hpp"
#include "base/stoppable_sleep.hpp"
#include "base/wall_clock.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "exchange/net/backoff.hpp"
#include "messages/message_codec.hpp"
#include "actors/portfolio/portfolio_core.hpp"
#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"
#include "messages/enum_names.hpp"

namespace trader::node {
namespace {

using clock = std::chrono::steady_clock;
using drain_atom = caf::atom_constant<caf::atom("vdrain")>;
using poll_atom = caf::atom_constant<caf::atom("vpoll")>;
using update_atom = caf::atom_constant<caf::atom("vupdate")>;  // the push stream queued updates

// The venue's push stream on a thread of its own: subscribe, hand every update to the
// gateway through a queue (then a wake-up message), reconnect with backoff after a drop;
// a refused subscription is not retried (polling carries on). Stops and joins with the
// gateway's state.
class UpdateListener {
 public:
  // Holds the gateway weakly: the gateway owns the listener, and a strong handle here
  // would keep it alive from its own thread.
  UpdateListener(std::unique_ptr<VenueUpdates> updates, caf::actor_addr gateway)
      : thread_([this, u = std::move(updates), gateway]() mutable {
          try {
            run(*u, gateway);
          } catch (const std::exception& e) {  // never std::terminate: polling carries on
            VenueUpdate dropped;
            dropped.kind = VenueUpdate::Kind::dropped;
            dropped.detail = std::string("the user stream's thread stopped: ") + e.what();
            push(std::move(dropped), gateway);
          }
        }) {}
  ~UpdateListener() {
    stop_ = true;
    thread_.join();
  }
  std::deque<VenueUpdate> take() {
    std::lock_guard lock(mu_);
    return std::exchange(queue_, {});
  }

 private:
  void push(VenueUpdate u, const caf::actor_addr& gateway) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(u));
    }
    if (auto handle = caf::actor_cast<caf::actor>(gateway)) caf::anon_send(handle, update_atom::value);
  }
  void run(VenueUpdates& updates, const caf::actor_addr& gateway) {
    net::Backoff backoff{std::chrono::milliseconds(200), std::chrono::seconds(10), static_cast<std::uint64_t>(wall_ns())};
    while (!stop_) {
      VenueUpdate u = updates.subscribe(&stop_);
      if (stop_) return;
      const auto kind = u.kind;
      push(std::move(u), gateway);
      if (kind == VenueUpdate::Kind::refused) return;
      if (kind == VenueUpdate::Kind::subscribed) {
        backoff.reset();
        for (;;) {
          VenueUpdate next = updates.next(&stop_);
          if (stop_) return;
          const bool dropped = next.kind == VenueUpdate::Kind::dropped;
          push(std::move(next), gateway);
          if (dropped) break;
        }
      }
      sleep_unless_stopped(backoff.next(), &stop_);
    }
  }
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::deque<VenueUpdate> queue_;
  std::thread thread_;  // last: starts once the rest is built
};

ErrorReport report(std::string code, std::string message, std::string context) {
  return ErrorReport{std::move(code), std::move(message), std::move(context), 0, wall_ns()};
}

std::string describe(const VenueFailure& f) {
  return f.code != 0 ? fmt::format("code {}: {}", f.code, f.message) : f.message;
}

// The venue's view of an order with its fills, fetching its trades when the view lacks them.
VenueReply<VenueOrder> with_fills(Venue& venue, const OrderTracker& tracker, VenueReply<VenueOrder> order) {
  if (!order || !tracker.missing_fills(*order)) return order;
  auto trades = venue.trades(order->symbol, order->exchange_order_id);
  if (!trades) return tl::unexpected(trades.error());
  order->fills = std::move(*trades);
  return order;
}

template <class T>
void append(std::vector<Message>& out, std::vector<T> items) {
  for (auto& i : items) out.emplace_back(std::move(i));
}

struct Pending {
  OrderRequest request;
  int attempts = 0;
  bool look_up_first = false;  // an earlier attempt may have reached the venue
};

// After a rate limit without Retry-After: 1 s, then doubling (jittered) up to 5 minutes.
net::RateLimitWait rate_limit_policy() {
  return net::RateLimitWait(std::chrono::seconds(1), std::chrono::minutes(5), static_cast<std::uint64_t>(wall_ns()));
}

struct GatewayState {
  std::unique_ptr<Venue> venue;
  OrderTracker tracker;
  VenueGatewayOptions options;
  caf::actor sequencer;
  std::deque<Pending> pending;
  clock::time_point resume_at{};
  std::int64_t weight_pause_minute = -1;
  bool drain_scheduled = false;
  net::Backoff backoff{std::chrono::milliseconds(200), std::chrono::seconds(10),
                       static_cast<std::uint64_t>(wall_ns())};
  net::RateLimitWait rate_limit_wait = rate_limit_policy();
  std::unique_ptr<VenueUpdates> updates;    // handed to the listener at start
  std::unique_ptr<UpdateListener> listener;  // the push stream, if the venue has one
  bool stream_live = false, stream_seen = false;
};
using gateway_ptr = caf::stateful_actor<GatewayState>*;

void emit(gateway_ptr self, std::vector<Message> messages) {
  if (messages.empty()) return;
  WireBatch batch;
  const std::int64_t now = wall_ns();
  for (const auto& m : messages) {
    batch.items.push_back(to_wire(Actor::exchange, Actor::none, now, m));
    batch.items.back().ingress_wall_ns = now;
  }
  self->send(self->state.sequencer, venue_event_atom::value, std::move(batch));
}

enum class Step { done, later };

// A failed request: what to journal, and whether to try again later.
Step on_failure(gateway_ptr self, Pending& p, const VenueFailure& f, const char* what, std::vector<Message>& out) {
  auto& st = self->state;
  const std::string& cid = p.request.client_order_id;
  switch (f.kind) {
    case VenueFailure::Kind::rate_limited: {
      const auto wait = st.rate_limit_wait.next(f.retry_after_ms);
      out.push_back(report("venue_rate_limited", fmt::format("{} {}: {}; nothing sent for {} ms{}", what, cid,
                                                             describe(f), wait.count(),
                                                             f.retry_after_ms > 0 ? "" : " (no Retry-After: backing off)"),
                           cid));
      st.resume_at = clock::now() + wait;
      return Step::later;
    }
    case VenueFailure::Kind::unavailable: {
      ++p.attempts;
      if (p.attempts >= st.options.max_unavailable_attempts && !p.look_up_first) {
        out.push_back(report("venue_unavailable", fmt::format("{} {}: {}; giving up after {} attempts", what, cid,
                                                              describe(f), p.attempts), cid));
        if (!p.request.cancel) append(out, st.tracker.reject(cid, "venue unreachable: " + describe(f), wall_ns() / 1'000'000));
        return Step::done;
      }
      const auto delay = st.backoff.next();
      out.push_back(report("venue_unavailable", fmt::format("{} {}: {}; retrying in {} ms", what, cid, describe(f),
                                                            delay.count()), cid));
      st.resume_at = clock::now() + delay;
      return Step::later;
    }
    case VenueFailure::Kind::unknown: {
      ++p.attempts;
      p.look_up_first = true;
      const auto delay = st.backoff.next();
      out.push_back(report("venue_no_answer", fmt::format("{} {}: {}; it may have reached the venue: looking it up "
                                                          "by client order id in {} ms before any resend",
                                                          what, cid, describe(f), delay.count()), cid));
      st.resume_at = clock::now() + delay;
      return Step::later;
    }
    case VenueFailure::Kind::rejected: break;
  }
  return Step::done;  // rejections are handled by the caller
}

Step process(gateway_ptr self, Pending& p, std::vector<Message>& out) {
  auto& st = self->state;
  Venue& venue = *st.venue;
  const OrderRequest& r = p.request;
  const std::string& cid = r.client_order_id;
  if (p.look_up_first) {
    auto found = with_fills(venue, st.tracker, venue.query(r.symbol, cid));
    if (found) {
      append(out, st.tracker.update(*found));
      if (!r.cancel) return Step::done;  // it had reached the venue: never send it twice
    } else if (!found.error().not_found()) {
      if (found.error().kind == VenueFailure::Kind::rejected) {
        out.push_back(report("venue_lookup_failed", fmt::format("looking up {}: {}", cid, describe(found.error())), cid));
        return Step::done;
      }
      return on_failure(self, p, found.error(), "looking up", out);
    }
    p.look_up_first = false;  // the venue does not have it: sending it is safe
  }
  if (r.cancel) {
    auto canceled = with_fills(venue, st.tracker, venue.cancel(r.symbol, cid));
    if (canceled) {
      append(out, st.tracker.update(*canceled));
      return Step::done;
    }
    if (canceled.error().kind == VenueFailure::Kind::rejected) {
      // Most often it filled first; the next poll reports what happened to it.
      out.push_back(report("venue_cancel_rejected", fmt::format("cancel {}: {}", cid, describe(canceled.error())), cid));
      return Step::done;
    }
    return on_failure(self, p, canceled.error(), "cancel", out);
  }
  auto placed = venue.place(r);
  if (placed) {
    auto full = with_fills(venue, st.tracker, std::move(placed));
    if (!full) {  // placed, but its trades could not be read now: the poll will fetch them
      out.push_back(report("venue_trades_unread", fmt::format("{}: {}", cid, describe(full.error())), cid));
      return Step::done;
    }
    append(out, st.tracker.update(*full));
    return Step::done;
  }
  const VenueFailure& f = placed.error();
  if (f.kind == VenueFailure::Kind::rejected) {
    if (f.code == -1021 && p.attempts < 2) {  // our clock and the venue's disagree: resync, resend (nothing was placed)
      ++p.attempts;
      (void)venue.sync_time();
      out.push_back(report("venue_clock_resync", fmt::format("{}: {}; resending after a time sync", cid, describe(f)), cid));
      return process(self, p, out);
    }
    append(out, st.tracker.reject(cid, "venue rejected: " + describe(f), wall_ns() / 1'000'000));
    return Step::done;
  }
  return on_failure(self, p, f, "new order", out);
}

void schedule_drain(gateway_ptr self) {
  auto& st = self->state;
  if (st.drain_scheduled) return;
  st.drain_scheduled = true;
  const auto wait = std::max(clock::duration::zero(), st.resume_at - clock::now());
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::milliseconds>(wait) + std::chrono::milliseconds(1),
                     drain_atom::value);
}

void drain(gateway_ptr self) {
  auto& st = self->state;
  while (!st.pending.empty()) {
    if (clock::now() < st.resume_at) return schedule_drain(self);
    // Near the venue's weight limit: wait for its next minute instead of earning a 429.
    const std::int64_t minute = wall_ns() / 60'000'000'000LL;
    if (st.venue->used_weight() * 10 >= st.options.weight_limit * 9 && minute != st.weight_pause_minute) {
      st.weight_pause_minute = minute;
      const std::int64_t to_next_ms = 60'000 - (wall_ns() / 1'000'000) % 60'000;
      spdlog::warn("venue request weight {} of {} used this minute: waiting {} ms", st.venue->used_weight(),
                   st.options.weight_limit, to_next_ms);
      st.resume_at = clock::now() + std::chrono::milliseconds(to_next_ms);
      continue;
    }
    std::vector<Message> out;
    const Step step = process(self, st.pending.front(), out);
    emit(self, std::move(out));
    if (step == Step::later) continue;
    st.pending.pop_front();
    st.backoff.reset();
    st.rate_limit_wait.reset();
    self->send(st.sequencer, venue_done_atom::value);
  }
}

// Resting orders: look each up and report what changed.
void poll(gateway_ptr self) {
  auto& st = self->state;
  if (!st.pending.empty() || clock::now() < st.resume_at) return;
  std::vector<Message> out;
  for (const auto& r : st.tracker.to_poll()) {
    auto o = with_fills(*st.venue, st.tracker, st.venue->query(r.symbol, r.client_order_id));
    if (!o) {
      if (o.error().kind == VenueFailure::Kind::rate_limited)
        st.resume_at = clock::now() + st.rate_limit_wait.next(o.error().retry_after_ms);
      spdlog::warn("looking up order {}: {}", r.client_order_id, describe(o.error()));
      break;
    }
    st.rate_limit_wait.reset();
    append(out, st.tracker.update(*o));
  }
  for (auto& d : st.tracker.cross_check()) out.push_back(report(d.code, d.message, d.client_order_id));
  emit(self, std::move(out));
}

// What the push stream said: order changes become events (a gap in them is looked up at
// once), and its subscriptions and drops are journaled as the stream's status.
void on_updates(gateway_ptr self) {
  auto& st = self->state;
  if (!st.listener) return;
  std::vector<Message> out;
  bool look_up_all = false;
  const std::int64_t now = wall_ns();
  auto status = [&](FeedStatusKind kind, const std::string& detail) {
    out.emplace_back(FeedStatus{kind, "", "userData", 0, 0, detail, now});
  };
  for (auto& u : st.listener->take()) {
    switch (u.kind) {
      case VenueUpdate::Kind::subscribed:
        st.stream_live = true;
        st.tracker.set_stream_live(true);
        status(FeedStatusKind::connected, "user-data stream: " + u.detail);
        // Anything that happened while it was away is found by looking the open orders up.
        look_up_all = st.stream_seen;
        st.stream_seen = true;
        break;
      case VenueUpdate::Kind::dropped:
        if (st.stream_live) status(FeedStatusKind::disconnected, "user-data stream: " + u.detail);
        st.stream_live = false;
        st.tracker.set_stream_live(false);
        break;
      case VenueUpdate::Kind::refused:
        st.stream_live = false;
        st.tracker.set_stream_live(false);
        out.push_back(report("user_stream_refused",
                             "the venue refused the user-data stream subscription (" + u.detail +
                                 "); orders are followed by polling only",
                             "userData"));
        break;
      case VenueUpdate::Kind::order: {
        if (!st.tracker.tracks(u.order.client_order_id)) break;  // not this node's (or journal's) order
        if (st.tracker.stream_gap(u.order)) {
          // An execution report went missing: REST reports the order whole (its trades
          // included) before this update may end it, or the missed fill would be lost.
          out.push_back(report("user_stream_gap",
                               fmt::format("{}: the user stream reports {} executed, more than its reports so far; "
                                           "looking the order up",
                                           u.order.client_order_id, format_fixed(u.order.executed_qty)),
                               u.order.client_order_id));
          auto found = with_fills(*st.venue, st.tracker, st.venue->query(u.order.symbol, u.order.client_order_id));
          if (found) {
            append(out, st.tracker.update(*found));
          } else {
            look_up_all = true;  // the next poll tries again; until then the order stays open
            u.order.status = VenueOrderStatus::partially_filled;
          }
        }
        append(out, st.tracker.update(u.order, ReportPath::stream));
        break;
      }
      case VenueUpdate::Kind::other: break;
    }
  }
  emit(self, std::move(out));
  if (look_up_all) poll(self);
}

caf::behavior gateway_fn(gateway_ptr self, std::shared_ptr<GatewayState> init) {
  free_openssl_thread_state_at_exit(self);  // its requests sign and speak TLS
  self->state.venue = std::move(init->venue);
  self->state.tracker = std::move(init->tracker);
  self->state.options = init->options;
  self->state.sequencer = init->sequencer;
  if (init->updates)
    self->state.listener = std::make_unique<UpdateListener>(std::move(init->updates), self->address());
  self->delayed_send(self, self->state.options.poll_interval, poll_atom::value);
  return {
      [self](venue_order_atom, const WireDelivery& delivery) {
        auto& st = self->state;
        Result<Message> body = decode_body_flat(delivery.type_id, delivery.body);
        const auto* r = body ? std::get_if<OrderRequest>(&*body) : nullptr;
        if (r == nullptr) {
          emit(self, {report("undeliverable", body ? "the venue gateway takes order requests only" : body.error().message,
                             "exchange")});
          self->send(st.sequencer, venue_done_atom::value);
          return;
        }
        if (!r->cancel) st.tracker.track(*r);
        st.pending.push_back(Pending{*r});
        drain(self);
      },
      [self](drain_atom) {
        self->state.drain_scheduled = false;
        drain(self);
      },
      [self](update_atom) { on_updates(self); },
      [self](poll_atom) {
        poll(self);
        self->delayed_send(self, self->state.options.poll_interval, poll_atom::value);
      }};
}

// At start-up nothing trades yet, so waiting is fine: a request the venue throttled or
// could not take is tried again a few times before the node gives up starting.
template <class Call>
auto patiently(Call&& call) {
  auto reply = call();
  auto rate_limit_wait = rate_limit_policy();
  for (int attempt = 1; attempt < 6 && !reply; ++attempt) {
    const auto& f = reply.error();
    if (f.kind != VenueFailure::Kind::rate_limited && f.kind != VenueFailure::Kind::unavailable) break;
    const std::int64_t wait_ms =
        f.kind == VenueFailure::Kind::rate_limited ? rate_limit_wait.next(f.retry_after_ms).count() : 250 * attempt;
    spdlog::warn("venue at start-up: {}; trying again in {} ms", describe(f), wait_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    reply = call();
  }
  return reply;
}

}  // namespace

Status check_market_rules(const MarketRuleBook& book, const std::string& symbol, const SymbolRules& venue) {
  const MarketRules& ours = book.of(symbol);
  // The shared key fits one symbol's venue or another's: a symbol whose steps differ gets its own.
  const bool shared = !book.by_symbol.contains(symbol);
  const std::string own = shared ? fmt::format(" (or give {} its own in [market.\"{}\"])", symbol, symbol) : "";
  if (venue.step_size > 0 && ours.lot_step % venue.step_size != 0)
    return fail(fmt::format("{} = {}: {} takes quantities in steps of {} (LOT_SIZE); set it to a multiple of that{}",
                            book.key(symbol, "lot_step"), format_fixed(ours.lot_step), venue.symbol,
                            format_fixed(venue.step_size), own));
  if (venue.tick_size > 0 && ours.tick_size % venue.tick_size != 0)
    return fail(fmt::format("{} = {}: {} takes prices in steps of {} (PRICE_FILTER); set it to a multiple of that{}",
                            book.key(symbol, "tick_size"), format_fixed(ours.tick_size), venue.symbol,
                            format_fixed(venue.tick_size), own));
  if (ours.min_notional < venue.min_notional)
    return fail(fmt::format("{} = {}: {} refuses orders worth less than {} (NOTIONAL); set it to at least that{}",
                            book.key(symbol, "min_notional"), format_fixed(ours.min_notional), venue.symbol,
                            format_fixed(venue.min_notional), own));
  return {};
}

namespace {

// The base asset of an instrument quoted in `quote` ("BTCUSDT", "USDT" -> "BTC";
// "BTC-USD@coinbase", "USD" -> "BTC"); nullopt for one quoted in another asset. Binance
// glues the two, so its symbol loses the known quote as a suffix (any quote, e.g. ETHBTC).
std::optional<std::string> base_of(const std::string& symbol, const std::string& quote) {
  const auto i = parse_instrument(symbol);
  if (!i) return std::nullopt;
  if (i->venue != VenueId::binance)
    return i->quote == quote && !i->base.empty() ? std::optional<std::string>(i->base) : std::nullopt;
  const std::string& s = i->symbol;
  if (s.size() <= quote.size() || s.compare(s.size() - quote.size(), quote.size(), quote) != 0) return std::nullopt;
  return s.substr(0, s.size() - quote.size());
}

}  // namespace

Result<StartupReconciliation> reconcile_at_start(Venue& venue, OrderTracker& tracker,
                                                 const std::vector<JournalOpenOrder>& open_orders,
                                                 const PortfolioCore& journal_portfolio, const MarketRuleBook& market,
                                                 const std::vector<std::string>& symbols, std::int64_t now_ms) {
  StartupReconciliation r;
  std::string coarser;  // symbols whose limit prices round to more than one venue tick
  auto offset = patiently([&] { return venue.sync_time(); });
  if (!offset) return fail(fmt::format("venue {}: {}", venue.name(), describe(offset.error())));
  for (const auto& symbol : symbols) {
    auto rules = patiently([&] { return venue.rules(symbol); });
    if (!rules) return fail(fmt::format("venue {}: rules of {}: {}", venue.name(), symbol, describe(rules.error())));
    if (auto st = check_market_rules(market, symbol, *rules); !st)
      return fail(fmt::format("venue {}: {}", venue.name(), st.error().message));
    // Whole ticks of the venue's, but coarser: allowed, and said, as limit prices round to it.
    if (const auto tick = market.of(symbol).tick_size; rules->tick_size > 0 && tick > rules->tick_size)
      coarser += fmt::format("{}{} {} ({} of the venue's ticks of {})", coarser.empty() ? "" : ", ",
                             market.key(symbol, "tick_size"), format_fixed(tick), tick / rules->tick_size,
                             format_fixed(rules->tick_size));
  }
  std::size_t found = 0, lost = 0;
  for (const auto& [request, cum_qty, booked] : open_orders) {
    tracker.restore(request, cum_qty, booked);
    auto o = patiently([&] { return with_fills(venue, tracker, venue.query(request.symbol, request.client_order_id)); });
    if (o) {
      ++found;
      append(r.messages, tracker.update(*o));
    } else if (o.error().not_found()) {
      ++lost;
      append(r.messages, tracker.reject(request.client_order_id,
                                        "not at the venue after a restart: it never reached it; not resent", now_ms));
    } else {
      return fail(fmt::format("venue {}: looking up order {}: {}", venue.name(), request.client_order_id,
                              describe(o.error())));
    }
  }
  auto open = patiently([&] { return venue.open_orders(); });
  if (!open) return fail(fmt::format("venue {}: open orders: {}", venue.name(), describe(open.error())));
  std::size_t unknown = 0;
  for (const auto& o : *open)
    if (!tracker.tracks(o.client_order_id) && ++unknown)
      r.messages.emplace_back(report("venue_order_unknown",
                                     fmt::format("open order {} ({} {} {}) at the venue is not in the journal; left alone",
                                                 o.client_order_id, o.symbol, enum_name(o.side),
                                                 format_fixed(o.orig_qty - o.executed_qty)),
                                     o.client_order_id));
  auto balances = patiently([&] { return venue.balances(); });
  // Compare with the portfolio as it will be once the fills just found are journaled.
  PortfolioCore preview = journal_portfolio;
  Outbox ignored;
  for (const auto& m : r.messages)
    if (std::holds_alternative<OrderEvent>(m)) preview.on(Delivery{0, 0, Actor::exchange, m}, ignored);
  const PortfolioState& portfolio = preview.state();
  if (!balances) return fail(fmt::format("venue {}: account: {}", venue.name(), describe(balances.error())));
  // Perpetuals the node trades or holds: it books a position from its own fills (entry
  // cost, margin, funding) and cannot adopt one it did not book, so any difference stops
  // the start, before anything new. Positions in others are the account's own: reported,
  // left alone (as unknown open orders are).
  auto positions = patiently([&] { return venue.positions(); });
  if (!positions) return fail(fmt::format("venue {}: positions: {}", venue.name(), describe(positions.error())));
  const VenueId this_venue = parse_venue(venue.name()).value_or(VenueId::binance);
  std::set<std::string> perps;
  for (const auto& symbol : symbols)
    if (is_perpetual(symbol)) perps.insert(symbol);
  for (const auto& p : portfolio.positions)
    if (is_perpetual(p.symbol) && venue_of(p.symbol) == this_venue) perps.insert(p.symbol);
  auto qty_in = [](const auto& list, const std::string& symbol) {
    for (const auto& p : list)
      if (p.symbol == symbol) return p.qty;
    return std::int64_t{0};
  };
  for (const auto& symbol : perps)
    if (const auto at_venue = qty_in(*positions, symbol), booked = qty_in(portfolio.positions, symbol); at_venue != booked)
      return fail(fmt::format("venue {}: {} is {} at the venue, {} in the journal's portfolio; the node books a "
                              "perpetual position from its own fills and cannot adopt another: close it at the venue, "
                              "or start from the journal that holds it",
                              venue.name(), symbol, format_fixed(at_venue), format_fixed(booked)));
  for (const auto& p : *positions)
    if (p.qty != 0 && !perps.count(p.symbol))
      r.messages.emplace_back(report("venue_position_unknown",
                                     fmt::format("position {} {} at the venue is not traded by this node; left alone",
                                                 p.symbol, format_fixed(p.qty)),
                                     p.symbol));
  auto held = [&](const std::string& asset) {
    for (const auto& b : *balances)
      if (b.asset == asset) return b.free + b.locked;
    return std::int64_t{0};
  };
  // What the journal says this venue holds: its own cash (several venues share the
  // portfolio's) and the positions in its instruments.
  const VenueId venue_id = parse_venue(venue.name()).value_or(VenueId::binance);
  std::vector<std::pair<std::string, std::int64_t>> expected{{portfolio.quote_asset, preview.cash_at(venue.name())}};
  for (const auto& p : portfolio.positions)  // a perpetual holds no base asset (checked above)
    if (const auto base = base_of(p.symbol, portfolio.quote_asset);
        base && venue_of(p.symbol) == venue_id && !is_perpetual(p.symbol))
      expected.emplace_back(*base, p.qty);
  std::size_t differences = 0;
  for (const auto& [asset, qty] : expected) {
    if (held(asset) == qty) continue;
    ++differences;
    r.messages.emplace_back(report("venue_balance_differs",
                                   fmt::format("{}: the venue holds {}, the journal's portfolio {}", asset,
                                               format_fixed(held(asset)), format_fixed(qty)),
                                   asset));
  }
  // The session starts from the account as the venue reports it (the portfolio adopts it),
  // journaled after the fills just found so that those are booked first.
  AccountBalances account{venue.name(), now_ms, portfolio.quote_asset, {}};
  account.balances.push_back({portfolio.quote_asset, "", 0, 0});
  for (const auto& b : *balances)
    if (b.asset == portfolio.quote_asset) account.balances.back() = {b.asset, "", b.free, b.locked};
  std::string adopted = fmt::format("{} {}", portfolio.quote_asset,
                                    format_fixed(account.balances[0].free + account.balances[0].locked));
  for (const auto& symbol : symbols) {
    const auto base_asset = base_of(symbol, portfolio.quote_asset);
    if (!base_asset || is_perpetual(symbol)) continue;
    const std::string& base = *base_asset;
    AssetBalance a{base, symbol, 0, 0};
    for (const auto& b : *balances)
      if (b.asset == base) a = {base, symbol, b.free, b.locked};
    adopted += fmt::format(", {} {}", base, format_fixed(a.free + a.locked));
    if (a.free + a.locked > 0) {  // what is held is valued at the venue's price now, not at one seen later
      auto price = patiently([&] { return venue.price(symbol); });
      if (!price) return fail(fmt::format("venue {}: price of {}: {}", venue.name(), symbol, describe(price.error())));
      a.price = *price;
      adopted += fmt::format(" at {}", format_fixed(a.price));
    }
    account.balances.push_back(std::move(a));
  }
  r.messages.emplace_back(std::move(account));
  r.summary = fmt::format("venue {}: clock offset {} ms; market rules of {} symbol(s) match market.*{}; {} open "
                          "order(s) from the journal found, {} not at the venue; {} unknown open order(s); {} balance "
                          "difference(s); {} perpetual position(s) as the journal's; the portfolio starts from the "
                          "venue's balances: {}",
                          venue.name(), *offset, symbols.size(),
                          coarser.empty() ? "" : " (limit prices on coarser ticks: " + coarser + ")", found, lost,
                          unknown, differences, perps.size(), adopted);
  return r;
}

caf::actor spawn_venue_gateway(caf::actor_system& system, std::unique_ptr<Venue> venue, OrderTracker tracker,
                               VenueGatewayOptions options, caf::actor sequencer) {
  auto init = std::make_shared<GatewayState>();
  init->venue = std::move(venue);
  init->tracker = std::move(tracker);
  init->options = options;
  init->sequencer = std::move(sequencer);
  if (options.user_stream) init->updates = init->venue->updates();
  return system.spawn<caf::detached>(gateway_fn, init);
}

}  // namespace trader::node
