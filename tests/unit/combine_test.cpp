// How several strategies' views of one symbol become one (actors/strategy/combine.hpp).
#include <doctest/doctest.h>

#include "actors/strategy/combine.hpp"

using namespace trader;

namespace {

View view(Direction d, std::uint32_t confidence_ppm, std::uint32_t fraction_ppm, std::string reason = "r") {
  View v;
  v.direction = d;
  v.confidence_ppm = confidence_ppm;
  v.fraction_ppm = fraction_ppm;
  v.reason = std::move(reason);
  v.values = {{"p", confidence_ppm / 1e6}};
  return v;
}

CombineConfig policy(CombinePolicy p, std::uint32_t k = 1, std::uint32_t min_score_ppm = 500'000) {
  return CombineConfig{p, k, min_score_ppm};
}

}  // namespace

TEST_CASE("combine: one strategy's view passes through unchanged, so a one-strategy config trades as before") {
  const View v = view(Direction::long_, 420'000, 200'000, "ema12/ema48 spread 1.2 bp");
  const Ballot one[] = {{"", 1'000'000, &v}};
  for (auto p : {CombinePolicy::any, CombinePolicy::k_of_n}) {
    const auto c = combine(policy(p), one);
    REQUIRE(c.has_value());
    CHECK(c->direction == v.direction);
    CHECK(c->confidence_ppm == v.confidence_ppm);
    CHECK(c->fraction_ppm == v.fraction_ppm);
    CHECK(c->reason == v.reason);
    CHECK(c->values == v.values);
  }
  const Ballot warming[] = {{"", 1'000'000, nullptr}};
  CHECK_FALSE(combine(policy(CombinePolicy::any), warming).has_value());
}

