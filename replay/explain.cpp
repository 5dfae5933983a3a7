#include "replay/explain.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "messages/enum_names.hpp"
#include "messages/explanation_json.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"
#include "messages/message_json.hpp"
#include "messages/risk_limits.hpp"
#include "messages/type_registry.hpp"

namespace trader::replay {
namespace {

std::string step_of(const Message& m) {
  if (std::holds_alternative<Trade>(m) || std::holds_alternative<AggTrade>(m) || std::holds_alternative<BookTicker>(m) ||
      std::holds_alternative<DepthUpdate>(m) || std::holds_alternative<DepthSnapshot>(m) || std::holds_alternative<Kline>(m))
    return "market data";
  if (std::holds_alternative<Candle>(m)) return "candle";
  if (std::holds_alternative<Signal>(m)) return "signal";
  if (std::holds_alternative<OrderIntent>(m)) return "intent";
  if (std::holds_alternative<RiskDecision>(m)) return "risk decision";
  if (std::holds_alternative<RiskState>(m)) return "risk state";
  if (const auto* r = std::get_if<OrderRequest>(&m)) return r->cancel ? "cancel request" : "order request";
  if (const auto* e = std::get_if<OrderEvent>(&m)) return e->fill_qty > 0 ? "fill" : "venue answer";
  if (std::holds_alternative<PortfolioState>(m)) return "position and PnL";
  if (std::holds_alternative<ClockTick>(m)) return "clock tick";
  if (std::holds_alternative<OperatorCommand>(m)) return "operator command";
  if (std::holds_alternative<FeedStatus>(m)) return "feed status";
  if (std::holds_alternative<ErrorReport>(m)) return "note";
  if (std::holds_alternative<AccountBalances>(m)) return "venue account";
  return "record";
}

// Types only a core produces: journaled with cause 0, they come from a journal written
// before causes were recorded.
bool only_an_output(const Message& m) {
  return std::holds_alternative<Candle>(m) || std::holds_alternative<Signal>(m) ||
         std::holds_alternative<OrderIntent>(m) || std::holds_alternative<RiskDecision>(m) ||
         std::holds_alternative<RiskState>(m) || std::holds_alternative<OrderRequest>(m) ||
         std::holds_alternative<PortfolioState>(m);
}

Result<ExplainedRecord> take(const journal::RecordView& v) {
  auto m = v.decode();
  if (!m) return fail(fmt::format("seq {}: {}", v.header.seq, m.error().message));
  return ExplainedRecord{step_of(*m), v.header, std::move(*m)};
}

// The record at `seq`, std::nullopt if the journal holds none there.
Result<std::optional<ExplainedRecord>> record_at(journal::Reader& reader, std::uint64_t seq) {
  journal::Filter f;
  f.from_seq = f.to_seq = seq;
  auto cursor = reader.scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  auto v = cursor->next();
  if (!v) return tl::unexpected(v.error());
  if (*v == nullptr) return std::nullopt;
  return take(**v);
}

// The same, a record that is not there an error.
Result<ExplainedRecord> read_at(journal::Reader& reader, std::uint64_t seq) {
  auto r = record_at(reader, seq);
  if (!r) return tl::unexpected(r.error());
  if (!*r) return fail(missing_target({ExplainTarget::Kind::seq, seq}));
  return std::move(**r);
}

// The record at `seq` and its causes, the input first.
Result<std::vector<ExplainedRecord>> chain_to(journal::Reader& reader, std::uint64_t seq) {
  std::vector<ExplainedRecord> chain;
  for (std::uint64_t at = seq; at != 0;) {
    auto r = read_at(reader, at);
    if (!r) return tl::unexpected(r.error());
    if (r->header.cause_seq >= at)
      return fail(fmt::format("seq {} names seq {} as its cause, which is not before it", at, r->header.cause_seq));
    if (r->header.cause_seq == 0 && only_an_output(r->message))
      return fail(fmt::format("seq {} ({}) has no journaled cause: the journal was written before causes were "
                              "recorded, so its chain cannot be read from it",
                              at, r->step));
    at = r->header.cause_seq;
    chain.push_back(std::move(*r));
  }
  return std::vector<ExplainedRecord>(std::make_move_iterator(chain.rbegin()), std::make_move_iterator(chain.rend()));
}

// The signal an intent carries out: the strategy journals it just before the intent, in
// answer to the same delivery (the candle), so it is the intent's sibling, not its cause.
Result<std::optional<ExplainedRecord>> signal_of(journal::Reader& reader, const ExplainedRecord& intent) {
  journal::Filter f;
  f.from_seq = intent.header.cause_seq + 1;
  f.to_seq = intent.header.seq - 1;
  f.type_id = Signal::kTypeId;
  auto cursor = reader.scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  std::optional<ExplainedRecord> found;
  for (;;) {
    auto v = cursor->next();
    if (!v) return tl::unexpected(v.error());
    if (*v == nullptr) return found;
    if ((*v)->header.cause_seq != intent.header.cause_seq || (*v)->header.source != intent.header.source) continue;
    auto r = take(**v);
    if (!r) return tl::unexpected(r.error());
    if (std::get<Signal>(r->message).symbol == std::get<OrderIntent>(intent.message).symbol) found = std::move(*r);
  }
}

// The record at `seq` and its causes, the input first, with each intent's signal before it.
Result<std::vector<ExplainedRecord>> explained_chain(journal::Reader& reader, std::uint64_t seq) {
  auto chain = chain_to(reader, seq);
  if (!chain) return chain;
  for (std::size_t i = 0; i < chain->size(); ++i) {
    if (!std::holds_alternative<OrderIntent>((*chain)[i].message)) continue;
    auto signal = signal_of(reader, (*chain)[i]);
    if (!signal) return tl::unexpected(signal.error());
    if (*signal) chain->insert(chain->begin() + static_cast<std::ptrdiff_t>(i++), std::move(**signal));
  }
  return chain;
}

// What `seq` caused: its descendants in its cascade, which ends at the next input.
Result<std::vector<ExplainedRecord>> caused_by(journal::Reader& reader, std::uint64_t seq) {
  std::vector<ExplainedRecord> out;
  journal::Filter f;
  f.from_seq = seq + 1;
  auto cursor = reader.scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  std::set<std::uint64_t> family{seq};
  for (;;) {
    auto v = cursor->next();
    if (!v) return tl::unexpected(v.error());
    if (*v == nullptr || (*v)->header.cause_seq == 0) break;
    if (!family.count((*v)->header.cause_seq)) continue;
    family.insert((*v)->header.seq);
    auto r = take(**v);
    if (!r) return tl::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

// The first record of `type_id` that `match` accepts.
template <class Match>
Result<std::optional<ExplainedRecord>> find_first(journal::Reader& reader, std::uint16_t type_id, Match match) {
  journal::Filter f;
  f.type_id = type_id;
  auto cursor = reader.scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  for (;;) {
    auto v = cursor->next();
    if (!v) return tl::unexpected(v.error());
    if (*v == nullptr) return std::optional<ExplainedRecord>{};
    auto r = take(**v);
    if (!r) return tl::unexpected(r.error());
    if (match(r->message)) return std::optional<ExplainedRecord>(std::move(*r));
  }
}

bool is_request_of(const Message& m, const std::string& client_order_id) {
  const auto* q = std::get_if<OrderRequest>(&m);
  return q != nullptr && !q->cancel && q->client_order_id == client_order_id;
}

// The order's request (not a cancel), if the journal has one.
Result<std::optional<ExplainedRecord>> find_request(journal::Reader& reader, const std::string& client_order_id) {
  return find_first(reader, OrderRequest::kTypeId, [&](const Message& m) { return is_request_of(m, client_order_id); });
}

// What followed the order's request: its answers, cancels and fills, and the portfolio
// state each fill caused; up to the end of the cascade that ended the order.
Result<std::vector<ExplainedRecord>> order_after(journal::Reader& reader, std::uint64_t request_seq,
                                                 const std::string& cid) {
  std::vector<ExplainedRecord> out;
  journal::Filter f;
  f.from_seq = request_seq + 1;
  auto cursor = reader.scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  std::set<std::uint64_t> fills;
  bool ended = false;
  for (;;) {
    auto v = cursor->next();
    if (!v) return tl::unexpected(v.error());
    if (*v == nullptr || (ended && (*v)->header.cause_seq == 0)) break;
    const auto type = (*v)->header.type_id;
    const bool wanted = type == OrderEvent::kTypeId || type == OrderRequest::kTypeId ||
                        (type == PortfolioState::kTypeId && fills.count((*v)->header.cause_seq));
    if (!wanted) continue;
    auto r = take(**v);
    if (!r) return tl::unexpected(r.error());
    if (const auto* e = std::get_if<OrderEvent>(&r->message)) {
      if (e->client_order_id != cid) continue;
      if (e->fill_qty > 0) fills.insert(r->header.seq);
      if (ends_order(e->kind)) ended = true;
    } else if (const auto* q = std::get_if<OrderRequest>(&r->message)) {
      if (q->client_order_id != cid) continue;
    }
    out.push_back(std::move(*r));
  }
  return out;
}

// The order a record belongs to, if any.
std::string order_of(const Message& m) {
  if (const auto* r = std::get_if<OrderRequest>(&m)) return r->client_order_id;
  if (const auto* e = std::get_if<OrderEvent>(&m)) return e->client_order_id;
  return "";
}

// A limit's number in its unit: an amount, a quantity or a price as a decimal, a ppm as a
// percent, a count as itself.
std::string limit_number(RiskLimit limit, std::int64_t v) {
  switch (limit_unit(limit)) {
    case LimitUnit::ppm: return percent_of_ppm(v);
    case LimitUnit::count: return std::to_string(v);
    default: return format_fixed(v);
  }
}

const std::vector<SignalValue>* values_of(const Message& m) {
  if (const auto* s = std::get_if<Signal>(&m)) return &s->values;
  if (const auto* i = std::get_if<OrderIntent>(&m)) return &i->values;
  return nullptr;
}

// Under a record in the text form: what a signal's or an intent's view was computed from
// (once, when an intent's are its signal's), a risk decision's limits and headroom.
void append_detail_text(std::string& out, const Message& m, const Message* above) {
  constexpr std::string_view kIndent = "                                             ";
  const auto* values = values_of(m);
  const auto* shown = above ? values_of(*above) : nullptr;
  if (values && !values->empty() && !(shown && *shown == *values)) {
    out += fmt::format("{}computed from:", kIndent);
    for (const auto& v : *values) out += fmt::format(" {} {}", v.name, v.value);  // the exact double, shortest
    out += "\n";
  }
  if (const auto* d = std::get_if<RiskDecision>(&m)) {
    for (const auto& c : d->checks) {
      const auto room = headroom(c);
      out += fmt::format("{}{:<22} {} ({} {}), headroom {}{}\n", kIndent, enum_name(c.limit),
                         limit_number(c.limit, c.value), limit_is_floor(c.limit) ? "at least" : "at most",
                         limit_number(c.limit, c.bound), room ? limit_number(c.limit, *room) : "(out of range)",
                         c.within ? "" : "  <- binds");
    }
  }
}

void append_record(std::string& out, const ExplainedRecord& r, bool json, const ExplainedRecord* above = nullptr) {
  const TypeInfo* t = find_type(r.header.type_id);
  if (json) {
    out += fmt::format(R"({{"seq":{},"step":{},"type":"{}","source":"{}","cause_seq":{},"recv_ts_ns":{},"body":{})",
                       r.header.seq, to_json_string(r.step), t ? t->name : "?", actor_name(r.header.source),
                       r.header.cause_seq, r.header.recv_ts_ns, to_json(r.message));
    if (const auto* d = std::get_if<RiskDecision>(&r.message))  // each limit's headroom, in its unit
      out += R"(,"limits":)" + checks_json(d->checks);
    out += "}";
  } else {
    out += fmt::format("  {:>8} {:>8}  {:<17} {:<15} {}\n", r.header.seq, r.header.cause_seq, r.step, t ? t->name : "?",
                       to_json(r.message));
    append_detail_text(out, r.message, above ? &above->message : nullptr);
  }
}

void append_list(std::string& out, const char* key, const std::vector<ExplainedRecord>& list) {
  out += fmt::format(R"(,"{}":[)", key);
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ",";
    append_record(out, list[i], true);
  }
  out += "]";
}

}  // namespace

Result<std::optional<std::uint64_t>> find_target(journal::Reader& reader, const ExplainTarget& target) {
  switch (target.kind) {
    case ExplainTarget::Kind::seq: {
      auto r = record_at(reader, target.seq);
      if (!r) return tl::unexpected(r.error());
      if (!*r) return std::nullopt;
      return target.seq;
    }
    case ExplainTarget::Kind::order: {
      auto r = find_request(reader, target.client_order_id);
      if (!r) return tl::unexpected(r.error());
      if (!*r) return std::nullopt;
      return (*r)->header.seq;
    }
    case ExplainTarget::Kind::fill: {
      auto r = find_first(reader, OrderEvent::kTypeId, [&](const Message& m) {
        const auto& ev = std::get<OrderEvent>(m);
        return ev.fill_qty > 0 && ev.trade_id == target.trade_id;
      });
      if (!r) return tl::unexpected(r.error());
      if (!*r) return std::nullopt;
      return (*r)->header.seq;
    }
  }
  return std::nullopt;
}

std::string missing_target(const ExplainTarget& target) {
  switch (target.kind) {
    case ExplainTarget::Kind::seq: return fmt::format("the journal has no record at seq {}", target.seq);
    case ExplainTarget::Kind::order:
      return fmt::format("the journal has no order request with client order id {}", target.client_order_id);
    case ExplainTarget::Kind::fill: return fmt::format("the journal has no fill with trade id {}", target.trade_id);
  }
  return "no target";
}

Result<Explanation> explain(journal::Reader& reader, std::uint64_t seq) {
  Explanation e;
  auto anchor = read_at(reader, seq);
  if (!anchor) return tl::unexpected(anchor.error());
  e.target_seq = seq;
  auto chain = explained_chain(reader, e.target_seq);
  if (!chain) return tl::unexpected(chain.error());
  e.chain = std::move(*chain);
  auto caused = caused_by(reader, e.target_seq);
  if (!caused) return tl::unexpected(caused.error());
  e.caused = std::move(*caused);

  // The order: the target's own, else the first one in its chain or what it caused.
  e.client_order_id = order_of(anchor->message);
  for (const auto* list : {&e.chain, &e.caused})
    for (const auto& r : *list)
      if (e.client_order_id.empty()) e.client_order_id = order_of(r.message);
  if (e.client_order_id.empty()) return e;
  // The request is in the chain when the target is it or one of its causes; otherwise the
  // target is an answer or a fill, and the chain to show is its order's.
  const auto in_chain = std::find_if(e.chain.begin(), e.chain.end(),
                                     [&](const ExplainedRecord& r) { return is_request_of(r.message, e.client_order_id); });
  std::uint64_t request_seq = 0;
  if (in_chain != e.chain.end()) {
    request_seq = in_chain->header.seq;
  } else {
    auto request = find_request(reader, e.client_order_id);
    if (!request) return tl::unexpected(request.error());
    if (!*request) return e;  // an order the journal never requested (a venue's unknown order)
    request_seq = (*request)->header.seq;
    auto order_chain = explained_chain(reader, request_seq);
    if (!order_chain) return tl::unexpected(order_chain.error());
    e.caused.clear();
    e.chain = std::move(*order_chain);
  }
  auto after = order_after(reader, request_seq, e.client_order_id);
  if (!after) return tl::unexpected(after.error());
  e.after = std::move(*after);
  std::erase_if(e.caused, [&](const ExplainedRecord& c) {  // shown with the order
    return std::any_of(e.after.begin(), e.after.end(), [&](const auto& a) { return a.header.seq == c.header.seq; });
  });
  return e;
}

std::string explain_text(const Explanation& e) {
  std::string out = fmt::format("seq {}", e.target_seq);
  if (!e.client_order_id.empty()) out += fmt::format(", order {}", e.client_order_id);
  out += ": its causes, from the input that started them (each record answers the one above it)\n";
  out += fmt::format("  {:>8} {:>8}  {:<17} {:<15} {}\n", "seq", "cause", "step", "type", "body");
  for (std::size_t i = 0; i < e.chain.size(); ++i) append_record(out, e.chain[i], false, i ? &e.chain[i - 1] : nullptr);
  if (!e.caused.empty()) {
    out += "what it caused\n";
    for (const auto& r : e.caused) append_record(out, r, false);
  }
  if (!e.after.empty()) {
    out += fmt::format("then, for order {}: the venue's answers, fills, and the portfolio after each fill\n",
                       e.client_order_id);
    for (const auto& r : e.after) append_record(out, r, false);
  }
  return out;
}

std::string explain_json(const Explanation& e) {
  std::string out = fmt::format(R"({{"target_seq":{},"client_order_id":{})", e.target_seq,
                                to_json_string(e.client_order_id));
  append_list(out, "chain", e.chain);
  append_list(out, "caused", e.caused);
  append_list(out, "after", e.after);
  out += "}";
  return out;
}

}  // namespace trader::replay
