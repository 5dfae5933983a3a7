#pragma once
// A blocking HTTPS client for REST venues: one keep-alive TLS connection (SNI, certificate
// and host name verification), every step bounded by a timeout.
// What happened to a request matters to an order path, so the outcome says whether the
// request can have reached the server: `not_sent` (it cannot; safe to retry) or
// `no_answer` (it may have; look before resending).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "base/result.hpp"

namespace trader::net {

struct HttpsUrl {
  std::string host, port;  // https://host[:port]
  // The Host header (RFC 9110 7.2): the port only when it is not https' default, so a
  // server behind a non-default port (a testnet gateway, exchange-sim) sees where it was asked.
  std::string host_header() const { return port == "443" ? host : host + ":" + port; }
};
Result<HttpsUrl> parse_https_url(const std::string& url);

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  // Retry-After (seconds) in milliseconds, at least 1 s when given; 0 when absent (the
  // caller then backs off on its own, net::RateLimitWait).
  std::int64_t retry_after_ms() const {
    const auto after = header("retry-after");
    return after.empty() ? 0 : std::max<std::int64_t>(1, std::strtoll(after.c_str(), nullptr, 10)) * 1000;
  }
};

struct HttpOutcome {
  enum class Kind { answered, not_sent, no_answer } kind = Kind::not_sent;
  HttpResponse response;  // when answered
  std::string error;      // otherwise: what went wrong
};

struct HttpRequest {
  std::string method;  // GET, POST, DELETE, PUT
  std::string target;  // path?query
  std::string body;    // a form body (may be empty), unless headers give another Content-Type
  std::map<std::string, std::string> headers;
};

class HttpsClient {
 public:
  // `ca_file` empty: the system CA store.
  static Result<std::unique_ptr<HttpsClient>> create(const HttpsUrl& url, const std::string& ca_file,
                                                     std::chrono::milliseconds timeout);
  // The same from "https://host[:port]" (a venue's base URL).
  static Result<std::unique_ptr<HttpsClient>> create(const std::string& url, const std::string& ca_file,
                                                     std::chrono::milliseconds timeout);
  ~HttpsClient();
  HttpOutcome send(const HttpRequest& request);
  const HttpsUrl& url() const;

 private:
  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader::net
