#include "actors/node/node_alerts.hpp"

#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace trader::node {

Result<std::unique_ptr<NodeAlerts>> NodeAlerts::create(const NodeConfig& config) {
  using alerts::ChannelKind;
  const auto& a = config.alerts;
  std::vector<alerts::ChannelConfig> channels;
  std::string on;
  for (auto [kind, ch] : {std::pair{ChannelKind::slack, &a.slack}, std::pair{ChannelKind::discord, &a.discord},
                          std::pair{ChannelKind::telegram, &a.telegram}, std::pair{ChannelKind::webhook, &a.webhook}}) {
    if (ch->secret_env.empty()) continue;
    const std::string key = fmt::format("alerts.{}.{}", alerts::channel_name(kind),
                                        kind == ChannelKind::telegram ? "token_env" : "url_env");
    const char* secret = std::getenv(ch->secret_env.c_str());
    if (secret == nullptr || *secret == '\0')
      return fail(fmt::format("{}: the environment variable {} is not set", key, ch->secret_env));
    alerts::ChannelConfig c;
    c.kind = kind;
    if (kind == ChannelKind::telegram) {
      c.url = ch->api_url;
      c.token = secret;
      c.chat_id = ch->chat_id;
    } else {
      c.url = secret;
    }
    c.min_severity = ch->min_severity;
    c.max_per_minute = static_cast<std::uint32_t>(ch->max_per_minute);
    // The URL is checked now, not at the first alert (the error does not quote it).
    if (auto post = alerts::make_post(c, alerts::Alert{}, config.node_id); !post)
      return fail(fmt::format("{} (${}): {}", key, ch->secret_env, post.error().message));
    on += fmt::format("{}{} ({} and above, {})", on.empty() ? "" : ", ", alerts::channel_name(kind),
                      alerts::severity_name(c.min_severity),
                      c.max_per_minute == 0 ? std::string("no rate limit") : fmt::format("at most {} a minute", c.max_per_minute));
    channels.push_back(std::move(c));
  }
  if (channels.empty()) return std::unique_ptr<NodeAlerts>();
  spdlog::info("alerts to {}", on);
  return std::unique_ptr<NodeAlerts>(new NodeAlerts(config, std::move(channels)));
}

NodeAlerts::NodeAlerts(const NodeConfig& config, std::vector<alerts::ChannelConfig> channels)
    : rules_(config.alerts.rules),
      sender_(std::move(channels),
              alerts::SenderOptions{config.node_id, config.alerts.ca_file, std::chrono::milliseconds(config.alerts.timeout_ms)}),
      grace_(config.alerts.timeout_ms) {}

void NodeAlerts::on_commit() {
  if (pending_.empty()) return;
  sender_.post(pending_);
  pending_.clear();
}

void NodeAlerts::on_journal_space(std::uint64_t left_bytes, std::uint64_t min_free_bytes, std::int64_t time_ns) {
  std::vector<alerts::Alert> raised;
  rules_.on_journal_space(left_bytes, min_free_bytes, time_ns, raised);
  sender_.post(raised);
}

void NodeAlerts::on_end(bool committed, std::string_view reason, bool failed) {
  if (committed) on_commit();
  pending_.clear();  // raised by records the journal lost: not announced
  std::vector<alerts::Alert> raised;
  rules_.on_end(reason, failed, raised);
  sender_.post(raised);
}

void NodeAlerts::stop() { sender_.stop(grace_); }

}  // namespace trader::node
