#pragma once
// The `alerts` table: what the node's alert rules (alerts/alert_rules.hpp) raise from a
// session's records, with the session's own [alerts] settings, whether or not the node had
// a channel to send them to. Alerts are numbered within their session, so projecting a
// record twice gives the same row. Only the room left in the journal is not a record, so
// its alert is not here.
#include <cstdint>
#include <string_view>
#include <vector>

#include "alerts/alert_rules.hpp"
#include "journal/journal.hpp"
#include "projection/rows.hpp"

namespace trader::projection {

// The rules' settings in a session's journaled config (the node's defaults for what it
// does not set). An error names the session when the config does not parse.
Result<alerts::AlertRulesConfig> alert_settings(std::uint64_t session_id, std::string_view config_toml);

class SessionAlerts {
 public:
  SessionAlerts(std::uint64_t session_id, alerts::AlertRulesConfig config) : session_(session_id), rules_(config) {}
  std::uint64_t session_id() const { return session_; }

  // All it remembers: resumed from, a restart reads none of the session's earlier records.
  struct State {
    std::uint64_t session = 0;
    std::uint64_t next = 0;
    bool ended = false;
    alerts::AlertRules::State rules;
  };
  SessionAlerts(alerts::AlertRulesConfig config, State s)
      : session_(s.session), rules_(config, std::move(s.rules)), next_(s.next), ended_(s.ended) {}
  State state() const { return {session_, next_, ended_, rules_.state()}; }

  // A record of the session, in seq order. The rows of what it raises go to `out`, or
  // nowhere while catching up on records already projected (`out` null).
  void on_record(std::uint64_t seq, const Message& message, std::vector<Row>* out);
  // The session ended (its journaled end reason): the summary of its last day, and a
  // critical alert when it failed. Once.
  void on_end(std::string_view end_reason, std::vector<Row>* out);
  bool ended() const { return ended_; }

 private:
  void put(const std::vector<alerts::Alert>& raised, std::vector<Row>* out);

  std::uint64_t session_;
  alerts::AlertRules rules_;
  std::uint64_t next_ = 0;  // the number of the session's next alert
  bool ended_ = false;
};

}  // namespace trader::projection
