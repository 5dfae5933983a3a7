#include <doctest/doctest.h>

#include <random>

#include "futures/contract.hpp"
#include "futures/perp_position.hpp"
#include "messages/fixed_point.hpp"

using namespace trader;
using namespace trader::futures;

namespace {

std::int64_t fx(const char* text) {
  auto v = parse_fixed(text);
  REQUIRE(v.has_value());
  return *v;
}

// Brackets shaped like a Binance USDⓈ-M table (notional floor, maintenance rate, max
// leverage). Binance publishes each bracket's amount ("cum") beside them; for these the
// rule that makes the margin continuous gives 0, 50, 3,050, 48,050.
PerpContract btcusdt() {
  PerpContract c;
  c.symbol = "BTCUSDT";
  c.lot_step = fx("0.001");
  c.tick_size = fx("0.1");
  c.max_leverage = 125;
  c.tiers = {{0, fx("0.004"), 125}, {fx("50000"), fx("0.005"), 100}, {fx("600000"), fx("0.01"), 75},
             {fx("3000000"), fx("0.025"), 20}};
  return c;
}

}  // namespace

TEST_CASE("maintenance margin is continuous across brackets and reproduces the venue's published amounts") {
  const auto c = btcusdt();
  REQUIRE(check_contract(c).has_value());
  // In bracket 2 the amount is 50: 60,000 x 0.005 - 50 = 250.
  CHECK(maintenance_margin(c, fx("60000")) == fx("250"));
  // In bracket 3 the amount is 3,050: 1,000,000 x 0.01 - 3,050 = 6,950.
  CHECK(maintenance_margin(c, fx("1000000")) == fx("6950"));
  // At each floor both brackets' formulas agree.
  CHECK(maintenance_margin(c, fx("50000")) == fx("200"));
  CHECK(maintenance_margin(c, fx("600000")) == fx("2950"));
  CHECK(tier_of(c, fx("49999.99")).mmr == fx("0.004"));
  CHECK(tier_of(c, fx("50000")).mmr == fx("0.005"));
  // Rounded up: 0.00000001 x 0.004 is less than a unit, and still one unit.
  CHECK(maintenance_margin(c, 1) == 1);
}

TEST_CASE("contracts whose brackets cannot work are refused, naming the bracket") {
  auto c = btcusdt();
  c.tiers[1].floor = c.tiers[0].floor;
  CHECK(check_contract(c).error().message == "BTCUSDT: margin bracket 2: floors must rise");
  c = btcusdt();
  c.tiers[0].max_leverage = 300;  // 300 x 0.004 >= 1: opens below maintenance
  c.max_leverage = 300;
  CHECK(check_contract(c).error().message.find("margin bracket 1: at 300x") != std::string::npos);
  c = btcusdt();
  c.tiers[2].mmr = fx("0.001");
  CHECK(check_contract(c).error().message == "BTCUSDT: margin bracket 3: maintenance rates must not fall");
  c = btcusdt();
  c.max_leverage = 20;
  CHECK(check_contract(c).error().message == "BTCUSDT: max_leverage 20 is not the first bracket's 125");
}

TEST_CASE("a short is opened, marked and closed exactly, with margin posted and released") {
  PerpPosition p;
  p.leverage = 10;
  auto open = apply_fill(p, /*buy=*/false, fx("0.01"), fx("60000"), fx("0.24"));
  REQUIRE(open.has_value());
  CHECK(p.qty == -fx("0.01"));
  CHECK(p.cost == -fx("600"));
  CHECK(open->margin_posted == fx("60"));
  CHECK(open->wallet_delta == -fx("0.24"));
  CHECK(unrealized_at(p, fx("59000")) == fx("10"));   // the price fell: a short gains
  CHECK(unrealized_at(p, fx("61000")) == -fx("10"));
  auto half = apply_fill(p, /*buy=*/true, fx("0.005"), fx("59000"), 0);
  REQUIRE(half.has_value());
  CHECK(half->realized == fx("5"));
  CHECK(half->margin_released == fx("30"));
  CHECK(p.qty == -fx("0.005"));
  // A buy of more than is short closes it and opens a long with the rest.
  auto flip = apply_fill(p, /*buy=*/true, fx("0.015"), fx("58000"), 0);
  REQUIRE(flip.has_value());
  CHECK(flip->closed == fx("0.005"));
  CHECK(flip->opened == fx("0.01"));
  CHECK(flip->realized == fx("10"));
  CHECK(p.qty == fx("0.01"));
  CHECK(p.cost == fx("580"));
  CHECK(p.margin == fx("58"));
  CHECK(p.realized == fx("15"));
}

