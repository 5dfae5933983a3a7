#pragma once
// The node's alerts: the rules (alerts/alert_rules.hpp) watch each record as it is
// journaled; what they raise is handed to the channels only once the journal has
// committed it, and the channels send on their own threads (alerts/alert_sender.hpp).
#include <memory>
#include <vector>

#include "alerts/alert_rules.hpp"
#include "alerts/alert_sender.hpp"
#include "base/result.hpp"
#include "config/node_config.hpp"

namespace trader::node {

class NodeAlerts {
 public:
  // The channels the config turns on, their secrets read from the environment; nullptr
  // when none is on. Fails, naming the key, when a named variable is unset or its URL is
  // not https.
  static Result<std::unique_ptr<NodeAlerts>> create(const NodeConfig& config);

  bool wants(std::uint16_t type_id) const { return alerts::AlertRules::wants(type_id); }
  // A record appended to the journal (not yet committed).
  void on_record(std::uint64_t seq, const Message& message) { rules_.on_record(seq, message, pending_); }
  // The journal committed everything appended so far: its alerts go out.
  void on_commit();
  void on_journal_space(std::uint64_t left_bytes, std::uint64_t min_free_bytes, std::int64_t time_ns);
  // The session ended (after its last commit, which `committed` says succeeded): the
  // day's summary goes out, and a failure is announced.
  void on_end(bool committed, std::string_view reason, bool failed);
  // Gives the channels up to one attempt's timeout to send what is queued, then stops them.
  void stop();

 private:
  NodeAlerts(const NodeConfig& config, std::vector<alerts::ChannelConfig> channels);

  alerts::AlertRules rules_;
  alerts::AlertSender sender_;
  std::chrono::milliseconds grace_;
  std::vector<alerts::Alert> pending_;  // raised by records not yet committed
};

}  // namespace trader::node
