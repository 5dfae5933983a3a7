#include "actors/node/node_startup.hpp"

#include <chrono>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/node/venue_gateway.hpp"
#include "credentials/credentials.hpp"
#include "messages/instrument.hpp"
#include "actors/order/order_core.hpp"
#include "actors/portfolio/portfolio_core.hpp"
#include "base/wall_clock.hpp"
#include "exchange/binance/stream_url.hpp"
#include "exchange/coinbase/subscribe.hpp"
#include "exchange/kucoin/handshake.hpp"
#include "exchange/kucoin/stream_connect.hpp"
#include "exchange/live_stream.hpp"
#include "exchange/merged_source.hpp"
#include "exchange/capture_check.hpp"
#include "exchange/capture_stream.hpp"
#include "journal/directory.hpp"
#include "replay/session_record.hpp"
#include "replay/simulator.hpp"

namespace trader::node {

namespace {

std::unique_ptr<FeedSource> live_stream(VenueId venue, const std::string& url, const std::vector<std::string>& symbols,
                                        const std::vector<std::string>& channels, const std::string& ca_file,
                                        const NodeConfig& config, const std::atomic<bool>& stop) {
  LiveStreamOptions live;
  live.venue = venue;
  if (venue == VenueId::coinbase) {
    live.url = url;
    live.subscribe = coinbase::subscribe_frames(symbols, channels);
  } else if (venue == VenueId::kucoin || venue == VenueId::kucoin_futures) {
    live.url = url;  // the REST base: each connection's token and server come from there
    live.connect = kucoin::stream_connector({url, kucoin::subscribe_frames(symbols, channels, 1),
                                             kucoin::book_symbols(symbols, channels), kucoin::contract_symbols(symbols),
                                             ca_file, std::chrono::seconds(config.feed_idle_timeout_s), &stop});
  } else {
    live.url = binance::combined_stream_url(url, symbols, channels);
  }
  live.ca_file = ca_file;
  live.idle_timeout = std::chrono::seconds(config.feed_idle_timeout_s);
  live.stop = &stop;
  return std::make_unique<LiveStream>(std::move(live));
}

}  // namespace

Result<std::unique_ptr<FeedSource>> open_feed_source(const NodeConfig& config, const std::atomic<bool>& stop) {
  if (is_live(config.feed_source)) {
    auto first = live_stream(config.feed_venue(), config.feed_url, config.feed_symbols, config.feed_channels,
                             config.feed_ca_file, config, stop);
    if (config.other_venues.empty()) return first;
    std::vector<std::unique_ptr<FeedSource>> streams;
    streams.push_back(std::move(first));
    for (const auto& o : config.other_venues)
      streams.push_back(live_stream(o.id, o.feed_url, o.symbols, o.feed_channels, o.feed_ca_file, config, stop));
    return std::unique_ptr<FeedSource>(std::make_unique<MergedSource>(std::move(streams), &stop));
  }
  // Another venue's capture would be journaled line by line as malformed frames.
  for (const auto& file : config.feed_files)
    if (auto st = check_holds_messages(file, config.feed_capture_venue, config.snapshot_symbol); !st) {
      std::string readers;
      for (const VenueId v : venues_reading(file, config.feed_capture_venue))
        readers += fmt::format("{}\"{}\"", readers.empty() ? "" : " or ", venue_name(v));
      return fail(fmt::format("feed.files: {}{}", st.error().message,
                              readers.empty() ? "" : fmt::format("; it reads as feed.capture_venue = {}", readers)));
    }
  auto stream = CaptureStream::open(config.feed_files, config.snapshot_symbol, config.feed_capture_venue);
  if (!stream) return tl::unexpected(stream.error());
  return std::unique_ptr<FeedSource>(std::move(*stream));
}

std::map<std::string, OrderRequest> open_requests(const Cores& cores) {
  std::map<std::string, OrderRequest> out;
  const auto& order = static_cast<const OrderCore&>(*cores.at(Actor::order));
  for (const auto& [cid, o] : order.open_orders()) out.emplace(cid, order.request_of(cid, o));
  return out;
}

Result<VenueStart> connect_venue(const NodeConfig& config, const Cores& cores) {
  VenueStart start;
  if (config.order_mode == OrderMode::paper) return start;
  const auto& working = static_cast<const OrderCore&>(*cores.at(Actor::order)).open_orders();
  // Orders left open by a resumed session: which of their trades the journal booked.
  std::map<std::string, BookedFills> booked;
  if (!working.empty()) {
    std::set<std::string> ids;
    for (const auto& [cid, o] : working) ids.insert(cid);
    auto reader = journal::Reader::open(config.journal_path);
    if (!reader) return tl::unexpected(reader.error());
    auto read = booked_fills(**reader, ids);
    if (!read) return fail(fmt::format("journal {}: {}", config.journal_path, read.error().message));
    booked = std::move(*read);
  }
  const auto& portfolio = static_cast<const PortfolioCore&>(*cores.at(Actor::portfolio));
  std::vector<std::pair<const NodeConfig::Venue*, const std::vector<std::string>*>> traded{{&config.venue, &config.feed_symbols}};
  for (const auto& o : config.other_venues) traded.emplace_back(&o.venue, &o.symbols);
  for (const auto& [v, symbols] : traded) {
    auto made = make_venue(*v, config.order_mode);
    if (!made) return tl::unexpected(made.error());
    VenueLink link;
    link.id = v->id;
    std::vector<JournalOpenOrder> open;  // this venue's
    for (auto& [cid, r] : open_requests(cores)) {
      if (venue_of(r.symbol) != v->id) continue;
      auto b = booked.find(cid);
      open.push_back({std::move(r), working.at(cid).cum_qty, b == booked.end() ? BookedFills{} : b->second});
    }
    auto reconciled = reconcile_at_start(**made, link.tracker, open, portfolio, config.risk.market, *symbols,
                                         wall_ns() / 1'000'000);
    if (!reconciled) return tl::unexpected(reconciled.error());
    spdlog::info("{} ({})", reconciled->summary, v->rest_url);
    for (const auto& m : reconciled->messages) {
      start.first_inputs.push_back(to_wire(Actor::exchange, Actor::none, wall_ns(), m));
      start.first_inputs.back().ingress_wall_ns = wall_ns();
    }
    link.venue = std::move(*made);
    link.options.poll_interval = std::chrono::milliseconds(v->poll_ms);
    link.options.max_unavailable_attempts = static_cast<int>(v->max_unavailable_attempts);
    link.options.weight_limit = v->weight_limit;
    link.options.user_stream = v->user_stream;
    link.timeout_ms = v->timeout_ms;
    start.venues.push_back(std::move(link));
  }
  // Once every venue passed its checks (nothing at any venue is changed before): a
  // perpetual's margin mode and leverage there are the node's (futures.margin_mode,
  // futures.leverage), so the margin the venue holds for a position, and what a
  // liquidation there may take, are what the portfolio books.
  const int leverage = static_cast<int>(config.portfolio.perps.leverage);
  const futures::MarginMode mode = config.portfolio.perps.margin_mode;
  for (std::size_t i = 0; i < start.venues.size(); ++i) {
    Venue& venue = *start.venues[i].venue;
    for (const auto& symbol : *traded[i].second) {
      if (!is_perpetual(symbol)) continue;
      auto set = venue.set_margin(symbol, mode, leverage);
      if (!set) return fail(fmt::format("venue {}: setting {} to {} margin at {}x (futures.margin_mode, futures.leverage): {}",
                                        venue.name(), symbol, name(mode), leverage, set.error().message));
      if (*set != leverage)
        return fail(fmt::format("venue {}: {}'s leverage is {}x, not futures.leverage = {}", venue.name(), symbol, *set,
                                leverage));
    }
  }
  return start;
}

Result<std::unique_ptr<ControlServer>> start_control_api(const NodeConfig& config, caf::actor_system& system) {
  if (config.control_listen.empty()) return std::unique_ptr<ControlServer>();
  std::string token, from = "$" + config.control_token_env;
  if (!config.control_token_file.empty()) {
    // A token file that cannot be read is a mistake, not "no token": the operator
    // believes the node can be halted.
    from = "control.token_file " + config.control_token_file;
    auto read = credentials::read_secret_file(config.control_token_file);
    if (!read) return fail("control.token_file " + read.error().message);
    token = std::move(*read);
  } else if (const char* env = std::getenv(config.control_token_env.c_str())) {
    token = env;
  }
  // Halt and flatten are one guessed token away: a short one is refused.
  constexpr std::size_t kMinTokenChars = 16;
  if (!token.empty() && token.size() < kMinTokenChars)
    return fail(fmt::format("the control token ({}) has {} character{}; it needs at least {}, e.g. $(openssl rand -hex "
                            "16): anyone who reaches the API could guess a shorter one and halt or flatten the node",
                            from, token.size(), token.size() == 1 ? "" : "s", kMinTokenChars));
  if (token.empty())
    spdlog::warn("control API: no token (set ${} or control.token_file): halt, resume and flatten will be refused",
                 config.control_token_env);
  const std::string host = config.control_listen.substr(0, config.control_listen.rfind(':'));
  if (host.rfind("127.", 0) != 0 && host != "::1")
    spdlog::warn("control API on {}, which is not loopback: anyone who reaches it can read /status (positions, "
                 "orders, equity) without a token; put it behind a firewall or use 127.0.0.1",
                 host);
  auto server = ControlServer::start(config.control_listen, token, system);
  if (!server) return tl::unexpected(server.error());
  spdlog::info("control API on http://{}:{}", host, (*server)->port());
  return std::move(*server);
}

Result<std::shared_ptr<journal::Writer>> open_node_journal(const NodeConfig& config, bool resuming) {
  // A new journal, "resume" with none there included: a directory that holds other files
  // is refused whatever if_exists says (resuming in it wrote a journal among them).
  if (!resuming) {
    const auto how = config.if_exists == IfExists::replace   ? journal::Existing::replace
                     : config.if_exists == IfExists::archive ? journal::Existing::archive
                                                             : journal::Existing::error;
    auto made = journal::make_room(config.journal_path, how);
    if (!made) return tl::unexpected(made.error());
    if (!made->empty()) spdlog::info("{}", *made);
  }
  journal::Options options;
  options.durability = config.durability;
  options.max_batch_records = config.max_batch;
  options.max_map_bytes = config.max_size_mb << 20;
  auto opened = journal::Writer::open(config.journal_path, options);
  if (!opened) return tl::unexpected(opened.error());
  return std::shared_ptr<journal::Writer>(std::move(*opened));
}

Result<SessionStart> begin_node_session(journal::Writer& writer, const NodeConfig& config, const std::string& model_id,
                                        const Recovery* recovery, const Cores& cores) {
  SessionStart start;
  if (recovery) {
    // The consequences the crash cut short, regenerated; then the state as of here.
    for (const auto& [h, m] : recovery->completion) {
      const auto seq = writer.append(h, m);
      if (seq != h.seq) return fail(fmt::format("recovery: expected seq {}, the journal gave {}", h.seq, seq));
    }
    if (auto c = writer.commit(); !c) return tl::unexpected(c.error());
    // A session that ended with an error (an actor failed, a commit did) was cut short
    // like a crashed one: what completes its cascade is its own, so its end moves past it
    // (replay, stats and the read model then count those records with it, as they do
    // for a crashed session, whose records run up to the next session).
    if (!recovery->session_end.empty() && !recovery->completion.empty())
      if (auto e = writer.end_session(recovery->session, recovery->session_end_ts_ns, recovery->session_end); !e)
        return tl::unexpected(e.error());
    start.snapshot_seq = writer.last_committed_seq();
    if (auto st = writer.put_snapshot(start.snapshot_seq, replay::save_cores(cores)); !st)
      return tl::unexpected(st.error());
    auto& k = start.known;
    k.resumed = true;
    k.resumed_session = recovery->session;
    k.resumed_session_end = recovery->session_end;
    k.resumed_from_snapshot = recovery->started_from;
    k.recovery_replayed = recovery->replayed;
    k.recovery_completed = recovery->completion.size();
    for (auto seq : recovery->unattested_snapshots)
      spdlog::warn("recovery: the snapshot at seq {} was written after the last commit, so the hash chain does not "
                   "attest it; the state is rebuilt from seq {} instead", seq, recovery->started_from);
    if (recovery->started_unattested)
      spdlog::warn("recovery: session {} resumed from the snapshot at seq {}, and crashed before a commit attested it; "
                   "it is the only state that session has, so the state starts from it", recovery->session,
                   recovery->started_from);
    spdlog::info("resumed session {} from seq {}: {} records replayed and matched, {} completed after the crash; "
                 "the feed continues after item {}", recovery->session, recovery->started_from, recovery->replayed,
                 recovery->completion.size(), recovery->resume_item);
  }
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"node_id", config.node_id},
                             {"config_path", config.source_path},
                             {"order.client_id_prefix", config.order.client_id_prefix}}) {
    if (auto st = writer.put_meta(k, v); !st) return tl::unexpected(st.error());
  }
  // Replay rebuilds this session's actors from the config journaled with it.
  auto id = replay::begin_recorded_session(writer, config, config.node_id, model_id, wall_ns());
  if (!id) return tl::unexpected(id.error());
  start.session_id = *id;
  if (recovery)
    if (auto st = writer.put_meta(session_resumed_from_key(*id), std::to_string(start.snapshot_seq)); !st)
      return tl::unexpected(st.error());
  return start;
}

}  // namespace trader::node
