#pragma once
// A live session's warm-up. Before the stream, the node fetches each symbol's recent closed
// klines from the venue's REST (Venue::klines, paged) and hands them to the feed ahead of
// the stream, as history klines (Kline.history). They are journaled as inputs like any
// frame, so the strategies' features are ready at the first live candle and a replay needs
// nothing but the journal. Candles they close teach the views and risk's volatility; nobody
// trades on them (candle_builder_core.hpp).
//  - How far back: as far as the cores need (ActorCore::warmup_ms: the longest strategy
//    window, ATR, correlation), or history.days. The start is on a boundary of the longest
//    candle interval, so its first candle is whole.
//  - Which klines: of the longest venue interval that divides every candle interval; the
//    others are rolled up from it. Binance spot's or, for a USDⓈ-M feed, USDⓈ-M's
//    (/fapi/v1/klines, 1m and up: a 1s candle there has none and starts cold).
//  - A resumed session asks only for what its candles do not hold yet.
//  - history.cache_dir keeps closed klines between sessions (exchange/kline_cache.hpp): a
//    restart fetches only what is missing.
//  - Each symbol's warm-up is one FeedStatus `history` record ahead of its klines: how many
//    came from the cache and the venue, over which span, or why it stopped short. A failed
//    warm-up is journaled and the session goes on cold: the strategies wait for candles.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/actor_core.hpp"
#include "config/node_config.hpp"
#include "exchange/feed_source.hpp"
#include "exchange/venue.hpp"

namespace trader::node {

struct WarmupPlan {
  std::vector<std::string> symbols;
  std::uint32_t interval_s = 60;  // the klines fetched; 0: the venue has none that fit (cold)
  std::uint32_t align_s = 60;     // the longest candle interval: where history starts
  std::int64_t span_ms = 0;       // how far back from now
  std::map<std::string, std::int64_t> resume_ms;  // a resumed session: what its candles hold is before this
  std::string cache_dir;          // "": no cache
  std::string venue;              // names the venue in the cache (its host and port)
};

// Pure: the plan for a config and the cores it starts with (recovered ones, when resuming).
WarmupPlan plan_warmup(const NodeConfig& config, const Cores& cores);

// One symbol's warm-up: the klines in order, and the FeedStatus that tells of them.
struct SymbolHistory {
  std::vector<Kline> klines;
  FeedStatus status;
};

// The closed klines of [start, now) for a symbol: the cache's first, then the venue's,
// page by page (1000 a request); the cache rewritten with what it now holds. `now_ms` is
// the venue's time. A page the venue refuses with "too many requests" or cannot answer is
// asked again after its Retry-After or a growing wait, up to 5 times in a row and never
// after a wait over a minute; the status says how often and how long. `stop` ends the waits.
SymbolHistory fetch_history(Venue& venue, const WarmupPlan& plan, const std::string& symbol, std::int64_t now_ms,
                            const std::atomic<bool>* stop);

// The live source, preceded by the warm-up's records. The venue is made (and the history
// fetched) on the first read, on the feed's thread.
std::unique_ptr<FeedSource> with_warmup(std::unique_ptr<FeedSource> live, WarmupPlan plan,
                                        std::function<Result<std::unique_ptr<Venue>>()> make_venue,
                                        const std::atomic<bool>* stop);

}  // namespace trader::node
