#include "replay/strategy_book.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "journal/journal.hpp"
#include "messages/fixed_point.hpp"

namespace trader::replay {
namespace {

constexpr const char* kUnattributed = "(unattributed)";

}  // namespace

bool StrategyBook::reads(std::uint16_t type_id) {
  switch (type_id) {
    case Signal::kTypeId: case OrderIntent::kTypeId: case RiskDecision::kTypeId: case OrderRequest::kTypeId:
    case OrderEvent::kTypeId: case PortfolioState::kTypeId: case Funding::kTypeId: case Liquidation::kTypeId:
      return true;
    default: return false;
  }
}

StrategyResult& StrategyBook::row(Rows& rows, const std::string& name) {
  auto [it, inserted] = rows.try_emplace(name);
  if (inserted) it->second.strategy = name;
  return it->second;
}

std::optional<std::int64_t> StrategyResult::net() const {
  if (overflowed) return std::nullopt;
  return narrow_checked(static_cast<__int128>(realized) + unrealized - fees + funding);
}

namespace {
// Adds to a row's figure, or marks the row when the sum would not fit: never a wrapped number.
void add_to(StrategyResult& r, std::int64_t StrategyResult::*field, std::int64_t amount) {
  if (std::int64_t sum = 0; !__builtin_add_overflow(r.*field, amount, &sum)) r.*field = sum;
  else r.overflowed = true;
}
}  // namespace

// The shares add up to `amount`; with no owner it is booked as unattributed. An amount
// that did not fit (nullopt) marks the rows it belonged to.
void StrategyBook::split(Rows& rows, const Owners& owners, std::optional<std::int64_t> amount,
                         std::int64_t StrategyResult::*field) {
  if (amount == 0) return;
  if (owners.empty()) {
    if (amount) add_to(row(rows, kUnattributed), field, *amount);
    else row(rows, kUnattributed).overflowed = true;
    return;
  }
  if (!amount) {
    for (const auto& name : owners) row(rows, name).overflowed = true;
    return;
  }
  const auto n = static_cast<std::int64_t>(owners.size());
  const std::int64_t share = *amount / n;
  for (std::size_t i = 0; i < owners.size(); ++i)
    add_to(row(rows, owners[i]), field, share + (i == 0 ? *amount - share * n : 0));
}

void StrategyBook::add(const EnvelopeHeader& h, const Message& m) {
  if (const auto* s = std::get_if<Signal>(&m)) {
    const std::string& name = s->strategy_id.empty() ? s->model_id : s->strategy_id;
    named_ = named_ || !s->strategy_id.empty();
    strategy_of_cause_[h.cause_seq] = name;
    latest_ = name;
    ++row(rows_, name).signals;
  } else if (const auto* i = std::get_if<OrderIntent>(&m)) {
    named_ = named_ || !i->votes.empty();
    Owners owners;
    if (h.source != Actor::strategy) {
      owners = {kRiskExits};
    } else if (!i->votes.empty()) {
      // An entry's side (a buy: long, a sell: short); an exit leaves the side it closes.
      const Direction side = (i->side == Side::buy) != i->is_exit ? Direction::long_ : Direction::short_;
      if (i->is_exit) {
        if (auto it = position_owners_.find(i->symbol); it != position_owners_.end()) owners = it->second;
      } else {
        for (const auto& v : i->votes)
          if (v.direction == side) owners.push_back(v.strategy_id);
      }
      if (owners.empty())  // an exit of a position nobody here opened: those who voted for it
        for (const auto& v : i->votes)
          if (v.direction != side) owners.push_back(v.strategy_id);
    } else if (auto it = strategy_of_cause_.find(h.cause_seq); it != strategy_of_cause_.end()) {
      owners = {it->second};
    } else {
      owners = {latest_.empty() ? std::string("strategy") : latest_};
    }
    for (const auto& o : owners) ++row(rows_, o).intents;
    intent_owners_[i->intent_id] = std::move(owners);
  } else if (const auto* d = std::get_if<RiskDecision>(&m)) {
    auto it = intent_owners_.find(d->intent_id);
    if (it == intent_owners_.end()) {  // risk's own exit: no intent record
      it = intent_owners_.emplace(d->intent_id, Owners{kRiskExits}).first;
      ++row(rows_, kRiskExits).intents;
    }
    for (const auto& o : it->second) ++(d->approved ? row(rows_, o).approved : row(rows_, o).refused);
  } else if (const auto* o = std::get_if<OrderRequest>(&m)) {
    if (o->cancel) return;
    auto it = intent_owners_.find(o->intent_id);
    order_owners_[o->client_order_id] = it != intent_owners_.end() ? it->second : Owners{kRiskExits};
  } else if (const auto* e = std::get_if<OrderEvent>(&m)) {
    if (e->fill_qty == 0) return;
    auto it = order_owners_.find(e->client_order_id);
    const Owners owners = it != order_owners_.end() ? it->second : Owners{};
    for (const auto& name : owners) ++row(rows_, name).fills;
    // A fill into a flat symbol opens a position: it belongs to this order's strategies.
    if (held_[e->symbol] == 0 && !position_owners_.count(e->symbol)) {
      Owners opened;
      for (const auto& name : owners)
        if (name != kRiskExits) opened.push_back(name);
      position_owners_[e->symbol] = opened;
    }
    cause_symbol_[h.seq] = e->symbol;
  } else if (const auto* f = std::get_if<Funding>(&m)) {
    cause_symbol_[h.seq] = f->symbol;
  } else if (const auto* l = std::get_if<Liquidation>(&m)) {
    cause_symbol_[h.seq] = l->symbol;
  } else if (const auto* p = std::get_if<PortfolioState>(&m)) {
    // What this state adds to the last one, checked: two figures that each fit may differ by more.
    const auto delta = [this](std::int64_t now, std::int64_t PortfolioState::*field) {
      return narrow_checked(static_cast<__int128>(now) - (have_last_ ? last_.*field : 0));
    };
    const auto realized = delta(p->realized_pnl, &PortfolioState::realized_pnl);
    const auto fees = delta(p->fees, &PortfolioState::fees);
    const auto funding = delta(p->funding, &PortfolioState::funding);
    held_.clear();
    for (const auto& pos : p->positions) held_[pos.symbol] = pos.qty;
    Owners owners;
    // Only the state a fill, a funding or a liquidation caused changes PnL, fees and
    // funding (the candles' states between a fill and its own state do not know of it yet).
    if (auto c = cause_symbol_.find(h.cause_seq); c != cause_symbol_.end()) {
      if (auto it = position_owners_.find(c->second); it != position_owners_.end()) {
        owners = it->second;
        if (held_[c->second] == 0) position_owners_.erase(it);  // closed: the next fill opens anew
      }
    }
    // The portfolio answers in seq order: an older cause without its state (a funding of a
    // symbol not held) will never get one, and would be kept for the whole journal.
    cause_symbol_.erase(cause_symbol_.begin(), cause_symbol_.upper_bound(h.cause_seq));
    split(rows_, owners, realized, &StrategyResult::realized);
    split(rows_, owners, fees, &StrategyResult::fees);
    split(rows_, owners, funding, &StrategyResult::funding);
    last_ = *p;
    have_last_ = true;
  }
}

std::vector<std::string> StrategyBook::strategy_ids() const {
  std::vector<std::string> ids;
  if (named_)
    for (const auto& [name, row] : rows_)
      if (name != kRiskExits && name != kUnattributed) ids.push_back(name);
  return ids;
}

std::vector<StrategyResult> StrategyBook::results() const {
  Rows rows = rows_;  // with the open positions' unrealized PnL, as of the last state
  if (have_last_)
    for (const auto& pos : last_.positions) {
      auto it = position_owners_.find(pos.symbol);
      split(rows, it != position_owners_.end() ? it->second : Owners{}, pos.unrealized_pnl, &StrategyResult::unrealized);
    }
  std::vector<StrategyResult> out;  // the strategies by name (the map's order), then the two rows apart
  for (const auto& [name, row] : rows)
    if (name != kRiskExits && name != kUnattributed) out.push_back(row);
  for (const char* name : {kRiskExits, kUnattributed})
    if (auto it = rows.find(name); it != rows.end()) out.push_back(it->second);
  return out;
}

Result<StrategyBook> read_strategy_book(const std::string& dir, std::uint64_t from_seq, std::uint64_t to_seq) {
  auto reader = journal::Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  journal::Filter f;
  f.from_seq = from_seq;
  f.to_seq = to_seq;
  auto cursor = (*reader)->scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  StrategyBook book;
  for (;;) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) return book;
    const auto& h = (*rec)->header;
    if (!StrategyBook::reads(h.type_id)) continue;
    auto body = (*rec)->decode();
    if (!body) return fail(fmt::format("{}: seq {}: {}", dir, h.seq, body.error().message));
    book.add(h, *body);
  }
}

}  // namespace trader::replay
