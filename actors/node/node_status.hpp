#pragma once
// What the control API shows: a view built from the messages the sequencer journals (so it
// is exactly what the journal says), plus journal commit and tick-to-order latencies.
// Renders /status as JSON and /metrics in the Prometheus text exposition format.
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "messages/message_types.hpp"

namespace trader::node {

class Histogram {
 public:
  void add(double seconds);
  // Appends `name`_bucket/_sum/_count lines (cumulative buckets, +Inf last).
  void render(std::string& out, const std::string& name, const std::string& help) const;

 private:
  static constexpr std::array<double, 12> kBounds = {1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4,
                                                     2.5e-4, 1e-3, 1e-2, 0.1,  1.0,  10.0};
  std::array<std::uint64_t, kBounds.size()> counts_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// The risk limits the dashboard shows each one's use of (from the node's RiskConfig).
struct RiskLimits {
  std::int64_t max_daily_loss = 0;  // quote asset, fixed point
  std::uint32_t max_drawdown_ppm = 0, max_orders_per_minute = 0, max_trades_per_day = 0, max_open_positions = 0;
};

class NodeStatus {
 public:
  NodeStatus(std::string node_id, std::string model_id, std::uint64_t session_id)
      : node_id_(std::move(node_id)), model_id_(std::move(model_id)), session_id_(session_id) {}

  // Every journaled message; `body` is its decoded form when the view needs it, else null.
  void on_message(std::uint64_t seq, std::uint16_t type_id, const Message* body);
  // A resumed node starts from the state recovery rebuilt, not from an empty view; the
  // counters (messages, rejects, errors) are this process's.
  void restore(std::uint64_t last_seq, const PortfolioState& portfolio, const RiskState& risk,
               std::map<std::string, OrderRequest> open_orders);
  void on_commit(double seconds) { commit_.add(seconds); }
  void on_tick_to_order(double seconds) { tick_to_order_.add(seconds); }
  void set_queues(std::size_t internal, std::size_t external, std::size_t uncommitted) {
    internal_ = internal;
    external_ = external;
    uncommitted_ = uncommitted;
  }
  void set_feed_done(bool done) { feed_done_ = done; }
  void set_journal_space(std::uint64_t left_bytes) { journal_free_ = left_bytes; }
  void set_order_mode(std::string mode) { order_mode_ = std::move(mode); }
  void set_limits(const RiskLimits& limits) { limits_ = limits; }

  std::string status_json() const;
  // What the dashboard draws (GET /dashboard.json and each /events message): /status and
  // /health as they are, each risk limit's use, the latest risk decisions, and the equity
  // curve (at most kEquityPoints points, evenly thinned, the latest state last).
  std::string dashboard_json() const;
  static constexpr std::size_t kDecisions = 30, kEquityPoints = 600;
  std::string metrics_text() const;
  std::string health_json() const;

  // Which message types the view decodes (the sequencer decodes only these for it).
  static bool wants(std::uint16_t type_id);

 private:
  void on_portfolio(const PortfolioState& p);

  std::string node_id_, model_id_;
  std::uint64_t session_id_;
  std::uint64_t last_seq_ = 0;
  std::map<std::uint16_t, std::uint64_t> messages_;  // by type id
  std::map<std::string, std::uint64_t> rejects_;     // by reason code
  std::map<std::string, OrderRequest> open_orders_;  // by client order id
  PortfolioState portfolio_;
  // Testnet and live: the account the session started from, and the held symbols the
  // portfolio has not valued yet (until their first price).
  std::optional<AccountBalances> start_account_;
  std::set<std::string> awaiting_price_;
  bool have_portfolio_ = false;
  std::int64_t day_ = -1, day_start_pnl_ = 0;
  static std::int64_t pnl(const PortfolioState& p);
  RiskState risk_;
  FeedStatus feed_;
  bool have_feed_ = false, feed_done_ = false;
  std::uint64_t gaps_ = 0;
  std::size_t internal_ = 0, external_ = 0, uncommitted_ = 0;
  std::uint64_t journal_free_ = 0;  // bytes the journal may still grow by
  std::string order_mode_ = "paper";
  std::map<std::string, std::uint64_t> venue_errors_;  // the venue gateway's error records, by code
  std::string last_venue_error_;
  Histogram commit_, tick_to_order_;
  RiskLimits limits_;
  struct DecisionRow {
    std::uint64_t seq;
    RiskDecision decision;
  };
  std::deque<DecisionRow> decisions_;  // the latest first
  struct EquityPoint {
    std::int64_t ts_ms, equity;
    std::uint32_t drawdown_ppm;
  };
  std::vector<EquityPoint> equity_;      // one point per equity_step_ms of data time, at most kEquityPoints
  std::int64_t equity_step_ms_ = 60'000;  // doubles whenever the curve would grow past kEquityPoints
};

}  // namespace trader::node
