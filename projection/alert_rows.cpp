#include "projection/alert_rows.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "alerts/session_end.hpp"
#include "base/time_format.hpp"

namespace trader::projection {

Result<alerts::AlertRulesConfig> alert_settings(std::uint64_t session_id, std::string_view config_toml) {
  alerts::AlertRulesConfig c;
  try {
    const toml::table cfg = toml::parse(config_toml);
    c.fills = cfg["alerts"]["fills"].value_or(c.fills);
    c.daily_summary = cfg["alerts"]["daily_summary"].value_or(c.daily_summary);
    c.feed_down_after_s = cfg["alerts"]["feed_down_after_s"].value_or(c.feed_down_after_s);
  } catch (const toml::parse_error& e) {
    return fail(fmt::format("session {}: its journaled config does not parse: {}", session_id, e.description()));
  }
  return c;
}

void SessionAlerts::put(const std::vector<alerts::Alert>& raised, std::vector<Row>* out) {
  for (const auto& a : raised) {
    const std::int64_t n = static_cast<std::int64_t>(next_++);
    if (!out) continue;
    out->push_back(Row{TableId::alerts,
                       {static_cast<std::int64_t>(session_), n,
                        a.seq ? Value(static_cast<std::int64_t>(a.seq)) : Value(Null{}), a.time_ns,
                        utc_day_of_ms(a.time_ns / 1'000'000), std::string(alerts::severity_name(a.severity)),
                        a.kind, a.text}});
  }
}

void SessionAlerts::on_record(std::uint64_t seq, const Message& message, std::vector<Row>* out) {
  std::vector<alerts::Alert> raised;
  rules_.on_record(seq, message, raised);
  put(raised, out);
}

void SessionAlerts::on_end(std::string_view end_reason, std::vector<Row>* out) {
  if (ended_) return;
  ended_ = true;
  std::vector<alerts::Alert> raised;
  rules_.on_end(end_reason, alerts::session_failed(end_reason), raised);
  put(raised, out);
}

}  // namespace trader::projection
