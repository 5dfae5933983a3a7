#include <doctest/doctest.h>

#include <limits>
#include <optional>

#include "messages/fixed_point.hpp"
#include "replay/strategy_book.hpp"

using namespace trader;
using replay::StrategyBook;

namespace {

std::int64_t px(double v) { return static_cast<std::int64_t>(v * 1e8 + (v >= 0 ? 0.5 : -0.5)); }

// Feeds a book records in journal order, each answering the one `cause` names.
struct Journal {
  StrategyBook book;
  std::uint64_t seq = 0;
  std::uint64_t add(Actor source, const Message& m, std::uint64_t cause = 0) {
    EnvelopeHeader h;
    h.seq = ++seq;
    h.source = source;
    h.cause_seq = cause;
    h.type_id = type_id_of(m);
    book.add(h, m);
    return h.seq;
  }
  // An intent, its approval, its order and one fill of it, then the portfolio after it.
  void trade(std::uint64_t intent_id, Side side, std::int64_t qty, std::vector<StrategyVote> votes,
             const PortfolioState& after, std::uint64_t candle, std::optional<bool> exit = {}) {
    OrderIntent i;
    i.intent_id = intent_id;
    i.symbol = "BTCUSDT";
    i.side = side;
    i.qty = qty;
    i.is_exit = exit.value_or(side == Side::sell);  // long-only unless told
    i.votes = std::move(votes);
    const auto intent = add(Actor::strategy, i, candle);
    RiskDecision d;
    d.intent_id = intent_id;
    d.approved = true;
    const auto decision = add(Actor::risk, d, intent);
    OrderRequest o;
    o.client_order_id = "c" + std::to_string(intent_id);
    o.intent_id = intent_id;
    const auto request = add(Actor::order, o, decision);
    OrderEvent e;
    e.client_order_id = o.client_order_id;
    e.symbol = "BTCUSDT";
    e.side = side;
    e.kind = OrderEventKind::filled;
    e.fill_qty = qty;
    const auto fill = add(Actor::exchange, e, request);
    add(Actor::portfolio, after, fill);
  }
};

PortfolioState state(std::int64_t realized, std::int64_t fees, std::int64_t held, std::int64_t unrealized) {
  PortfolioState p;
  p.realized_pnl = realized;
  p.fees = fees;
  p.unrealized_pnl = unrealized;
  if (held) p.positions.push_back({"BTCUSDT", held, 0, 0, unrealized, 0});
  return p;
}

}  // namespace