TEST_CASE("the liquidation price matches the venue's formula and is the exact boundary of the margin check") {
  const auto c = btcusdt();
  PerpPosition p;
  p.leverage = 10;
  REQUIRE(apply_fill(p, true, fx("1"), fx("60000"), 0).has_value());  // margin 6,000, bracket 2
  // Binance: (margin + cum - side x qty x entry) / (qty x mmr - side x qty)
  //        = (6000 + 50 - 60000) / (0.005 - 1) = 54221.10552763...
  auto lp = liquidation_price(p, c);
  REQUIRE(lp.has_value());
  CHECK(*lp >= fx("54221.10552762"));
  CHECK(*lp <= fx("54221.10552764"));
  CHECK(check_margin(p, c, *lp)->liquidate);
  CHECK_FALSE(check_margin(p, c, *lp + c.tick_size)->liquidate);
  auto m = check_margin(p, c, fx("54000"));
  REQUIRE(m.has_value());
  CHECK(m->liquidate);
  CHECK(m->margin_balance == fx("0"));            // 6,000 - 6,000 of loss
  CHECK(m->maintenance == fx("220"));             // 54,000 x 0.005 - 50
  CHECK(bankruptcy_price(p) == fx("54000"));      // (60,000 - 6,000) / 1
  auto liq = liquidate(p);
  REQUIRE(liq.has_value());
  CHECK(liq->realized == -fx("6000"));
  CHECK(p.qty == 0);
  CHECK(p.margin == 0);

  // A short at 20x: liquidated above.
  PerpPosition s;
  s.leverage = 20;
  REQUIRE(apply_fill(s, false, fx("0.5"), fx("60000"), 0).has_value());  // 30,000 notional, margin 1,500
  auto slp = liquidation_price(s, c);
  REQUIRE(slp.has_value());
  // (1500 + 0 + 30000) / (0.5 x 0.004 + 0.5) = 62749.00398406...
  CHECK(*slp >= fx("62749.00398406"));
  CHECK(*slp <= fx("62749.00398407"));
  CHECK(check_margin(s, c, *slp)->liquidate);
  CHECK_FALSE(check_margin(s, c, *slp - c.tick_size)->liquidate);
  // A long at 1x never reaches maintenance at a positive price.
  PerpPosition safe;
  REQUIRE(apply_fill(safe, true, fx("1"), fx("60000"), 0).has_value());
  CHECK_FALSE(liquidation_price(safe, c).has_value());
}

TEST_CASE("funding moves the position's margin: longs pay shorts at a positive rate") {
  PerpPosition l, s;
  l.leverage = s.leverage = 5;
  REQUIRE(apply_fill(l, true, fx("2"), fx("50000"), 0).has_value());
  REQUIRE(apply_fill(s, false, fx("2"), fx("50000"), 0).has_value());
  // 2 x 51,000 x 0.0001 = 10.2
  CHECK(apply_funding(l, fx("51000"), fx("0.0001"), MarginMode::isolated) == -fx("10.2"));
  CHECK(apply_funding(s, fx("51000"), fx("0.0001"), MarginMode::isolated) == fx("10.2"));
  CHECK(l.margin == fx("20000") - fx("10.2"));
  CHECK(s.funding == fx("10.2"));
  CHECK(apply_funding(l, fx("51000"), -fx("0.0002"), MarginMode::isolated) == fx("20.4"));
  PerpPosition flat;
  CHECK(apply_funding(flat, fx("51000"), fx("0.0001"), MarginMode::isolated) == 0);
}

