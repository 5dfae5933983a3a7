#include "replay/diff.hpp"

#include <map>

#include <fmt/format.h>

#include "journal/journal.hpp"
#include "messages/fixed_point.hpp"
#include "replay/replay.hpp"
#include "replay/strategy_book.hpp"
#include "messages/enum_names.hpp"

namespace trader::replay {
namespace {

using Key = std::pair<std::int64_t, std::string>;  // (data time ms, symbol)


void append_part(Action& a, const std::string& text, const std::string& canonical) {
  a.present = true;
  a.text += (a.text.empty() ? "" : "; ") + text;
  a.canonical += canonical + "|";
}

struct Loaded {
  std::map<Key, Action> actions;
  VersionStats stats;
  std::string inputs_hash;  // of external inputs: the same day?
  std::vector<StrategyResult> strategies;  // with [[strategies]]: each one's part
};

Result<Loaded> load(const std::string& dir, const std::string& label) {
  auto reader = journal::Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  auto cursor = (*reader)->scan();
  if (!cursor) return tl::unexpected(cursor.error());
  Loaded out;
  out.stats.label = label;
  out.stats.dir = dir;
  std::map<std::uint64_t, Key> intent_key;  // intent id -> its key
  StatsBuilder stats;
  StrategyBook strategies;
  std::uint64_t inputs = 0;
  std::uint64_t input_digest = 1469598103934665603ULL;  // FNV-1a over input seqs' times and types
  for (;;) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) break;
    const auto& h = (*rec)->header;
    const bool input = h.source == Actor::market_feed || h.source == Actor::operator_;
    if (input) {
      ++inputs;
      for (std::uint64_t v : {static_cast<std::uint64_t>(h.recv_ts_ns), std::uint64_t{h.type_id}})
        input_digest = (input_digest ^ v) * 1099511628211ULL;
    }
    if (!StrategyBook::reads(h.type_id)) continue;
    auto body = (*rec)->decode();
    if (!body) return fail(fmt::format("{}: seq {}: {}", dir, h.seq, body.error().message));
    strategies.add(h, *body);  // inputs too: a funding belongs to the position's owners
    if (input) continue;
    if (const auto* s = std::get_if<Signal>(&*body)) {
      if (out.stats.model_id.empty()) out.stats.model_id = s->model_id;
      append_part(out.actions[{s->ts_ms, s->symbol}],
                  fmt::format("signal {} {:.3f}", enum_name(s->direction), s->confidence_ppm / 1e6),
                  fmt::format("S{}:{}", static_cast<int>(s->direction), s->confidence_ppm));
    } else if (const auto* i = std::get_if<OrderIntent>(&*body)) {
      const Key k{i->ts_ms, i->symbol};
      intent_key[i->intent_id] = k;
      append_part(out.actions[k], fmt::format("{} {}{}", enum_name(i->side), format_fixed(i->qty), i->is_exit ? " (exit)" : ""),
                  fmt::format("I{}:{}:{}", static_cast<int>(i->side), i->qty, i->is_exit));
    } else if (const auto* d = std::get_if<RiskDecision>(&*body)) {
      auto it = intent_key.find(d->intent_id);
      if (it != intent_key.end()) {
        append_part(out.actions[it->second],
                    d->approved ? fmt::format("approved {}", format_fixed(d->approved_qty)) : "rejected: " + d->reason_code,
                    fmt::format("D{}:{}:{}", d->approved, d->approved_qty, d->reason_code));
      } else {  // risk's own exit (stop loss, take profit, flatten)
        append_part(out.actions[{d->ts_ms, d->symbol}],
                    fmt::format("{} {} {}", d->reason_code, enum_name(d->side), format_fixed(d->approved_qty)),
                    fmt::format("R{}:{}", d->reason_code, d->approved_qty));
      }
    } else if (const auto* l = std::get_if<Liquidation>(&*body)) {  // the venue's, but a run's outcome to compare
      append_part(out.actions[{l->ts_ms, l->symbol}],
                  fmt::format("liquidated {} at mark {}, loss {}", format_fixed(l->qty), format_fixed(l->mark_price),
                              format_fixed(l->loss)),
                  fmt::format("L{}:{}:{}", l->qty, l->mark_price, l->loss));
    } else if (const auto* p = std::get_if<PortfolioState>(&*body)) {
      stats.add(*p);
    }
  }
  out.inputs_hash = fmt::format("{}:{:016x}", inputs, input_digest);
  stats.finish(out.stats);
  if (strategies.named()) out.strategies = strategies.results();
  out.stats.strategy_ids = strategies.strategy_ids();
  return out;
}

}  // namespace

Result<DiffReport> diff_journals(const std::string& dir_a, const std::string& dir_b) {
  auto a = load(dir_a, "A");
  if (!a) return tl::unexpected(a.error());
  auto b = load(dir_b, "B");
  if (!b) return tl::unexpected(b.error());
  DiffReport r;
  r.same_inputs = a->inputs_hash == b->inputs_hash;
  auto ia = a->actions.begin(), ib = b->actions.begin();
  while (ia != a->actions.end() || ib != b->actions.end()) {
    DiffRow row;
    if (ib == b->actions.end() || (ia != a->actions.end() && ia->first < ib->first)) {
      row = {ia->first.first, ia->first.second, ia->second, {}};
      ++r.only_a;
      ++ia;
    } else if (ia == a->actions.end() || ib->first < ia->first) {
      row = {ib->first.first, ib->first.second, {}, ib->second};
      ++r.only_b;
      ++ib;
    } else {
      const bool same = ia->second.canonical == ib->second.canonical;
      row = {ia->first.first, ia->first.second, ia->second, ib->second};
      ++ia;
      ++ib;
      if (same) {
        ++r.same;
        continue;
      }
      ++r.different;
    }
    r.rows.push_back(std::move(row));
  }
  r.a = std::move(a->stats);
  r.b = std::move(b->stats);
  r.strategies_a = std::move(a->strategies);
  r.strategies_b = std::move(b->strategies);
  return r;
}

}  // namespace trader::replay
