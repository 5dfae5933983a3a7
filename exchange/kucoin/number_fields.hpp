#pragma once
// Reading KuCoin's numbers (frames and REST answers alike): sequences and times as JSON
// numbers or digit strings, decimals as strings or JSON numbers (KuCoin Futures writes
// marks, rates, multipliers and many REST fields as numbers), sizes in lots of a contract.
// JsonFields' rules: each reader returns false and keeps the first failure, naming the field.
// Internal to exchange/kucoin.
#include <charconv>
#include <cstdint>
#include <string_view>

#include <simdjson.h>

#include "exchange/json_fields.hpp"
#include "messages/fixed_point.hpp"

namespace trader::kucoin {

struct NumberFields : JsonFields {
  static constexpr std::int64_t kYear10000Ms = 253'402'300'800'000;

  // Sequences and millisecond times come as numbers (or, in REST answers, digit strings).
  bool number(simdjson::dom::object o, std::string_view key, std::uint64_t& out) {
    if (o[key].get_uint64().get(out) == simdjson::SUCCESS) return true;
    std::string_view v;
    if (o[key].get_string().get(v) == simdjson::SUCCESS) return digits(o, key, out);
    return fail(key, "missing or not an unsigned integer");
  }
  bool time_ms(simdjson::dom::object o, std::string_view key, std::int64_t& out) {
    std::uint64_t ms = 0;
    if (!number(o, key, ms)) return false;
    if (ms >= static_cast<std::uint64_t>(kYear10000Ms)) return fail(key, "not a time in milliseconds before 9999");
    out = static_cast<std::int64_t>(ms);
    return true;
  }
  // A decimal KuCoin Futures writes as a JSON number (markPrice 90445.02, multiplier 0.001)
  // or a string: a number is read back as the shortest decimal that is the same double,
  // which is the text KuCoin wrote (at most 15 significant digits), then exactly as text.
  bool decimal(simdjson::dom::object o, std::string_view key, std::int64_t& out) {
    std::string_view text;
    if (o[key].get_string().get(text) == simdjson::SUCCESS) return fixed(key, text, out);
    std::int64_t whole = 0;
    if (o[key].get_int64().get(whole) == simdjson::SUCCESS) {
      const auto v = narrow_checked(static_cast<__int128>(whole) * 100'000'000);
      if (!v) return fail(key, "beyond 64-bit fixed point");
      out = *v;
      return true;
    }
    double d = 0;
    if (o[key].get_double().get(d) != simdjson::SUCCESS) return fail(key, "missing or not a number");
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    if (ec != std::errc{}) return fail(key, "beyond 64-bit fixed point");
    return fixed(key, std::string_view(buf, static_cast<std::size_t>(end - buf)), out);
  }
  // A size in lots (a whole JSON number) times the contract's multiplier: base units. A
  // position's size is signed (short: below zero); anything else may not be.
  bool lots(simdjson::dom::object o, std::string_view key, std::int64_t multiplier, std::int64_t& out,
            bool may_be_negative = false) {
    std::int64_t n = 0;
    if (o[key].get_int64().get(n) != simdjson::SUCCESS || (n < 0 && !may_be_negative))
      return fail(key, "missing or not a whole number of lots");
    const auto qty = narrow_checked(static_cast<__int128>(n) * multiplier);
    if (!qty) return fail(key, "beyond 64-bit fixed point");
    out = *qty;
    return true;
  }
};

}  // namespace trader::kucoin