TEST_CASE("a position stops at INT64_MAX units either way: a short to INT64_MIN is refused") {
  // Its size (-qty) is read wherever a short is closed, valued or margined.
  PerpPosition p;
  p.leverage = 1;
  REQUIRE(apply_fill(p, false, std::numeric_limits<std::int64_t>::max(), 1, 0).has_value());
  CHECK(p.qty == -std::numeric_limits<std::int64_t>::max());
  const PerpPosition before = p;
  auto r = apply_fill(p, false, 1, 1, 0);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("overflows") != std::string::npos);
  CHECK(p == before);
}

TEST_CASE("a fill whose numbers do not fit 64 bits is refused and books nothing") {
  PerpPosition p;
  p.leverage = 3;
  REQUIRE(apply_fill(p, true, fx("1"), fx("60000"), 0).has_value());
  const PerpPosition before = p;
  auto r = apply_fill(p, true, std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max(), 0);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("overflows") != std::string::npos);
  CHECK(p == before);
  CHECK_FALSE(apply_fill(p, true, 0, fx("1"), 0).has_value());
  CHECK(p == before);
}

TEST_CASE("property: over random fills, funding and marks, margin and PnL identities hold to the unit") {
  const auto c = btcusdt();
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
    PerpPosition p;
    p.leverage = static_cast<std::uint32_t>(pick(1, 50));
    std::int64_t posted = 0, released = 0, received = 0, wallet = 0;
    std::int64_t price = pick(fx("20000"), fx("80000"));
    for (int step = 0; step < 300; ++step) {
      price = std::max<std::int64_t>(fx("1000"), price + pick(-fx("300"), fx("300")));
      const int what = static_cast<int>(pick(0, 9));
      if (what <= 5) {  // a fill: lots of 0.001, a fee of 0.04 % of its notional
        const std::int64_t qty = pick(1, 3000) * fx("0.001");
        const std::int64_t fee = mul_fixed(mul_fixed(qty, price), fx("0.0004"));
        const bool buy = pick(0, 1) == 1;
        const auto before = p;
        auto e = apply_fill(p, buy, qty, price, fee);
        REQUIRE(e.has_value());
        posted += e->margin_posted;
        released += e->margin_released;
        wallet += e->wallet_delta;
        // Closing the whole position realises exactly what it was marked at.
        if (before.qty != 0 && (before.qty > 0) != buy && qty == (before.qty < 0 ? -before.qty : before.qty)) {
          CHECK(e->realized == unrealized_at(before, price));
          CHECK(e->margin_released == before.margin);
        }
        CHECK(e->closed + e->opened == qty);
      } else if (what <= 7) {  // funding at the mark
        auto f = apply_funding(p, price, pick(-fx("0.0005"), fx("0.0005")), MarginMode::isolated);
        REQUIRE(f.has_value());
        received += *f;
        wallet += *f;
      } else if (p.qty != 0) {  // the liquidation boundary
        auto lp = liquidation_price(p, c);
        if (lp && *lp > c.tick_size) {
          CHECK(check_margin(p, c, *lp)->liquidate);
          CHECK_FALSE(check_margin(p, c, p.qty > 0 ? *lp + c.tick_size : *lp - c.tick_size)->liquidate);
        }
      }
      // The identities, exact.
      CHECK(p.margin == posted - released + received);
      CHECK(wallet == p.realized - p.fees + p.funding);
      CHECK(p.funding == received);
      if (p.qty == 0) {
        CHECK(p.cost == 0);
      } else {
        CHECK((p.cost > 0) == (p.qty > 0));
      }
      // Marked equity of the position = what closing it at the mark would add to the wallet.
      const auto u = unrealized_at(p, price);
      REQUIRE(u.has_value());
      PerpPosition closing = p;
      if (p.qty != 0) {
        auto e = apply_fill(closing, p.qty < 0, p.qty < 0 ? -p.qty : p.qty, price, 0);
        REQUIRE(e.has_value());
        CHECK(e->realized == *u);
        CHECK(closing.qty == 0);
        CHECK(closing.cost == 0);
        CHECK(closing.margin == 0);
      }
    }
    // Liquidated at the end: the loss is the margin left, and the wallet identity holds.
    if (p.qty != 0) {
      const std::int64_t margin = p.margin;
      auto l = liquidate(p);
      REQUIRE(l.has_value());
      wallet += l->wallet_delta;
      CHECK(l->realized == -std::max<std::int64_t>(margin, 0));
      CHECK(wallet == p.realized - p.fees + p.funding);
    }
  }
}

