#pragma once
// What deserves a notification, decided from committed journal records alone: a pure
// class (no clock, no I/O), so the same journal always raises the same alerts, and the
// node's shell only carries them to the channels (alerts/alert_sender.hpp).
//
// Raised on: HALTED and REDUCING (and back to ACTIVE), venue errors and rate-limit waits,
// a feed down longer than `feed_down_after_s` (judged by the times of its own journaled
// reconnection attempts, or the clock ticks),
// a failed feed, the journal running out of room, a perpetual position liquidated by the
// venue, fills (optional), and a daily summary of the portfolio at each day boundary of
// the data (UTC) and at the end.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/portfolio/day_book.hpp"
#include "messages/message_types.hpp"

namespace trader::alerts {

enum class Severity : std::uint8_t { info = 0, warning, critical };
std::string_view severity_name(Severity s);  // "info", "warning", "critical"

struct Alert {
  Severity severity = Severity::info;
  std::string kind;  // halted, reducing, active, venue_error, rate_limited, feed_down, feed_back, feed_failed,
                     // journal_near_full, liquidated, fill, daily_summary, session_failed
  std::string text;  // one line for a person
  std::uint64_t seq = 0;  // the record that raised it (0: not a record)
  std::int64_t time_ns = 0;  // the data time it refers to
  bool operator==(const Alert&) const = default;
};

struct AlertRulesConfig {
  bool fills = false;          // a notice per fill
  bool daily_summary = true;   // a summary at each UTC day boundary of the data, and at the end
  std::int64_t feed_down_after_s = 60;
};

class AlertRules {
 public:
  // A stream reported disconnected: since when (data time), and whether that was announced.
  struct Down {
    std::int64_t since_ns = 0;
    bool announced = false;
    bool operator==(const Down&) const = default;
  };
  // All the rules remember between records, so that they can resume where they were
  // (the projection keeps it with its progress: projection/alert_state.hpp).
  struct State {
    TradingState trading = TradingState::active;
    std::map<std::string, Down> down;  // by stream
    bool space_low = false;
    DayBook::State days;
  };

  explicit AlertRules(AlertRulesConfig config) : config_(config) {}
  AlertRules(AlertRulesConfig config, State state)
      : config_(config), trading_(state.trading), down_(std::move(state.down)), space_low_(state.space_low),
        days_(std::move(state.days)) {}
  State state() const { return {trading_, down_, space_low_, days_.state()}; }

  // The message types on_record reads (the shell decodes only these for it).
  static bool wants(std::uint16_t type_id);

  // A record the journal committed, in seq order.
  void on_record(std::uint64_t seq, const Message& message, std::vector<Alert>& out);
  // Room left in the journal after a commit; trading halts below `min_free_bytes`.
  void on_journal_space(std::uint64_t left_bytes, std::uint64_t min_free_bytes, std::int64_t time_ns,
                        std::vector<Alert>& out);
  // The session ends, for `reason` ("completed", "stopped by signal", "error: ..."): the
  // summary of the day under way, and a critical alert when it ended in failure.
  void on_end(std::string_view reason, bool failed, std::vector<Alert>& out);

 private:
  void day_summary(const DayResult& day, bool partial, std::vector<Alert>& out) const;

  void announce_if_long(const std::string& stream, Down& d, std::uint64_t seq, std::int64_t now_ns,
                        std::vector<Alert>& out) const;

  AlertRulesConfig config_;
  TradingState trading_ = TradingState::active;
  std::map<std::string, Down> down_;
  bool space_low_ = false;
  DayBook days_;  // the portfolio by UTC day of the data
};

}  // namespace trader::alerts
