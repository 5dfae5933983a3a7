#include "model/journal_candles.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "journal/journal.hpp"

namespace trader::model {

Result<JournalCandles> journal_candles(const std::string& dir, const std::vector<std::uint32_t>& intervals_s,
                                       const CandleBuilderConfig& builder) {
  const auto wanted = [&intervals_s](std::uint32_t i) {
    return std::find(intervals_s.begin(), intervals_s.end(), i) != intervals_s.end();
  };
  auto reader = journal::Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  auto summary = (*reader)->summary();
  if (!summary) return tl::unexpected(summary.error());
  JournalCandles out;
  out.first_seq = summary->first_seq;
  out.last_seq = summary->last_seq;
  out.chain_head = journal::to_hex(summary->chain_head);

  journal::Filter f;
  f.type_id = Candle::kTypeId;
  auto cursor = (*reader)->scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  std::set<std::uint32_t> journaled;
  for (;;) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) break;
    auto body = (*rec)->decode();
    if (!body) return fail(fmt::format("seq {}: {}", (*rec)->header.seq, body.error().message));
    const auto& c = std::get<Candle>(*body);
    if (!wanted(c.interval_s)) continue;
    journaled.insert(c.interval_s);
    out.by_symbol[c.symbol].push_back(c);
  }
  if (journaled.size() == std::set<std::uint32_t>(intervals_s.begin(), intervals_s.end()).size()) return out;

  // Not every interval journaled: build them all as the node would, so they come in the
  // order the node publishes them.
  out.by_symbol.clear();
  CandleBuilderConfig cfg = builder;
  for (const auto i : intervals_s)
    if (std::find(cfg.intervals_s.begin(), cfg.intervals_s.end(), i) == cfg.intervals_s.end()) cfg.intervals_s.push_back(i);
  std::sort(cfg.intervals_s.begin(), cfg.intervals_s.end());
  CandleBuilderCore core(cfg);
  auto all = (*reader)->scan();
  if (!all) return tl::unexpected(all.error());
  Outbox outbox;
  for (;;) {
    auto rec = all->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) break;
    const auto type = (*rec)->header.type_id;
    if (type != Trade::kTypeId && type != AggTrade::kTypeId && type != Kline::kTypeId) continue;
    if ((*rec)->header.destination == Actor::market_feed) continue;  // refused by the feed: the node's builder never saw it
    auto body = (*rec)->decode();
    if (!body) return fail(fmt::format("seq {}: {}", (*rec)->header.seq, body.error().message));
    outbox.clear();
    core.on(Delivery{(*rec)->header.seq, (*rec)->header.recv_ts_ns, (*rec)->header.source, *body}, outbox);
    for (auto& o : outbox)
      if (auto* c = std::get_if<Candle>(&o.message); c && wanted(c->interval_s))
        out.by_symbol[c->symbol].push_back(std::move(*c));
  }
  out.built = true;
  if (out.by_symbol.empty()) return fail(fmt::format("journal {} has no candles, trades or klines to train on", dir));
  return out;
}

}  // namespace trader::model
