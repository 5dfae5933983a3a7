#include "actors/node/warmup.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/candle_builder/candle_builder_core.hpp"
#include "base/stoppable_sleep.hpp"
#include "base/time_format.hpp"
#include "base/wall_clock.hpp"
#include "exchange/binance/rest_venue.hpp"
#include "exchange/kline_cache.hpp"
#include "exchange/net/backoff.hpp"
#include "exchange/net/https_client.hpp"

namespace trader::node {

namespace {

constexpr int kPageLimit = 1000;  // Binance's most klines per request
// A venue that says "too many requests" (or cannot be reached) is asked again after its
// Retry-After, or a growing wait: a few times in a row, and never after a wait longer than
// a minute (an IP ban), since the session waits for its warm-up before it starts.
constexpr int kMaxRetries = 5;
constexpr std::chrono::milliseconds kLongestWait{60'000};

std::int64_t floor_to(std::int64_t t, std::int64_t step) { return t - (((t % step) + step) % step); }

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/trader/klines";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/trader/klines";
  return "";
}

std::string stream_name(std::uint32_t interval_s) {
  if (interval_s == 0) return "kline";  // none fits
  const std::string name = binance::interval_name(interval_s);
  return "kline_" + (name.empty() ? std::to_string(interval_s) + "s" : name);
}

CaptureItem status_item(FeedStatus status) {
  CaptureItem item;
  item.kind = CaptureItem::Kind::status;
  item.recv_ts_ns = status.ts_ns = wall_ns();
  item.message = std::move(status);
  return item;
}

class WarmupSource final : public FeedSource {
 public:
  WarmupSource(std::unique_ptr<FeedSource> live, WarmupPlan plan,
               std::function<Result<std::unique_ptr<Venue>>()> make_venue, const std::atomic<bool>* stop)
      : live_(std::move(live)), plan_(std::move(plan)), make_venue_(std::move(make_venue)), stop_(stop) {}

  Result<bool> next(CaptureItem& item) override {
    if (!warmed_up_) {
      warm_up();
      warmed_up_ = true;
    }
    if (next_ < items_.size()) {
      item = std::move(items_[next_++]);
      return true;
    }
    return live_->next(item);
  }
  std::uint64_t lines() const override { return next_ + live_->lines(); }
  bool live() const override { return true; }

 private:
  void cold(const std::string& why) {
    spdlog::warn("warm-up: {}; the session starts cold (the strategies wait for live candles)", why);
    FeedStatus s;
    s.kind = FeedStatusKind::history;
    s.stream = stream_name(plan_.interval_s);
    s.detail = "no warm-up: " + why;
    items_.push_back(status_item(std::move(s)));
  }

  void warm_up() {
    if (plan_.interval_s == 0)
      return cold("the venue has no kline interval that divides every candle interval (USDⓈ-M's shortest is 1m)");
    auto venue = make_venue_();
    if (!venue) return cold(venue.error().message);
    // The venue's clock says which klines are over.
    const auto offset = (*venue)->sync_time();
    if (!offset) return cold("the venue's time: " + offset.error().message);
    const std::int64_t now_ms = wall_ns() / 1'000'000 + *offset;
    for (const auto& symbol : plan_.symbols) {
      if (stop_ && stop_->load()) return;
      auto h = fetch_history(**venue, plan_, symbol, now_ms, stop_);
      spdlog::info("warm-up {}: {}", symbol, h.status.detail);
      items_.push_back(status_item(std::move(h.status)));
      const std::int64_t received = wall_ns();
      for (auto& k : h.klines) {
        CaptureItem item;
        item.kind = CaptureItem::Kind::message;
        item.recv_ts_ns = received;
        item.message = std::move(k);
        items_.push_back(std::move(item));
      }
    }
  }