TEST_CASE("strategy book: a position's PnL belongs to the strategies that opened it, and the rows add up") {
  Journal j;
  const auto candle = j.add(Actor::candle_builder, Candle{});
  j.add(Actor::portfolio, state(0, 0, 0, 0), candle);
  // a and b long, c flat: a and b open the position; c's exit vote later does not own it.
  j.trade(1, Side::buy, px(1), {{"a", Direction::long_, 600'000}, {"b", Direction::long_, 700'000},
                                {"c", Direction::flat, 100'000}},
          state(0, px(0.3), px(1), px(1.01)), candle);
  j.trade(2, Side::sell, px(1), {{"a", Direction::flat, 0}, {"b", Direction::flat, 0}, {"c", Direction::flat, 0}},
          state(px(10.00000001), px(0.6), 0, 0), candle);
  // c alone opens the next one, still open at the end.
  j.trade(3, Side::buy, px(2), {{"a", Direction::flat, 0}, {"b", Direction::flat, 0}, {"c", Direction::long_, 900'000}},
          state(px(10.00000001), px(0.9), px(2), px(-4)), candle);
  const auto rows = j.book.results();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].strategy == "a");
  CHECK(rows[0].realized == px(5.00000001));  // the odd unit goes to the first owner
  CHECK(rows[1].realized == px(5));
  CHECK(rows[0].fees == px(0.3));
  CHECK(rows[1].fees == px(0.3));
  CHECK(rows[2].strategy == "c");
  CHECK(rows[2].realized == 0);
  CHECK(rows[2].fees == px(0.3));
  CHECK(rows[2].unrealized == px(-4));
  CHECK(rows[0].intents == 2);  // its entry and the exit of its position
  CHECK(rows[2].intents == 1);
  std::int64_t net = 0;
  for (const auto& r : rows) net += r.net().value();
  CHECK(net == px(10.00000001) - px(0.9) + px(-4));
  CHECK(j.book.named());
}

TEST_CASE("strategy book: a short belongs to the strategies whose views were short, and its exit's PnL to them") {
  Journal j;
  const auto candle = j.add(Actor::candle_builder, Candle{});
  j.add(Actor::portfolio, state(0, 0, 0, 0), candle);
  // b short, a flat (the any policy lets one short view open it): b alone owns the short.
  j.trade(1, Side::sell, px(1), {{"a", Direction::flat, 0}, {"b", Direction::short_, 800'000}},
          state(0, px(0.2), -px(1), 0), candle, /*exit=*/false);
  j.trade(2, Side::buy, px(1), {{"a", Direction::long_, 500'000}, {"b", Direction::flat, 0}},
          state(px(7), px(0.4), 0, 0), candle, /*exit=*/true);
  const auto rows = j.book.results();
  REQUIRE(rows.size() == 1);  // a owns nothing (a flat view is no short's owner)
  CHECK(rows[0].strategy == "b");
  CHECK(rows[0].realized == px(7));
  CHECK(rows[0].fees == px(0.4));
  CHECK(rows[0].intents == 2);  // its entry and the exit of its position
}

TEST_CASE("strategy book: a perpetual's funding and its liquidation belong to the position's owners, and the rows add up") {
  Journal j;
  const auto candle = j.add(Actor::candle_builder, Candle{});
  j.add(Actor::portfolio, state(0, 0, 0, 0), candle);
  // b alone opens a long.
  j.trade(1, Side::buy, px(1), {{"a", Direction::flat, 0}, {"b", Direction::long_, 800'000}},
          state(0, px(0.2), px(1), 0), candle);
  // A funding payment on the open position: the portfolio's state after it says how much.
  Funding f;
  f.symbol = "BTCUSDT";
  PortfolioState funded = state(0, px(0.2), px(1), px(-1));
  funded.funding = px(-0.05);
  j.add(Actor::portfolio, funded, j.add(Actor::market_feed, f));
  // The venue liquidates it: a loss no order of the strategy's caused, and no fill.
  Liquidation l;
  l.symbol = "BTCUSDT";
  l.loss = px(3);
  PortfolioState liquidated = state(-px(3), px(0.2), 0, 0);
  liquidated.funding = px(-0.05);
  j.add(Actor::portfolio, liquidated, j.add(Actor::exchange, l));
  // a opens the next position on a later candle: b's ownership ended with the liquidation.
  j.trade(2, Side::buy, px(1), {{"a", Direction::long_, 700'000}, {"b", Direction::flat, 0}},
          [&] { auto p = state(-px(3), px(0.3), px(1), px(0.5)); p.funding = px(-0.05); return p; }(), candle);
  const auto rows = j.book.results();
  REQUIRE(rows.size() == 2);  // nothing unattributed
  CHECK(rows[0].strategy == "a");
  CHECK(rows[0].realized == 0);
  CHECK(rows[0].funding == 0);
  CHECK(rows[0].fees == px(0.1));
  CHECK(rows[0].unrealized == px(0.5));
  CHECK(rows[1].strategy == "b");
  CHECK(rows[1].realized == -px(3));
  CHECK(rows[1].funding == px(-0.05));
  CHECK(rows[1].fees == px(0.2));
  CHECK(rows[1].net() == -px(3) - px(0.2) - px(0.05));
  // The session's net PnL (realized + unrealized - fees + funding) to the unit.
  CHECK(rows[0].net().value() + rows[1].net().value() == -px(3) + px(0.5) - px(0.3) - px(0.05));
}

TEST_CASE("strategy book: a row's net PnL that does not fit in 64 bits is nothing, not a wrapped number") {
  replay::StrategyResult r;
  r.realized = std::numeric_limits<std::int64_t>::max();
  r.funding = 1;
  CHECK_FALSE(r.net().has_value());
  r.funding = 0;
  CHECK(r.net() == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("strategy book: a change between two portfolio states that does not fit in 64 bits marks its rows, never wraps") {
  Journal j;
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  const auto candle = j.add(Actor::candle_builder, Candle{});
  j.add(Actor::portfolio, state(-kMax / 2 - 10, 0, 0, 0), candle);
  // a opens; the fill's state is kMax / 2 + 10 further on: each figure fits, the change does not.
  j.trade(1, Side::buy, px(1), {{"a", Direction::long_, 600'000}}, state(kMax / 2 + 10, px(0.1), px(1), 0), candle);
  // Later changes that fit are still booked; the row stays marked, its figures incomplete.
  j.trade(2, Side::sell, px(1), {{"a", Direction::flat, 0}}, state(kMax / 2 + 10 + px(2), px(0.3), 0, 0), candle);
  const auto rows = j.book.results();
  const auto find = [&rows](const std::string& name) {
    for (const auto& r : rows)
      if (r.strategy == name) return r;
    FAIL("no row " << name);
    return replay::StrategyResult{};
  };
  const auto a = find("a");
  CHECK(a.overflowed);
  CHECK(a.realized == px(2));  // the part that did not fit is not in it, wrapped or otherwise
  CHECK(a.fees == px(0.3));
  CHECK_FALSE(a.net().has_value());
  // A row's own sum that would pass the 64-bit limit is refused the same way.
  replay::StrategyResult r;
  r.realized = kMax;
  CHECK(r.net() == kMax);
  r.overflowed = true;
  CHECK_FALSE(r.net().has_value());
}
