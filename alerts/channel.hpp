#pragma once
// Where alerts go and what each channel is sent: Slack and Discord incoming webhooks, the
// Telegram Bot API's sendMessage, and a generic JSON webhook. Pure: the request to make,
// and whether a channel's rate limit lets an alert through at a given time.
//
// A channel's URL or bot token is a secret (whoever has it can post): it comes from the
// environment, and no error or log line here ever contains it.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "alerts/alert_rules.hpp"
#include "base/result.hpp"

namespace trader::alerts {

enum class ChannelKind : std::uint8_t { slack, discord, telegram, webhook };
std::string_view channel_name(ChannelKind k);

struct ChannelConfig {
  ChannelKind kind = ChannelKind::webhook;
  std::string url;      // slack, discord, webhook: the webhook URL; telegram: the API base (https://api.telegram.org)
  std::string token;    // telegram: the bot token
  std::string chat_id;  // telegram
  Severity min_severity = Severity::warning;
  std::uint32_t max_per_minute = 20;  // 0: no limit
};

// An HTTPS POST of a JSON body.
struct Post {
  std::string host, port, target, body;
};

// The request that carries `alert` from node `node_id` to the channel. Fails (without
// quoting the secret) when the URL is not https://HOST[:PORT]/PATH.
Result<Post> make_post(const ChannelConfig& channel, const Alert& alert, std::string_view node_id);

// At most `max_per_minute` alerts in any 60 s (wall time, passed in); what it holds back
// is counted, and the count is told with the next alert let through.
class RateLimit {
 public:
  explicit RateLimit(std::uint32_t max_per_minute) : max_(max_per_minute) {}
  bool admit(std::int64_t now_ns);
  // Alerts held back since the last one admitted (and reset to 0 by taking them).
  std::uint64_t take_suppressed() { return std::exchange(suppressed_, 0); }
  std::uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  std::uint32_t max_;
  std::deque<std::int64_t> sent_;  // times of the admitted alerts in the last 60 s
  std::uint64_t suppressed_ = 0, suppressed_total_ = 0;
};

}  // namespace trader::alerts
