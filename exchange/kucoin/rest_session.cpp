#include "exchange/kucoin/rest_session.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "base/wall_clock.hpp"
#include "credentials/kucoin_sign.hpp"
#include "exchange/net/https_client.hpp"

namespace trader::kucoin {

Result<std::unique_ptr<RestSession>> RestSession::create(RestVenueOptions options) {
  if (options.credentials.passphrase.empty())
    return fail("a KuCoin key needs its API passphrase (KUCOIN_API_PASSPHRASE, or a key file made with --api-passphrase-env)");
  if (options.key_version != 2 && options.key_version != 3)
    return fail(fmt::format("KuCoin API key version {}: expected 2 or 3", options.key_version));
  auto http = net::HttpsClient::create(options.base_url, options.ca_file, options.timeout);
  if (!http) return tl::unexpected(http.error());
  std::unique_ptr<RestSession> session(new RestSession());
  session->options_ = std::move(options);
  session->http_ = std::move(*http);
  return session;
}

RestSession::~RestSession() = default;

VenueReply<simdjson::dom::element> RestSession::call(const char* method, const std::string& path,
                                                     const std::string& query, const std::string& body, bool signed_) {
  namespace dom = simdjson::dom;
  net::HttpRequest req;
  req.method = method;
  req.target = query.empty() ? path : path + "?" + query;
  if (!body.empty() || std::string_view(method) == "POST") req.headers["Content-Type"] = "application/json";
  if (signed_) {
    const auto h = credentials::kucoin_headers(options_.credentials, wall_ns() / 1'000'000 + offset_ms_, method,
                                               req.target, body, options_.key_version);
    req.headers["KC-API-KEY"] = h.key;
    req.headers["KC-API-SIGN"] = h.sign;
    req.headers["KC-API-TIMESTAMP"] = h.timestamp;
    req.headers["KC-API-PASSPHRASE"] = h.passphrase;
    req.headers["KC-API-KEY-VERSION"] = h.key_version;
  }
  req.body = body;
  auto out = http_->send(req);
  using K = net::HttpOutcome::Kind;
  if (out.kind == K::not_sent) return tl::unexpected(VenueFailure{VenueFailure::Kind::unavailable, 0, 0, out.error, 0});
  if (out.kind == K::no_answer) return tl::unexpected(VenueFailure{VenueFailure::Kind::unknown, 0, 0, out.error, 0});
  const auto& res = out.response;
  const auto limit = res.header("gw-ratelimit-limit"), remaining = res.header("gw-ratelimit-remaining");
  if (!limit.empty() && !remaining.empty())
    pool_used_ = std::max<std::int64_t>(0, std::strtoll(limit.c_str(), nullptr, 10) - std::strtoll(remaining.c_str(), nullptr, 10));
  dom::element doc;
  const bool json = !parser_.parse(simdjson::padded_string(res.body)).get(doc);
  std::string_view code_text, msg_text;
  // Absent or not text: empty (an answer without a code is no success).
  if (json && doc["code"].get_string().get(code_text) != simdjson::SUCCESS) code_text = {};
  if (json && doc["msg"].get_string().get(msg_text) != simdjson::SUCCESS) msg_text = {};
  const std::string code(code_text), msg(msg_text);
  int code_number = 0;
  std::from_chars(code.data(), code.data() + code.size(), code_number);
  if (res.status == 429 || code == "429000") {
    // The pool refills when it resets: nothing is sent before (at least a second when unsaid).
    const std::int64_t reset = std::strtoll(res.header("gw-ratelimit-reset").c_str(), nullptr, 10);
    return tl::unexpected(VenueFailure{VenueFailure::Kind::rate_limited, res.status, code_number,
                                       fmt::format("too many requests (KuCoin {}): {}", code, msg), reset > 0 ? reset : 1000});
  }
  if (res.status >= 200 && res.status < 300 && code == "200000") {
    dom::element data;
    if (doc["data"].get(data)) return tl::unexpected(unreadable_answer(fmt::format("{} {}: no data", method, path)));
    return data;
  }
  if (res.status >= 200 && res.status < 300 && !json)
    return tl::unexpected(unreadable_answer(fmt::format("{} {}: not JSON", method, path)));
  VenueFailure f;
  f.http_status = res.status;
  f.code = code_number;
  f.kind = res.status >= 500 ? VenueFailure::Kind::unknown : VenueFailure::Kind::rejected;
  f.message = code.empty() ? fmt::format("HTTP {}", res.status) : fmt::format("HTTP {} KuCoin {}: {}", res.status, code, msg);
  f.order_unknown = msg.find("not exist") != std::string::npos || msg.find("not_exist") != std::string::npos;
  return tl::unexpected(f);
}

VenueReply<std::int64_t> RestSession::sync_time() {
  const std::int64_t before = wall_ns() / 1'000'000;
  return call<std::int64_t>("GET", "/api/v1/timestamp", "", "", false, [&](simdjson::dom::element data) -> VenueReply<std::int64_t> {
    std::int64_t server = 0;
    if (data.get_int64().get(server)) return tl::unexpected(unreadable_answer("timestamp without a number"));
    const std::int64_t after = wall_ns() / 1'000'000;
    offset_ms_ = server - (before + after) / 2;
    return offset_ms_;
  });
}

}  // namespace trader::kucoin
