#include "alerts/channel.hpp"

#include <fmt/format.h>

#include "messages/message_json.hpp"

namespace trader::alerts {
namespace {

// https://HOST[:PORT]/PATH, split. The error names the channel, never the URL.
Result<Post> split_url(const std::string& url, ChannelKind kind) {
  constexpr std::string_view scheme = "https://";
  const auto bad = [&] {
    return fail(fmt::format("the {} channel's URL is not https://HOST[:PORT]/PATH (it is not shown: it is a secret)",
                            channel_name(kind)));
  };
  if (url.rfind(scheme, 0) != 0) return bad();
  const auto slash = url.find('/', scheme.size());
  const std::string authority = url.substr(scheme.size(), slash == std::string::npos ? std::string::npos : slash - scheme.size());
  Post p;
  const auto colon = authority.rfind(':');
  p.host = authority.substr(0, colon);
  p.port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
  p.target = slash == std::string::npos ? "/" : url.substr(slash);
  if (p.host.empty() || p.port.empty() || p.port.find_first_not_of("0123456789") != std::string::npos) return bad();
  return p;
}

// Chat channels cap a message's length (Discord 2000 characters, Telegram 4096).
std::string capped(std::string text, std::size_t max) {
  if (text.size() > max) text = text.substr(0, max - 3) + "...";
  return text;
}

}  // namespace

std::string_view channel_name(ChannelKind k) {
  switch (k) {
    case ChannelKind::slack: return "slack";
    case ChannelKind::discord: return "discord";
    case ChannelKind::telegram: return "telegram";
    case ChannelKind::webhook: return "webhook";
  }
  return "?";
}

Result<Post> make_post(const ChannelConfig& channel, const Alert& alert, std::string_view node_id) {
  const std::string line = fmt::format("[{}] {}: {}", severity_name(alert.severity), node_id, alert.text);
  std::string url = channel.url;
  if (channel.kind == ChannelKind::telegram) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    url += "/bot" + channel.token + "/sendMessage";
  }
  auto post = split_url(url, channel.kind);
  if (!post) return post;
  switch (channel.kind) {
    case ChannelKind::slack: post->body = fmt::format(R"({{"text":{}}})", to_json_string(line)); break;
    case ChannelKind::discord: post->body = fmt::format(R"({{"content":{}}})", to_json_string(capped(line, 2000))); break;
    case ChannelKind::telegram:
      post->body = fmt::format(R"({{"chat_id":{},"text":{}}})", to_json_string(channel.chat_id),
                               to_json_string(capped(line, 4096)));
      break;
    case ChannelKind::webhook:
      post->body = fmt::format(R"({{"node":{},"severity":"{}","kind":{},"text":{},"seq":{},"time_ns":{}}})",
                               to_json_string(node_id), severity_name(alert.severity), to_json_string(alert.kind),
                               to_json_string(alert.text), alert.seq, alert.time_ns);
      break;
  }
  return post;
}

bool RateLimit::admit(std::int64_t now_ns) {
  if (max_ == 0) return true;
  while (!sent_.empty() && now_ns - sent_.front() >= 60'000'000'000) sent_.pop_front();
  if (sent_.size() >= max_) {
    ++suppressed_;
    ++suppressed_total_;
    return false;
  }
  sent_.push_back(now_ns);
  return true;
}

}  // namespace trader::alerts