  std::unique_ptr<FeedSource> live_;
  WarmupPlan plan_;
  std::function<Result<std::unique_ptr<Venue>>()> make_venue_;
  const std::atomic<bool>* stop_;
  bool warmed_up_ = false;
  std::vector<CaptureItem> items_;
  std::size_t next_ = 0;
};

}  // namespace

WarmupPlan plan_warmup(const NodeConfig& c, const Cores& cores) {
  WarmupPlan p;
  p.symbols = c.feed_symbols;
  const auto& intervals = c.candles.intervals_s;
  p.align_s = intervals.empty() ? 60 : *std::max_element(intervals.begin(), intervals.end());
  // The longest interval the venue names that divides every candle interval, up to a day:
  // Binance's 3d and 1w klines do not open on the candle builder's epoch-aligned boundaries.
  // USDⓈ-M names no 1s klines: none fits a 1s candle there (0: the session starts cold).
  const std::uint32_t shortest = c.feed_venue() == VenueId::binance_usdm ? 60 : 1;
  p.interval_s = 0;
  for (const auto& v : binance::kline_intervals())
    if (v.seconds >= shortest && v.seconds <= 86'400 &&
        std::all_of(intervals.begin(), intervals.end(), [&v](std::uint32_t i) { return i % v.seconds == 0; }))
      p.interval_s = v.seconds;
  if (c.history.days > 0) {
    p.span_ms = c.history.days * 86'400'000;
  } else {
    for (const auto& [actor, core] : cores) p.span_ms = std::max(p.span_ms, core->warmup_ms());
  }
  if (const auto it = cores.find(Actor::candle_builder); it != cores.end())
    for (const auto& symbol : p.symbols)
      if (auto t = static_cast<const CandleBuilderCore&>(*it->second).history_resume_ms(symbol)) p.resume_ms[symbol] = *t;
  p.cache_dir = c.history.cache_dir == "off" ? "" : c.history.cache_dir.empty() ? default_cache_dir() : c.history.cache_dir;
  if (const auto url = net::parse_https_url(c.history.rest_url)) p.venue = url->host + ":" + url->port;
  return p;
}

SymbolHistory fetch_history(Venue& venue, const WarmupPlan& plan, const std::string& symbol, std::int64_t now_ms,
                            const std::atomic<bool>* stop) {
  const std::int64_t step = std::int64_t{plan.interval_s} * 1000;
  std::int64_t start = floor_to(now_ms - plan.span_ms, std::int64_t{plan.align_s} * 1000);
  if (const auto it = plan.resume_ms.find(symbol); it != plan.resume_ms.end()) start = std::max(start, it->second);

  SymbolHistory h;
  FeedStatus& s = h.status;
  s.kind = FeedStatusKind::history;
  s.symbol = symbol;
  s.stream = stream_name(plan.interval_s);
  std::vector<std::string> notes;

  // What the cache holds: none if it does not read back (it is then rewritten).
  std::vector<Kline> cached;
  const std::string path =
      plan.cache_dir.empty() ? "" : kline_cache_path(plan.cache_dir, plan.venue, symbol, plan.interval_s);
  bool rewrite = false;
  if (!path.empty()) {
    auto read = read_kline_cache(path, symbol, plan.interval_s);
    if (read) {
      cached = std::move(*read);
    } else {
      spdlog::warn("warm-up {}: the cache: {}; fetching instead, and rewriting it", symbol, read.error().message);
      notes.push_back("the cache did not read back (" + read.error().message + "): rewritten");
      rewrite = true;
    }
  }
  // The venue's closed klines opening in [from, until], page by page, onto `out`.
  net::RateLimitWait wait(std::chrono::seconds(1), std::chrono::seconds(30), static_cast<std::uint64_t>(now_ms));
  int retries = 0, in_a_row = 0;  // in all, and since the last page answered
  std::chrono::milliseconds waited{0};
  auto fetch = [&](std::int64_t from, std::int64_t until, std::vector<Kline>& out) {
    while (from <= until && !(stop && stop->load())) {
      auto page = venue.klines(symbol, plan.interval_s, from, until, kPageLimit, now_ms);
      if (!page) {
        using Kind = VenueFailure::Kind;
        const auto kind = page.error().kind;
        const auto delay = wait.next(kind == Kind::rate_limited ? page.error().retry_after_ms : 0);
        if ((kind == Kind::rate_limited || kind == Kind::unavailable) && in_a_row < kMaxRetries && delay <= kLongestWait) {
          spdlog::warn("warm-up {}: {}; asking again in {} ms", symbol, page.error().message, delay.count());
          ++retries;
          ++in_a_row;
          waited += delay;
          if (sleep_unless_stopped(delay, stop)) continue;
        }
        notes.push_back(fmt::format("the venue stopped answering at {}: {}", format_utc_ms(from),
                                    page.error().message));
        return false;
      }
      wait.reset();
      in_a_row = 0;
      std::size_t added = 0;
      for (auto& k : *page) {
        if (!k.closed || k.open_time_ms > until) break;
        if (k.open_time_ms < from) continue;
        out.push_back(std::move(k));
        ++added;
      }
      if (added == 0 || page->size() < static_cast<std::size_t>(kPageLimit)) return true;
      from = out.back().open_time_ms + step;
    }
    return true;
  };
  // The cache's unbroken run of closed klines from the start on. It may begin later than
  // the start (the venue had nothing before, or history.days grew): the venue is asked for
  // what comes before it, then for what closed after it.
  std::vector<Kline> run;
  for (const auto& k : cached) {
    if (k.open_time_ms < start || k.close_time_ms >= now_ms) continue;
    if (!run.empty() && k.open_time_ms != run.back().open_time_ms + step) break;
    run.push_back(k);
  }
  if (!run.empty() && run.front().open_time_ms > start && !fetch(start, run.front().open_time_ms - 1, h.klines))
    h.klines.clear();  // no hole between what came before and the cache's run
  s.expected_id = run.size();
  h.klines.insert(h.klines.end(), run.begin(), run.end());
  fetch(h.klines.empty() ? start : h.klines.back().open_time_ms + step, now_ms - 1, h.klines);
  s.received_id = h.klines.size() - s.expected_id;

  if (!path.empty() && (rewrite || s.received_id > 0)) {
    std::vector<Kline> keep;  // what the cache held before the start stays
    for (const auto& k : cached)
      if (h.klines.empty() || k.open_time_ms < h.klines.front().open_time_ms) keep.push_back(k);
    keep.insert(keep.end(), h.klines.begin(), h.klines.end());
    if (auto st = write_kline_cache(path, keep); !st) {
      spdlog::warn("warm-up {}: the cache: {}", symbol, st.error().message);
      notes.push_back("the cache was not written: " + st.error().message);
    }
  }
  s.detail = h.klines.empty()
                 ? fmt::format("no closed {} klines from {} to {}", s.stream, format_utc_ms(start), format_utc_ms(now_ms))
                 : fmt::format("{} {} klines from {} to {}: {} from the cache, {} from the venue", h.klines.size(),
                               s.stream, format_utc_ms(h.klines.front().open_time_ms),
                               format_utc_ms(h.klines.back().close_time_ms + 1), s.expected_id, s.received_id);
  if (retries > 0)
    notes.insert(notes.begin(), fmt::format("asked again {} time(s) after the venue refused or was unreachable "
                                            "({} s waited)", retries, waited.count() / 1000.0));
  for (const auto& n : notes) s.detail += "; " + n;
  return h;
}

std::unique_ptr<FeedSource> with_warmup(std::unique_ptr<FeedSource> live, WarmupPlan plan,
                                        std::function<Result<std::unique_ptr<Venue>>()> make_venue,
                                        const std::atomic<bool>* stop) {
  if (plan.span_ms <= 0 || plan.symbols.empty()) return live;
  return std::make_unique<WarmupSource>(std::move(live), std::move(plan), std::move(make_venue), stop);
}

}  // namespace trader::node
