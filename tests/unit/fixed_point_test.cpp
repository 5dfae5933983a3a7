#include <doctest/doctest.h>

#include <limits>
#include <random>
#include <string>

#include "base/time_format.hpp"
#include "messages/fixed_point.hpp"

using namespace trader;

TEST_CASE("parse_fixed reads exchange decimals exactly") {
  CHECK(parse_fixed("61737.63000000") == 6173763000000);
  CHECK(parse_fixed("0.00100000") == 100000);
  CHECK(parse_fixed("0.00000001") == 1);
  CHECK(parse_fixed("23143.82") == 2314382000000);
  CHECK(parse_fixed("5") == 500000000);
  CHECK(parse_fixed("-1.5") == -150000000);
  CHECK(parse_fixed("0.0") == 0);
  CHECK(parse_fixed(".5") == 50000000);
  CHECK(parse_fixed("1.1234567800000") == 112345678);  // extra zeros lose nothing
  CHECK(parse_fixed("100") == 10000000000);
  CHECK(parse_fixed("00012.5000") == 1250000000);
}

TEST_CASE("parse_fixed takes exponents when the value is exact (real kline volumes: 5.4e-05)") {
  CHECK(parse_fixed("5.4e-05") == 5400);
  CHECK(parse_fixed("1e-8") == 1);
  CHECK(parse_fixed("1E+2") == 10000000000);
  CHECK(parse_fixed("2.5e3") == 250000000000);
  CHECK(parse_fixed("0e5") == 0);
  CHECK_FALSE(parse_fixed("1e-9"));
  CHECK_FALSE(parse_fixed("1e"));
  CHECK_FALSE(parse_fixed("1e+"));
  CHECK_FALSE(parse_fixed("e5"));
  CHECK_FALSE(parse_fixed("1e20"));
  CHECK_FALSE(parse_fixed("1e99999"));
}

TEST_CASE("parse_fixed refuses what it cannot hold exactly") {
  CHECK_FALSE(parse_fixed("61837.630000001"));  // a ninth significant decimal
  CHECK_FALSE(parse_fixed(""));
  CHECK_FALSE(parse_fixed("-"));
  CHECK_FALSE(parse_fixed("."));
  CHECK_FALSE(parse_fixed("12a"));
  CHECK_FALSE(parse_fixed("1.2.3"));
  CHECK_FALSE(parse_fixed("92233720368.54775808"));  // INT64_MAX + 1 units
  CHECK(parse_fixed("92233720368.54775807") == std::numeric_limits<std::int64_t>::max());
  CHECK(parse_fixed("-92233720368.54775808") == std::numeric_limits<std::int64_t>::min());
  CHECK_FALSE(parse_fixed("99999999999999999999999999999999999999999"));
}

// parse_fixed reads plain decimals (an exchange's usual text, at most 18 digits) on a short
// path of its own; with an exponent, even "e0", it takes the general one. The two must
// agree on every text, valid or not, at every scale.
TEST_CASE("parse_fixed's plain-decimal path and its general path agree on random text, valid or not") {
  std::mt19937_64 rng(20261206);
  // Beside digits, what borders them: '/' and ':' (the codes on either side of the digits),
  // a letter, and bytes of 0xfa and up (which carry when the 8-at-a-time path adds 6).
  const std::string alphabet = std::string("0123456789000000.-+") + "/:?@ x" + '\xfa' + '\xff';
  std::uniform_int_distribution<std::size_t> length(0, 22), pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> zeros(0, 1);
  std::size_t valid = 0, compared = 0;
  for (int n = 0; n < 300000; ++n) {
    std::string text;
    const std::size_t len = length(rng);
    // Mostly sign, digits and one dot, as exchanges write them; now and then anything.
    if (n % 8 != 0) {
      if (zeros(rng) == 0 && n % 3 == 0) text += '-';
      std::uniform_int_distribution<std::size_t> dot_at(0, len);
      const std::size_t dot = dot_at(rng);
      for (std::size_t i = 0; i < len; ++i) {
        if (i == dot) text += '.';
        text += static_cast<char>('0' + rng() % 10);
      }
    } else {
      for (std::size_t i = 0; i < len; ++i) text += alphabet[pick(rng)];
    }
    for (int decimals : {0, 2, 8, 18}) {
      const auto plain = parse_fixed(text, decimals);
      const auto general = parse_fixed(text + "e0", decimals);
      CHECK_MESSAGE(plain == general, "\"" << text << "\" at " << decimals << " decimals");
      valid += plain.has_value();
      ++compared;
    }
  }
  CHECK(valid > compared / 4);  // the valid side is well covered too
  // Edges: 18 and 19 digits (the short path's limit), the int64 limits at scale 0.
  for (const std::string text : {"999999999999999999", "9999999999999999999", "-9223372036854775808",
                                 "9223372036854775807", "9223372036854775808", "0.000000000000000001",
                                 "000000000000000000.5", "1.", "-.5", "+7"})
    for (int decimals : {0, 8, 18}) CHECK_MESSAGE(parse_fixed(text, decimals) == parse_fixed(text + "e0", decimals), text);
}

