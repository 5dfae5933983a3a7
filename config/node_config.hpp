#pragma once
// The node's configuration: a TOML file plus `--set key=value` overrides.
// Every key has a default (see config/paper.toml for the documented list). Unknown keys,
// wrong types, out-of-range values and missing files are errors that name the key and
// the line (or "--set" for an override); all of them are reported at once.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/candle_builder/candle_builder_core.hpp"
#include "actors/market_feed/market_feed_core.hpp"
#include "actors/order/order_core.hpp"
#include "actors/paper_exchange/paper_exchange_core.hpp"
#include "messages/instrument.hpp"
#include "actors/portfolio/portfolio_core.hpp"
#include "actors/risk/risk_core.hpp"
#include "actors/strategy/rule_strategy_core.hpp"
#include "actors/strategy/xgb_strategy_core.hpp"
#include "alerts/alert_rules.hpp"
#include "base/result.hpp"
#include "journal/journal.hpp"

namespace trader {

// The modes a config chooses among, parsed once here; each name table serves the loader
// and everything that prints the mode.
enum class OrderMode { paper, testnet, live };        // live also needs --confirm-live
enum class FeedSourceKind { capture, binance, coinbase, kucoin, binance_usdm, kucoin_futures };  // all but capture: the venue's live stream
enum class IfExists { error, archive, replace, resume };  // resume: restore the actors, continue the feed
enum class StrategyKind { rule, xgboost };

template <class E>
using ModeNames = std::array<std::pair<std::string_view, E>, 6>;  // unused slots: empty names
inline constexpr ModeNames<OrderMode> kOrderModes{{{"paper", OrderMode::paper}, {"testnet", OrderMode::testnet}, {"live", OrderMode::live}, {}}};
inline constexpr ModeNames<FeedSourceKind> kFeedSources{
    {{"capture", FeedSourceKind::capture}, {"binance", FeedSourceKind::binance}, {"coinbase", FeedSourceKind::coinbase}, {"kucoin", FeedSourceKind::kucoin},
     {"binance_usdm", FeedSourceKind::binance_usdm}, {"kucoin_futures", FeedSourceKind::kucoin_futures}}};
inline bool is_live(FeedSourceKind k) { return k != FeedSourceKind::capture; }
inline constexpr ModeNames<IfExists> kIfExists{{{"error", IfExists::error}, {"archive", IfExists::archive}, {"replace", IfExists::replace}, {"resume", IfExists::resume}}};
inline constexpr ModeNames<StrategyKind> kStrategyKinds{{{"rule", StrategyKind::rule}, {"xgboost", StrategyKind::xgboost}, {}, {}}};
inline constexpr ModeNames<OrderType> kEntryOrders{{{"market", OrderType::market}, {"limit", OrderType::limit}, {}, {}}};
inline constexpr ModeNames<SizingPolicy> kSizingPolicies{{{"strategy", SizingPolicy::strategy},
                                                          {"fixed_fraction", SizingPolicy::fixed_fraction},
                                                          {"confidence_scaled", SizingPolicy::confidence_scaled},
                                                          {"risk_per_trade", SizingPolicy::risk_per_trade},
                                                          {"kelly", SizingPolicy::kelly}}};
inline constexpr ModeNames<futures::MarginMode> kMarginModes{
    {{"isolated", futures::MarginMode::isolated}, {"cross", futures::MarginMode::cross}, {}, {}}};
inline constexpr ModeNames<CombinePolicy> kCombinePolicies{{{"any", CombinePolicy::any}, {"k_of_n", CombinePolicy::k_of_n}, {"weighted", CombinePolicy::weighted}, {}}};

template <class E>
constexpr std::string_view mode_name(const ModeNames<E>& names, E value) {
  for (const auto& [name, v] : names)
    if (!name.empty() && v == value) return name;
  return "?";
}
inline std::string_view name(OrderMode m) { return mode_name(kOrderModes, m); }
inline std::string_view name(FeedSourceKind m) { return mode_name(kFeedSources, m); }
inline std::string_view name(IfExists m) { return mode_name(kIfExists, m); }
inline std::string_view name(StrategyKind m) { return mode_name(kStrategyKinds, m); }
inline std::string_view name(futures::MarginMode m) { return mode_name(kMarginModes, m); }

// One [[strategies]] entry: a strategy with its own id, interval, symbols and parameters
// (the rule's or the model's, by kind). What the entries share is in [strategy].
struct StrategyEntry {
  std::string id;
  StrategyKind kind = StrategyKind::rule;
  RuleStrategyConfig rule;  // interval, symbols and the rule's parameters
  std::string model_path;   // kind xgboost
  XgbStrategyConfig xgb;    // kind xgboost: the model's thresholds and shares
  std::uint32_t weight_ppm = 1'000'000;  // for combine.policy = "weighted"
  RegimeFilter regimes;                  // the regimes it trades in (needs [regime])
};

// One key's effective value (as TOML) and where it came from: "default", "FILE:LINE" or "--set".
struct ConfigKey {
  std::string key, value, source;
};

struct NodeConfig {
  // [node]
  std::string node_id = "paper-1";
  std::int64_t clock_tick_ms = 1000;
  bool busy_poll = false;  // scheduler threads spin when idle: lower latency, busy cores
  // Scheduler threads for the sequencer and the business actors (the feed, the venue and
  // the control API have threads of their own). One is fastest: the sequencer runs one
  // delivery at a time, so a second thread mostly adds hand-offs (bench/README.md).
  std::int64_t threads = 1;
  // [journal]
  std::string journal_path = "runs/paper";
  journal::Durability durability = journal::Durability::nosync;
  std::size_t max_batch = 4096;
  IfExists if_exists = IfExists::error;
  std::uint64_t snapshot_every = 10000;  // actor state saved about every N records (0: never)
  std::uint64_t max_size_mb = 0;         // the journal never grows past this (0: the filesystem is the limit)
  std::uint64_t min_free_mb = 64;        // below this much room left, trading halts (journaled)
  bool compact_at_end = false;           // compact the journal once its session has ended (journal::compact)
  // [feed]
  FeedSourceKind feed_source = FeedSourceKind::capture;
  std::vector<std::string> feed_files;
  std::vector<std::string> feed_symbols;  // empty: all
  std::int64_t feed_max_time_skew_ms = 3'600'000;  // exchange time vs receive time; 0: not checked
  // [futures]: what the feed derives for perpetuals the data carries no mark or funding for
  // (book-mid marks; 0.01 % every 8 h, Binance's and KuCoin's usual interval and base rate).
  PerpetualFeed perpetuals{true, 8 * 3600 * 1000, 10'000};
  double speed = 0;                       // 0: as fast as possible; 1: real time; 10: ten times
  std::string snapshot_symbol;
  VenueId feed_capture_venue = VenueId::binance;  // whose frames the captures hold
  // feed.source = "binance": the live combined stream; "coinbase": Advanced Trade's
  // WebSocket (its defaults: wss://advanced-trade-ws.coinbase.com, market_trades and heartbeats);
  // "kucoin": KuCoin's, the url its REST base, where each connection's token is fetched
  // (https://api.kucoin.com, channel match); "kucoin_futures" likewise (https://api-futures.kucoin.com,
  // channels execution, tickerV2, instrument)
  std::string feed_url = "wss://stream.binance.com:9443/stream";
  std::vector<std::string> feed_channels{"trade", "bookTicker"};
  // The venue whose frames the feed reads (capture_venue for captures, else the source's).
  VenueId feed_venue() const {
    return feed_source == FeedSourceKind::coinbase ? VenueId::coinbase
           : feed_source == FeedSourceKind::kucoin  ? VenueId::kucoin
           : feed_source == FeedSourceKind::binance ? VenueId::binance
           : feed_source == FeedSourceKind::binance_usdm ? VenueId::binance_usdm
           : feed_source == FeedSourceKind::kucoin_futures ? VenueId::kucoin_futures
                                                     : feed_capture_venue;
  }
  std::string feed_ca_file;         // empty: the system CA store
  std::int64_t feed_idle_timeout_s = 10;
  // [history]: a live feed's session starts with each symbol's recent closed klines
  // (actors/node/warmup.hpp), journaled as history klines ahead of the stream.
  struct History {
    bool warmup = true;
    std::int64_t days = 0;   // 0: as far back as the strategies and risk need (ActorCore::warmup_ms)
    std::string rest_url;    // empty: beside feed.url (stream.binance.com: https://api.binance.com; else https://HOST:PORT)
    std::string ca_file;     // empty: feed.ca_file
    std::string cache_dir;   // empty: $XDG_CACHE_HOME/trader/klines (or ~/.cache/trader/klines); "off": no cache
  } history;
  // [candles] [strategy] [risk] [portfolio] [order]
  CandleBuilderConfig candles;
  StrategyKind strategy_kind = StrategyKind::rule;
  RuleStrategyConfig strategy;         // interval, symbols, cooldown and market rules serve both kinds
  std::string model_path;              // strategy.model (xgboost)
  XgbStrategyConfig xgb;
  // [[strategies]]: several strategies in one node (empty: the one [strategy]); their
  // interval there is the shortest, and [strategy] holds what they share. [combine]: how
  // their views of one symbol become one.
  std::vector<StrategyEntry> strategies;
  CombineConfig combine;
  // [regime]: each symbol's trend and volatility regime, read from its candles of one
  // interval (none: not read). strategy.regimes: the regimes the one [strategy] trades in.
  std::optional<RegimeSettings> regime;
  RegimeFilter strategy_regimes;
  RiskConfig risk;
  PortfolioConfig portfolio;
  OrderMode order_mode = OrderMode::paper;
  OrderConfig order;
  // [venue]: where testnet and live orders go; the keys come from the environment or an
  // encrypted key file (trader-tools keys encrypt), never from this file.
  struct Venue {
    VenueId id = VenueId::binance;  // venue.name: the venue of the instruments traded (the feed's)
    // empty: binance https://testnet.binance.vision (testnet), https://api.binance.com (live);
    // coinbase https://api-sandbox.coinbase.com (testnet), https://api.coinbase.com (live);
    // kucoin https://api.kucoin.com (live; it has no spot sandbox: testnet names one, e.g. exchange-sim)
    std::string rest_url;
    // coinbase: public market data (time, product rules, prices); empty: rest_url, or for
    // the sandbox (which serves only accounts and orders) https://api.coinbase.com
    std::string public_url;
    std::string ca_file;   // empty: the system CA store
    // empty: the venue's (credentials::default_key_variables): BINANCE_API_KEY/_SECRET,
    // COINBASE_API_KEY (the key's name)/_SECRET (its EC key, PEM)
    std::string key_env, secret_env;
    std::string passphrase_env;  // kucoin: the API passphrase's variable (empty: KUCOIN_API_PASSPHRASE)
    std::int64_t key_version = 2;  // kucoin: KC-API-KEY-VERSION, the version the key was made with (2 or 3)
    std::string key_file;  // if set, used instead of the environment (passphrase: $TRADER_KEYS_PASSPHRASE or asked)
    std::int64_t recv_window_ms = 5000, timeout_ms = 5000, poll_ms = 1000, weight_limit = 6000;
    std::int64_t max_unavailable_attempts = 5;
    bool user_stream = true;  // follow the user-data stream as well as polling (Binance's; Coinbase: polling only)
    std::string ws_api_url;   // empty: the WebSocket API beside rest_url (Binance's, or exchange-sim's)
  } venue;
  // [feed.VENUE] and [venue.VENUE]: another venue traded at the same time, into the same
  // journal (beside a live [feed] only): its stream and instruments, and where its orders
  // go (the keys of [venue]). Its quote asset must be portfolio.quote_asset.
  struct OtherVenue {
    VenueId id = VenueId::coinbase;
    std::string feed_url, feed_ca_file;
    std::vector<std::string> feed_channels, symbols;
    Venue venue;
  };
  std::vector<OtherVenue> other_venues;
  // Every instrument the node trades: feed.symbols, then each other venue's.
  std::vector<std::string> traded_symbols() const {
    std::vector<std::string> all = feed_symbols;
    for (const auto& o : other_venues) all.insert(all.end(), o.symbols.begin(), o.symbols.end());
    return all;
  }
  PaperExchangeConfig paper;
  // [logging]
  std::string log_level = "info";
  // [control]
  std::string control_listen;                            // "" disables the control API
  std::string control_token_env = "TRADER_CONTROL_TOKEN";
  std::string control_token_file;
  // [alerts]: notifications (alerts/). A channel is on when its secret's environment
  // variable is named; the URL or token itself never appears in a config or a journal.
  struct AlertChannel {
    std::string secret_env;  // slack, discord, webhook: url_env; telegram: token_env
    std::string chat_id;     // telegram
    std::string api_url = "https://api.telegram.org";  // telegram
    alerts::Severity min_severity = alerts::Severity::warning;
    std::int64_t max_per_minute = 20;  // 0: no limit
  };
  struct Alerts {
    alerts::AlertRulesConfig rules;
    std::string ca_file;  // empty: the system CA store
    std::int64_t timeout_ms = 5000;
    AlertChannel slack, discord, telegram, webhook;
  } alerts;
  // [projection]: the SQL read model the node keeps itself, after each commit
  // (projection/, docs/sql.md). Its failures are logged and retried, never stop trading.
  struct Projection {
    std::string db;  // "": off; sqlite:FILE or postgresql://... (never a password: the config is journaled)
    bool candles = false;
  } projection;

  std::string source_path;     // the file it came from
  std::string effective_toml;  // file + overrides, as TOML: journaled with each session
  std::vector<ConfigKey> keys; // every key the loader knows, in its order, with its effective value
};

// The effective config as TOML, one key a line, each with its source as a comment
// (trader-node --print-config).
std::string render_effective_config(const NodeConfig& config);

// `overrides` are "dotted.key=value", value in TOML syntax; a value that is not valid TOML
// is taken as a string (`--set journal.path=runs/day1`).
Result<NodeConfig> load_node_config(const std::string& path, const std::vector<std::string>& overrides);

// What a config is loaded for: a node needs its capture files; a replay takes its inputs
// from a journal, so feed.files may be empty or gone. A what-if (and a sweep's or a diff's
// run) trades over a journal's inputs with a user's new settings: those are held to the
// node's rules about trading (no zero that stops it), not about its files. A recorded
// config replays as it was.
enum class ConfigUse { node, what_if, replay };

// A config file for replay and train: inputs come from journals, so the capture files it
// names need not exist.
Result<NodeConfig> load_node_config_for_replay(const std::string& path, const std::vector<std::string>& overrides);
// A config file a what-if, a sweep or a diff trades with over a journal's inputs.
Result<NodeConfig> load_node_config_for_what_if(const std::string& path, const std::vector<std::string>& overrides);

// The same from TOML text (e.g. the config a session journaled); `origin` names it in errors.
Result<NodeConfig> parse_node_config(const std::string& text, const std::string& origin,
                                     const std::vector<std::string>& overrides, ConfigUse use);

// What a paper session should be told about its fees at start: one line per venue it
// fills on whose first fee tier is not [order]'s default (USDⓈ-M, Coinbase, KuCoin
// Futures) and that pays a rate set in [order] instead of its own tier (order.fees.VENUE,
// or the venue's first tier where neither sets it). Empty for testnet and live.
std::vector<std::string> paper_fee_warnings(const NodeConfig& config);

}  // namespace trader
