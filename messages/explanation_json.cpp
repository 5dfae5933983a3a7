#include "messages/explanation_json.hpp"

#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "messages/enum_names.hpp"
#include "messages/fixed_point.hpp"
#include "messages/message_json.hpp"
#include "messages/risk_limits.hpp"

namespace trader {
namespace {

std::string_view unit_name(LimitUnit u) {
  switch (u) {
    case LimitUnit::quote: return "quote";
    case LimitUnit::base: return "base";
    case LimitUnit::price: return "price";
    case LimitUnit::ppm: return "ppm";
    case LimitUnit::count: return "count";
  }
  return "unknown";
}

std::string number(RiskLimit limit, const std::optional<std::int64_t>& v) {
  if (!v) return "null";  // a headroom beyond 64 bits
  const auto u = limit_unit(limit);
  return u == LimitUnit::ppm || u == LimitUnit::count ? std::to_string(*v) : to_json_string(format_fixed(*v));
}

}  // namespace

std::string values_json(const std::vector<SignalValue>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ",";
    out += to_json_string(values[i].name);
    out += ":";
    append_json_number(out, values[i].value);
  }
  return out + "}";
}

std::string checks_json(const std::vector<LimitCheck>& checks) {
  std::string out = "[";
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& c = checks[i];
    fmt::format_to(std::back_inserter(out),
                   R"({}{{"limit":"{}","unit":"{}","value":{},"bound":{},"headroom":{},"floor":{},"within":{}}})",
                   i ? "," : "", enum_name(c.limit), unit_name(limit_unit(c.limit)), number(c.limit, c.value),
                   number(c.limit, c.bound), number(c.limit, headroom(c)), limit_is_floor(c.limit), c.within);
  }
  return out + "]";
}

std::string votes_json(const std::vector<StrategyVote>& votes) {
  std::string out = "[";
  for (std::size_t i = 0; i < votes.size(); ++i)
    fmt::format_to(std::back_inserter(out), R"({}{{"strategy_id":{},"direction":"{}","confidence_ppm":{}}})",
                   i ? "," : "", to_json_string(votes[i].strategy_id), enum_name(votes[i].direction),
                   votes[i].confidence_ppm);
  return out + "]";
}

}  // namespace trader
