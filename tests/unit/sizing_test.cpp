// The sizing policies: each a pure function of the view, exact in integer ppm.
#include <doctest/doctest.h>

#include "actors/strategy/sizing.hpp"
#include "messages/fixed_point_display.hpp"

using namespace trader;

namespace {
SizingConfig policy(SizingPolicy p, std::uint32_t max_fraction_ppm = 50'000) {
  SizingConfig c;
  c.policy = p;
  c.max_fraction_ppm = max_fraction_ppm;
  return c;
}
}  // namespace

TEST_CASE("sizing `strategy` is the strategy's own share, and says nothing (the intent's reason is as before)") {
  const auto s = size_entry(policy(SizingPolicy::strategy), 200'000, 700'000);
  CHECK(s.fraction_ppm == 200'000);  // not capped: the strategy's own parameters rule
  CHECK(s.why.empty());
}

TEST_CASE("fixed_fraction and confidence_scaled: a share, scaled by confidence, capped") {
  auto c = policy(SizingPolicy::fixed_fraction);
  auto s = size_entry(c, 200'000, 700'000);
  CHECK(s.fraction_ppm == 50'000);
  CHECK(s.why == "sizing fixed_fraction 10.00%, capped at 5.00%");
  c.max_fraction_ppm = 1'000'000;
  CHECK(size_entry(c, 200'000, 700'000).fraction_ppm == 100'000);

  c = policy(SizingPolicy::confidence_scaled);
  s = size_entry(c, 200'000, 400'000);
  CHECK(s.fraction_ppm == 40'000);  // 10% x 0.4
  CHECK(s.why == "sizing confidence_scaled 10.00% x confidence 40.00% = 4.00%");
  CHECK(size_entry(c, 0, 2'000'000).fraction_ppm == 50'000);  // confidence above 1 counts as 1, then the cap
}

TEST_CASE("risk_per_trade: a stop-out loses exactly the risk share") {
  auto c = policy(SizingPolicy::risk_per_trade, 1'000'000);
  c.risk_ppm = 20'000;        // 2%
  c.stop_loss_ppm = 500'000;  // a stop 50% below
  auto s = size_entry(c, 0, 0);
  CHECK(s.fraction_ppm == 40'000);  // 4% of equity: 4% x 50% = 2% lost at the stop
  CHECK(std::uint64_t{s.fraction_ppm} * c.stop_loss_ppm / 1'000'000 == c.risk_ppm);
  c.stop_loss_ppm = 20'000;  // 2% / 2%: all of it, then the cap
  c.max_fraction_ppm = 50'000;
  CHECK(size_entry(c, 0, 0).fraction_ppm == 50'000);
  c.stop_loss_ppm = 0;
  CHECK(size_entry(c, 0, 0).fraction_ppm == 0);  // no stop: no size, never a division by zero
}

TEST_CASE("kelly: p - (1 - p) / b, a share of it, no entry without an edge") {
  auto c = policy(SizingPolicy::kelly, 1'000'000);
  c.stop_loss_ppm = 20'000;
  c.take_profit_ppm = 40'000;  // b = 2
  c.kelly_fraction_ppm = 500'000;
  auto s = size_entry(c, 0, 600'000);  // f* = 0.6 - 0.4 / 2 = 0.4; half of it
  CHECK(s.fraction_ppm == 200'000);
  CHECK(s.why == "sizing kelly p 60.00% b 4.00% / 2.00%: full 40.00% x 50.00% = 20.00%");
  CHECK(size_entry(c, 0, 300'000).fraction_ppm == 0);  // 0.3 - 0.35 < 0
  CHECK(size_entry(c, 0, 333'333).fraction_ppm == 0);  // break-even is no edge
  CHECK(size_entry(c, 0, 300'000).why.find("no edge, no entry") != std::string::npos);
  c.max_fraction_ppm = 50'000;
  CHECK(size_entry(c, 0, 900'000).fraction_ppm == 50'000);
  c.take_profit_ppm = 0;
  CHECK(size_entry(c, 0, 900'000).fraction_ppm == 0);
}

TEST_CASE("percentages of ppm are exact decimals, toward zero") {
  CHECK(percent_of_ppm(123'456) == "12.34%");
  CHECK(percent_of_ppm(0) == "0.00%");
  CHECK(percent_of_ppm(1'000'000) == "100.00%");
  CHECK(percent_of_ppm(5) == "0.00%");
  CHECK(percent_of_ppm(-5000) == "-0.50%");
}
