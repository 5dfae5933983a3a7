#include "projection/alert_state.hpp"

#include <span>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/hex.hpp"
#include "messages/message_codec.hpp"
#include "messages/message_json.hpp"

namespace trader::projection {
namespace {

constexpr std::int64_t kFormat = 1;

void append_portfolio(std::string& out, const PortfolioState& p) {
  out += '"';
  append_hex(out, encode_body_packed(Message{p}));
  out += '"';
}

Result<PortfolioState> read_portfolio(std::string_view hex) {
  std::string bytes;
  if (!from_hex(hex, bytes)) return fail("a portfolio state is not hex");
  auto m = decode_body_packed(PortfolioState::kTypeId,
                              std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  if (!m) return tl::unexpected(m.error());
  return std::get<PortfolioState>(std::move(*m));
}

}  // namespace

std::string encode_alert_state(const SavedAlerts& saved) {
  std::string out = fmt::format(R"({{"v":{},"at":{})", kFormat, saved.at_seq);
  if (const auto& s = saved.state) {
    const auto& r = s->rules;
    out += fmt::format(R"(,"session":{},"next":{},"ended":{},"trading":{},"space_low":{},"down":[)", s->session,
                       s->next, s->ended, static_cast<int>(r.trading), r.space_low);
    bool first = true;
    for (const auto& [stream, d] : r.down) {
      out += first ? "[" : ",[";
      first = false;
      append_json_string(out, stream);
      out += fmt::format(",{},{}]", d.since_ns, d.announced);
    }
    out += "]";
    if (const auto& day = r.days.day) {
      out += fmt::format(R"(,"day":{{"day":{},"start_net":{},"max_drawdown_ppm":{},"last_seq":{},"last":)", day->day,
                         day->start_net, day->max_drawdown_ppm, day->last_seq);
      append_portfolio(out, day->last);
      out += R"(,"first":)";
      append_portfolio(out, r.days.first);
      out += "}";
    }
  }
  return out + "}";
}

Result<SavedAlerts> decode_alert_state(std::string_view text) {
  SavedAlerts saved;
  try {
    simdjson::dom::parser parser;
    const simdjson::dom::object doc = parser.parse(text.data(), text.size()).get_object();
    if (std::int64_t(doc["v"]) != kFormat) return fail(fmt::format("format {} (this build reads {})", std::int64_t(doc["v"]), kFormat));
    saved.at_seq = std::uint64_t(doc["at"]);
    simdjson::dom::element session;
    if (doc["session"].get(session) == simdjson::NO_SUCH_FIELD) return saved;
    SessionAlerts::State s;
    s.session = std::uint64_t(session);
    s.next = std::uint64_t(doc["next"]);
    s.ended = bool(doc["ended"]);
    const std::int64_t trading = doc["trading"];
    if (trading < 0 || trading > static_cast<int>(TradingState::halted)) return fail(fmt::format("trading state {}", trading));
    s.rules.trading = static_cast<TradingState>(trading);
    s.rules.space_low = bool(doc["space_low"]);
    for (simdjson::dom::array d : simdjson::dom::array(doc["down"])) {
      if (d.size() != 3) return fail("a down stream is not [stream, since_ns, announced]");
      s.rules.down[std::string(std::string_view(d.at(0)))] = {std::int64_t(d.at(1)), bool(d.at(2))};
    }
    simdjson::dom::object day;
    if (doc["day"].get(day) != simdjson::NO_SUCH_FIELD) {
      DayResult r;
      r.day = day["day"];
      r.start_net = day["start_net"];
      const std::uint64_t dd = day["max_drawdown_ppm"];
      if (dd > UINT32_MAX) return fail(fmt::format("max_drawdown_ppm {}", dd));
      r.max_drawdown_ppm = static_cast<std::uint32_t>(dd);
      r.last_seq = day["last_seq"];
      auto last = read_portfolio(std::string_view(day["last"]));
      if (!last) return tl::unexpected(last.error());
      r.last = std::move(*last);
      auto first = read_portfolio(std::string_view(day["first"]));
      if (!first) return tl::unexpected(first.error());
      s.rules.days = {std::move(r), std::move(*first)};
    }
    saved.state = std::move(s);
  } catch (const simdjson::simdjson_error& e) {
    return fail(fmt::format("not a state this build wrote: {}", e.what()));
  }
  return saved;
}

}  // namespace trader::projection
