// The sweep's pure parts: drawing points at random, walk-forward folds, and the guard
// against overfitting (where the best in sample ranks out of sample). The sweep itself,
// with real what-ifs and trained models, is tests/integration/sweep_test.sh.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <set>

#include "replay/sweep.hpp"

using namespace trader;
using namespace trader::replay;

namespace {
constexpr std::int64_t kDay = 86'400'000'000'000LL, kHour = 3'600'000'000'000LL;
}

TEST_CASE("--random N --seed S: N distinct points in grid order, the same for the same seed, all when N covers the grid") {
  const auto a = random_points(100, 12, 42);
  CHECK(a.size() == 12);
  CHECK(std::set<std::size_t>(a.begin(), a.end()).size() == 12);
  CHECK(std::is_sorted(a.begin(), a.end()));
  CHECK(a.back() < 100);
  CHECK(random_points(100, 12, 42) == a);
  CHECK(random_points(100, 12, 43) != a);
  // Fixed here, so a change of generator (which would change every recorded sweep) fails.
  CHECK(random_points(10, 3, 1) == std::vector<std::size_t>{1, 5, 8});  // computed independently (splitmix64, in Python)
  const auto all = random_points(5, 9, 7);
  CHECK(all == std::vector<std::size_t>{0, 1, 2, 3, 4});
  // Every point can be drawn: over many seeds each of 6 is chosen.
  std::set<std::size_t> seen;
  for (std::uint64_t seed = 0; seed < 50; ++seed)
    for (auto p : random_points(6, 1, seed)) seen.insert(p);
  CHECK(seen.size() == 6);
}

TEST_CASE("--walk-forward: three durations, anything else is an error that says what was expected") {
  auto wf = parse_walk_forward("3d:1d:12h");
  REQUIRE(wf.has_value());
  CHECK(wf->train_ns == 3 * kDay);
  CHECK(wf->test_ns == kDay);
  CHECK(wf->step_ns == 12 * kHour);
  for (const char* bad : {"", "3d", "3d:1d", "3d:1d:1d:1d", "3d::1d", "3x:1d:1d", "1M:1d:1d", "d:1d:1d"}) {
    CAPTURE(bad);
    auto r = parse_walk_forward(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("expected TRAIN:TEST:STEP") != std::string::npos);
  }
}