TEST_CASE("cross margin: funding is the wallet's, the margin stays the initial margin") {
  PerpPosition l;
  l.leverage = 5;
  REQUIRE(apply_fill(l, true, fx("2"), fx("50000"), 0).has_value());
  CHECK(apply_funding(l, fx("51000"), fx("0.0001"), MarginMode::cross) == -fx("10.2"));
  CHECK(l.margin == fx("20000"));
  CHECK(l.funding == -fx("10.2"));
}

TEST_CASE("cross margin: the account's check, each position's liquidation price and the losses match the venue") {
  const auto btc = btcusdt();
  auto eth = btcusdt();
  eth.symbol = "ETHUSDT";
  PerpPosition b, e;
  b.leverage = e.leverage = 10;
  REQUIRE(apply_fill(b, true, fx("1"), fx("60000"), 0).has_value());   // bracket 2 (cum 50)
  REQUIRE(apply_fill(e, false, fx("10"), fx("3000"), 0).has_value());  // 30,000, bracket 1
  const std::int64_t wallet = fx("10000");
  // Alone, Binance's cross formula: (wallet - others' maintenance + others' unrealized + cum
  // - side x qty x entry) / (qty x mmr - side x qty) = (10,000 + 50 - 60,000) / (0.005 - 1).
  std::vector<CrossLeg> alone{{&b, &btc, fx("60000")}};
  auto c1 = cross_collateral(wallet, alone, 0);
  REQUIRE(c1.has_value());
  CHECK(c1->liquidation == wallet);
  auto lp1 = liquidation_price(b, btc, c1->liquidation);
  REQUIRE(lp1.has_value());
  CHECK(*lp1 >= fx("50201.00502512"));
  CHECK(*lp1 <= fx("50201.00502513"));
  CHECK(bankruptcy_price(b, c1->bankruptcy) == fx("50000"));  // (60,000 - 10,000) / 1
  // With the short ETH at a mark of 2,900 (unrealized +1,000, maintenance 116): the wallet
  // and that profit less its maintenance back the long.
  std::vector<CrossLeg> legs{{&b, &btc, fx("60000")}, {&e, &eth, fx("2900")}};
  auto c2 = cross_collateral(wallet, legs, 0);
  REQUIRE(c2.has_value());
  CHECK(c2->liquidation == fx("10000") + fx("1000") - fx("116"));
  CHECK(c2->bankruptcy == fx("11000"));
  auto lp2 = liquidation_price(b, btc, c2->liquidation);
  REQUIRE(lp2.has_value());
  // Below 50,000 of notional, the first bracket (0.4 %, no amount):
  // (10,884 + 0 - 60,000) / (0.004 - 1) = 49313.25301204...
  CHECK(*lp2 >= fx("49313.25301204"));
  CHECK(*lp2 <= fx("49313.25301205"));
  // It is the exact boundary of the account's check, the ETH leg held at its mark.
  legs[0].mark = *lp2;
  auto at = check_cross_margin(wallet, legs);
  REQUIRE(at.has_value());
  CHECK(at->liquidate);
  CHECK(at->margin_balance == wallet + (*lp2 - fx("60000")) + fx("1000"));
  legs[0].mark = *lp2 + btc.tick_size;
  CHECK_FALSE(check_cross_margin(wallet, legs)->liquidate);
  // Liquidated at 49,300: each realises its unrealized at its mark, the marked one also the
  // rest of the margin balance; the losses add up to the wallet.
  legs[0].mark = fx("49300");
  auto check = check_cross_margin(wallet, legs);
  REQUIRE(check.has_value());
  CHECK(check->liquidate);
  CHECK(check->margin_balance == fx("10000") - fx("10700") + fx("1000"));  // 300
  CHECK(check->maintenance == fx("197.2") + fx("116"));  // 49,300 x 0.004 + 29,000 x 0.004
  auto losses = cross_losses(wallet, legs, 0);
  REQUIRE(losses.has_value());
  CHECK((*losses)[1] == -fx("1000"));
  CHECK((*losses)[0] == fx("10700") + fx("300"));
  CHECK((*losses)[0] + (*losses)[1] == wallet);
  auto closed = close_at_loss(b, (*losses)[0]);
  REQUIRE(closed.has_value());
  CHECK(closed->wallet_delta == -fx("11000"));
  CHECK(closed->margin_released == fx("6000"));
  CHECK(b.qty == 0);
  CHECK(b.margin == 0);
  CHECK(b.realized == -fx("11000"));
  // A wallet already at or below 0 loses nothing more: the venue makes the rest good.
  auto none = cross_losses(-fx("5"), legs, 1);
  REQUIRE(none.has_value());
  CHECK((*none)[0] + (*none)[1] == 0);
}