TEST_CASE("combine: any goes long on one long view, led by the most confident") {
  const View a = view(Direction::flat, 900'000, 100'000), b = view(Direction::long_, 300'000, 50'000),
             c = view(Direction::long_, 700'000, 250'000);
  const Ballot ballots[] = {{"a", 1'000'000, &a}, {"b", 1'000'000, &b}, {"c", 1'000'000, &c}};
  const auto v = combine(policy(CombinePolicy::any), ballots);
  REQUIRE(v.has_value());
  CHECK(v->direction == Direction::long_);
  CHECK(v->confidence_ppm == 700'000);
  CHECK(v->fraction_ppm == 250'000);
  CHECK(v->reason.rfind("any: 2 of 3 long (a flat 0.900: r; b long 0.300: r; c long 0.700: r)", 0) == 0);
  REQUIRE(v->values.size() == 3);
  CHECK(v->values[2].name == "c.p");  // each strategy's values, named by it
  const Ballot none_long[] = {{"a", 1'000'000, &a}};
  CHECK(combine(policy(CombinePolicy::any), std::span(none_long, 1))->direction == Direction::flat);
}

TEST_CASE("combine: k_of_n needs k long views, a strategy warming up is not long, the means are exact") {
  const View a = view(Direction::long_, 400'000, 100'000), b = view(Direction::long_, 500'001, 200'001);
  const View flat = view(Direction::flat, 0, 0);
  const Ballot two_of_three[] = {{"a", 1'000'000, &a}, {"b", 1'000'000, &b}, {"c", 1'000'000, nullptr}};
  auto v = combine(policy(CombinePolicy::k_of_n, 2), two_of_three);
  REQUIRE(v.has_value());
  CHECK(v->direction == Direction::long_);
  CHECK(v->confidence_ppm == 450'000);  // (400000 + 500001) / 2, rounded down
  CHECK(v->fraction_ppm == 150'000);
  CHECK(v->reason.find("c warming up") != std::string::npos);
  const Ballot one_of_three[] = {{"a", 1'000'000, &a}, {"b", 1'000'000, &flat}, {"c", 1'000'000, nullptr}};
  v = combine(policy(CombinePolicy::k_of_n, 2), one_of_three);
  REQUIRE(v.has_value());
  CHECK(v->direction == Direction::flat);
  CHECK(v->reason.rfind("k_of_n: 1 of 3 long, 2 needed", 0) == 0);
}

TEST_CASE("combine: weighted scores weight x confidence of the long views over every weight, the bound is inclusive") {
  const View a = view(Direction::long_, 800'000, 100'000), b = view(Direction::flat, 900'000, 300'000);
  // weights 3 and 1: score = 3 x 0.8 / 4 = 0.6
  const Ballot ballots[] = {{"a", 3'000'000, &a}, {"b", 1'000'000, &b}};
  auto v = combine(policy(CombinePolicy::weighted, 1, 600'000), ballots);
  REQUIRE(v.has_value());
  CHECK(v->direction == Direction::long_);
  CHECK(v->confidence_ppm == 600'000);
  CHECK(v->fraction_ppm == 100'000);  // the long views' shares, weight-averaged
  CHECK(v->reason.find("score 0.600") != std::string::npos);
  v = combine(policy(CombinePolicy::weighted, 1, 600'001), ballots);
  CHECK(v->direction == Direction::flat);
  CHECK(v->confidence_ppm == 600'000);
}

TEST_CASE("combine: short views count as long ones do, mirrored, and views that disagree leave the symbol flat") {
  const View lo = view(Direction::long_, 600'000, 100'000), sh = view(Direction::short_, 700'000, 200'000),
             sh2 = view(Direction::short_, 500'001, 300'001), flat = view(Direction::flat, 900'000, 0);
  // any: one short view is enough, led by the most confident; a long beside it: flat.
  const Ballot shorts[] = {{"a", 1'000'000, &sh2}, {"b", 1'000'000, &sh}, {"c", 1'000'000, &flat}};
  auto v = combine(policy(CombinePolicy::any), shorts);
  REQUIRE(v.has_value());
  CHECK(v->direction == Direction::short_);
  CHECK(v->confidence_ppm == 700'000);
  CHECK(v->fraction_ppm == 200'000);
  CHECK(v->reason.rfind("any: 0 of 3 long, 2 short (a short 0.500: r; b short 0.700: r; c flat 0.900: r)", 0) == 0);
  const Ballot split[] = {{"a", 1'000'000, &lo}, {"b", 1'000'000, &sh}};
  v = combine(policy(CombinePolicy::any), split);
  CHECK(v->direction == Direction::flat);
  CHECK(v->reason.rfind("any: 1 of 2 long, 1 short", 0) == 0);
  // k_of_n: k short views; the means exact; k of each side: flat.
  v = combine(policy(CombinePolicy::k_of_n, 2), shorts);
  CHECK(v->direction == Direction::short_);
  CHECK(v->confidence_ppm == 600'000);  // (500001 + 700000) / 2, rounded down
  CHECK(v->fraction_ppm == 250'000);  // (300001 + 200000) / 2, rounded down
  CHECK(combine(policy(CombinePolicy::k_of_n, 1), split)->direction == Direction::flat);
  CHECK(combine(policy(CombinePolicy::k_of_n, 2), split)->direction == Direction::flat);
  // weighted: longs' weight x confidence less shorts', over every weight, reaching -min_score.
  // weights 1 (long 0.6) and 3 (short 0.7): (2.1 - 0.6) / 4 = 0.375 toward short.
  const Ballot weighted[] = {{"a", 1'000'000, &lo}, {"b", 3'000'000, &sh}};
  v = combine(policy(CombinePolicy::weighted, 1, 375'000), weighted);
  CHECK(v->direction == Direction::short_);
  CHECK(v->confidence_ppm == 375'000);
  CHECK(v->fraction_ppm == 200'000);  // the short views' shares, weight-averaged
  CHECK(v->reason.find("score -0.375") != std::string::npos);
  v = combine(policy(CombinePolicy::weighted, 1, 375'001), weighted);
  CHECK(v->direction == Direction::flat);
  CHECK(v->reason.find("score -0.375") != std::string::npos);  // flat, leaning short
  // Without short views every policy gives what it gave before shorts existed.
  const Ballot longs[] = {{"a", 1'000'000, &lo}, {"c", 1'000'000, &flat}};
  CHECK(combine(policy(CombinePolicy::any), longs)->reason.rfind("any: 1 of 2 long (", 0) == 0);
  CHECK(combine(policy(CombinePolicy::weighted, 1, 300'000), longs)->reason.find("score 0.300") != std::string::npos);
}