TEST_CASE("walk-forward folds: aligned to the coarsest whole unit, stepped, each test window inside the data") {
  // The week of klines: first received 2023-03-01 00:01:00, last 2023-03-08 00:00:00.
  const std::int64_t first = 1'677'628'860'000'000'000LL, last = 1'677'628'800'000'000'000LL + 7 * kDay;
  const auto folds = walk_forward_folds({3 * kDay, kDay, kDay}, first, last);
  REQUIRE(folds.size() == 4);
  const std::int64_t day0 = 1'677'628'800'000'000'000LL;
  for (std::size_t k = 0; k < folds.size(); ++k) {
    CAPTURE(k);
    CHECK(folds[k].number == k + 1);
    CHECK(folds[k].train_from_ns == day0 + static_cast<std::int64_t>(k) * kDay);
    CHECK(folds[k].test_from_ns == folds[k].train_from_ns + 3 * kDay);
    CHECK(folds[k].test_to_ns == folds[k].test_from_ns + kDay);
  }
  CHECK(folds.back().test_to_ns == last);  // the last fold ends where the data does
  // Hours: aligned to the hour of the first record, not the day.
  const auto hourly = walk_forward_folds({2 * kHour, kHour, kHour}, day0 + 90 * 60'000'000'000LL, day0 + 6 * kHour);
  REQUIRE(hourly.size() == 3);
  CHECK(hourly[0].train_from_ns == day0 + kHour);
  CHECK(hourly[2].test_to_ns == day0 + 6 * kHour);
  // Too little data: no fold.
  CHECK(walk_forward_folds({7 * kDay, kDay, kDay}, first, last).empty());
}

namespace {
TaskResult task(std::size_t point, std::size_t fold, Window w, double net, std::int64_t units) {
  TaskResult r;
  r.point = point;
  r.overrides = {fmt::format("k={}", point)};
  r.fold = fold;
  r.window = w;
  r.stats.net_pnl = net;
  r.net_pnl_units = units;
  return r;
}
}  // namespace

TEST_CASE("across folds: each configuration in and out of sample, exact out-of-sample PnL, and where the best in sample ranks") {
  SweepResults results;
  results.folds.resize(2);
  // Fold 1: configuration 0 is best in sample and worst out of sample; fold 2: 1 is best both ways.
  const double in1[3] = {9, 5, 1}, out1[3] = {-3, 2, 4}, in2[3] = {1, 8, 2}, out2[3] = {0, 6, 1};
  for (std::size_t p = 0; p < 3; ++p) {
    results.tasks.push_back(task(p, 1, Window::in_sample, in1[p], 0));
    results.tasks.push_back(task(p, 1, Window::out_of_sample, out1[p], static_cast<std::int64_t>(out1[p] * 1e8) + 1));
    results.tasks.push_back(task(p, 2, Window::in_sample, in2[p], 0));
    results.tasks.push_back(task(p, 2, Window::out_of_sample, out2[p], static_cast<std::int64_t>(out2[p] * 1e8) + 1));
  }
  results.tasks[5].error = "failed";  // configuration 1, fold 1 out of sample... (index 5 = p1 f1 out)
  const auto configs = across_folds(results, "net_pnl");
  REQUIRE(configs.size() == 3);
  CHECK(configs[0].in_sample[0] == 9);
  CHECK(configs[0].out_of_sample[0] == -3);
  CHECK(configs[0].folds_ran == 2);
  CHECK(configs[0].in_mean == doctest::Approx(5));
  CHECK(configs[0].out_mean == doctest::Approx(-1.5));
  CHECK(configs[0].out_net_pnl_units == -300'000'000 + 1 + 0 + 1);
  CHECK_FALSE(configs[1].out_of_sample[0].has_value());
  CHECK(configs[1].folds_ran == 1);
  CHECK_FALSE(configs[1].out_net_pnl_units.has_value());  // a failed window: no total that would mislead
  const auto verdicts = fold_verdicts(configs, 2);
  REQUIRE(verdicts.size() == 2);
  REQUIRE(verdicts[0].best_in_sample != nullptr);
  CHECK(verdicts[0].best_in_sample->point == 0);
  CHECK(verdicts[0].ranked == 2);  // configuration 1 did not run out of sample in fold 1
  CHECK(verdicts[0].out_rank == 2);
  CHECK(verdicts[1].best_in_sample->point == 1);
  CHECK(verdicts[1].out_rank == 1);
  CHECK(verdicts[1].ranked == 3);
}

TEST_CASE("a grid axis holds each value once: 1 and 1.0 are one number, \"0.10\" and \"0.1\" one amount") {
  auto error_of = [](std::string_view arg) {
    auto axis = parse_grid_axis(arg);
    REQUIRE_FALSE(axis.has_value());
    return axis.error().message;
  };
  CHECK(error_of("risk.stop_loss_pct=[1, 2, 2]").find("2 appears twice; each value runs once") != std::string::npos);
  CHECK(error_of("risk.stop_loss_pct=[1, 1.0]").find("1.0 appears twice (as 1)") != std::string::npos);
  CHECK(error_of("sizing.fixed_notional=[\"0.10\", \"0.1\"]").find("'0.1' appears twice (as '0.10')") !=
        std::string::npos);
  // Values that differ stay apart, however close their text.
  auto axis = parse_grid_axis("risk.stop_loss_pct=[1, 1.5, 10, 0.1]");
  REQUIRE(axis.has_value());
  CHECK(axis->values == std::vector<std::string>{"1", "1.5", "10", "0.1"});
  auto words = parse_grid_axis("risk.stop_loss=[\"percent\", \"atr\"]");
  REQUIRE(words.has_value());
  CHECK(words->values.size() == 2);
  auto big = parse_grid_axis("x=[9007199254740992, 9007199254740993]");  // 2^53 and 2^53 + 1: two integers
  REQUIRE(big.has_value());
  CHECK(big->values.size() == 2);
}

TEST_CASE("a task without a win rate or a Sharpe ranks after every task that has one, never as a 0") {
  // A task that never traded: no round trip, no return that varies. Ranked as 0, it came
  // before every task whose Sharpe was negative.
  std::vector<TaskResult> results(3);
  for (std::size_t i = 0; i < results.size(); ++i) results[i].index = i;
  results[1].stats.round_trips = 4;
  results[1].stats.win_rate = 0.25;
  results[1].stats.sharpe = -1.5;
  results[1].stats.sharpe_defined = true;
  results[2].stats.round_trips = 2;
  results[2].stats.win_rate = 0.0;  // both lost: a real 0
  results[2].stats.sharpe = -0.5;
  results[2].stats.sharpe_defined = true;
  CHECK_FALSE(sweep_metric(results[0], "sharpe").has_value());
  CHECK_FALSE(sweep_metric(results[0], "win_rate").has_value());
  CHECK(sweep_metric(results[2], "win_rate") == 0.0);
  const auto order = [&](std::string_view metric) {
    std::vector<std::size_t> out;
    for (const auto* r : ranked_tasks(results, metric)) out.push_back(r->index);
    return out;
  };
  CHECK(order("sharpe") == std::vector<std::size_t>{2, 1, 0});
  CHECK(order("win_rate") == std::vector<std::size_t>{1, 2, 0});
  CHECK(order("net_pnl") == std::vector<std::size_t>{0, 1, 2});  // all 0: task order
}