TEST_CASE("format_fixed prints the exact value, trailing zeros trimmed") {
  CHECK(format_fixed(6173763000000) == "61737.63");
  CHECK(format_fixed(1) == "0.00000001");
  CHECK(format_fixed(0) == "0");
  CHECK(format_fixed(-150000000) == "-1.5");
  CHECK(format_fixed(500000000) == "5");
  CHECK(format_fixed(std::numeric_limits<std::int64_t>::min()) == "-92233720368.54775808");
  for (std::int64_t v : {std::int64_t{1}, std::int64_t{123456789012}, std::int64_t{-42}, std::int64_t{100000000}})
    CHECK(parse_fixed(format_fixed(v)) == v);
}

TEST_CASE("mul_fixed multiplies in 128 bits") {
  // 61737.63 * 2.5 = 154344.075
  CHECK(mul_fixed(6173763000000, 250000000) == 15434407500000);
  // would overflow 64 bits in the intermediate product
  CHECK(mul_fixed(9000000000000000, 900000000) == 81000000000000000);
}

TEST_CASE("UTC time formatting and parsing agree") {
  CHECK(format_utc_ns(1723161253937085768) == "2024-08-08T23:54:13.937085768Z");
  CHECK(format_utc_ns(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(format_utc_ms(1677628860000) == "2023-03-01T00:01:00.000Z");
  CHECK(format_utc_ms(1723161253937) == "2024-08-08T23:54:13.937Z");
  CHECK(parse_time_ns("2024-08-08T23:54:13.937085768Z") == 1723161253937085768);
  CHECK(parse_time_ns("2024-08-08T23:54:13Z") == 1723161253000000000);
  CHECK(parse_time_ns("2024-08-08") == 1723075200000000000);
  CHECK(parse_time_ns("1723161253937085768") == 1723161253937085768);
  CHECK_FALSE(parse_time_ns("2024-13-01"));
  CHECK_FALSE(parse_time_ns("yesterday"));
  CHECK_FALSE(parse_time_ns("2024-08-08T25:00"));
}

TEST_CASE("checked fixed-point arithmetic says when a result does not fit instead of wrapping") {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  CHECK(mul_fixed_checked(max, kFixedScale) == max);
  CHECK_FALSE(mul_fixed_checked(max, kFixedScale + 1).has_value());
  CHECK(mul_fixed_checked(-max, kFixedScale) == -max);
  CHECK(div_fixed_checked(100, 1) == 100 * kFixedScale);
  CHECK_FALSE(div_fixed_checked(max / 2, 1).has_value());  // a budget over a near-zero price
  CHECK_FALSE(div_fixed_checked(1, 0).has_value());
  CHECK(add_checked(max - 1, 1) == max);
  CHECK_FALSE(add_checked(max, 1).has_value());
  CHECK_FALSE(add_checked(std::numeric_limits<std::int64_t>::min(), -1).has_value());
}