TEST_CASE("property: cross margin over random fills, funding and marks of two positions, exact to the unit") {
  const auto btc = btcusdt();
  auto eth = btcusdt();
  eth.symbol = "ETHUSDT";
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
    PerpPosition p[2];
    p[0].leverage = p[1].leverage = static_cast<std::uint32_t>(pick(1, 50));
    const std::int64_t start = pick(fx("1000"), fx("100000"));
    std::int64_t wallet = start, posted = 0, released = 0;
    std::int64_t price[2] = {pick(fx("20000"), fx("80000")), pick(fx("1000"), fx("4000"))};
    const PerpContract* contract[2] = {&btc, &eth};
    for (int step = 0; step < 300; ++step) {
      const int k = static_cast<int>(pick(0, 1));
      price[k] = std::max<std::int64_t>(fx("100"), price[k] + pick(-price[k] / 200, price[k] / 200));
      std::vector<CrossLeg> legs{{&p[0], &btc, price[0]}, {&p[1], &eth, price[1]}};
      const int what = static_cast<int>(pick(0, 9));
      if (what <= 5) {
        const std::int64_t qty = pick(1, 3000) * fx("0.001");
        const std::int64_t fee = mul_fixed(mul_fixed(qty, price[k]), fx("0.0004"));
        auto e = apply_fill(p[k], pick(0, 1) == 1, qty, price[k], fee);
        REQUIRE(e.has_value());
        wallet += e->wallet_delta;
        posted += e->margin_posted;
        released += e->margin_released;
      } else if (what <= 7) {
        auto f = apply_funding(p[k], price[k], pick(-fx("0.0005"), fx("0.0005")), MarginMode::cross);
        REQUIRE(f.has_value());
        wallet += *f;
      } else if (p[k].qty != 0) {
        // Each position's cross liquidation price is the boundary of the account's check.
        auto c = cross_collateral(wallet, legs, static_cast<std::size_t>(k));
        REQUIRE(c.has_value());
        auto lp = liquidation_price(p[k], *contract[k], c->liquidation);
        if (lp && *lp > contract[k]->tick_size && *lp < fx("10000000")) {
          legs[static_cast<std::size_t>(k)].mark = *lp;
          CHECK(check_cross_margin(wallet, legs)->liquidate);
          legs[static_cast<std::size_t>(k)].mark = p[k].qty > 0 ? *lp + contract[k]->tick_size : *lp - contract[k]->tick_size;
          CHECK_FALSE(check_cross_margin(wallet, legs)->liquidate);
        }
      }
      // Cross: the margin is the initial margin alone; the wallet is the fills' and funding's.
      CHECK(p[0].margin + p[1].margin == posted - released);
      CHECK(wallet == start + p[0].realized - p[0].fees + p[0].funding + p[1].realized - p[1].fees + p[1].funding);
    }
    // Liquidated at the end: the losses take the wallet to 0 (or leave one at or below 0 as it was).
    std::vector<CrossLeg> legs{{&p[0], &btc, price[0]}, {&p[1], &eth, price[1]}};
    auto losses = cross_losses(wallet, legs, static_cast<std::size_t>(pick(0, 1)));
    REQUIRE(losses.has_value());
    const std::int64_t before = wallet;
    for (int k = 0; k < 2; ++k) {
      auto e = close_at_loss(p[k], (*losses)[static_cast<std::size_t>(k)]);
      REQUIRE(e.has_value());
      wallet += e->wallet_delta;
      CHECK(p[k].qty == 0);
    }
    CHECK(wallet == std::min<std::int64_t>(before, 0));
  }
}
