#include "exchange/net/https_client.hpp"

#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>

#include "exchange/net/tls.hpp"

namespace trader::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<HttpsUrl> parse_https_url(const std::string& url) {
  constexpr std::string_view scheme = "https://";
  if (url.rfind(scheme, 0) != 0) return fail(fmt::format("{}: expected https://HOST[:PORT]", url));
  std::string authority = url.substr(scheme.size());
  if (const auto slash = authority.find('/'); slash != std::string::npos) {
    if (slash + 1 != authority.size()) return fail(fmt::format("{}: expected https://HOST[:PORT] without a path", url));
    authority.resize(slash);
  }
  HttpsUrl u;
  const auto colon = authority.rfind(':');
  u.host = authority.substr(0, colon);
  u.port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
  if (u.host.empty() || u.port.empty()) return fail(fmt::format("{}: expected https://HOST[:PORT]", url));
  return u;
}

struct HttpsClient::Impl {
  HttpsUrl url;
  asio::io_context io;
  asio::ssl::context tls;
  std::chrono::milliseconds timeout;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;  // empty: not connected
  std::chrono::steady_clock::time_point last_used;
  beast::flat_buffer buffer;

  Impl(HttpsUrl u, asio::ssl::context&& ctx, std::chrono::milliseconds t)
      : url(std::move(u)), tls(std::move(ctx)), timeout(t) {}

  // Runs one asynchronous step to completion; tcp_stream's expiry bounds it.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code ec;
    bool done = false;
    start([&](beast::error_code e, auto&&...) {
      ec = e;
      done = true;
    });
    io.restart();
    while (!done && io.run_one() > 0) {
    }
    return done ? ec : beast::error_code(asio::error::operation_aborted);
  }

  std::string where() const { return fmt::format("https://{}:{}", url.host, url.port); }

  Status connect() {
    stream.reset();
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return fail(fmt::format("{}: cannot resolve: {}", where(), ec.message()));
    stream.emplace(io, tls);
    auto& layer = beast::get_lowest_layer(*stream);
    layer.expires_after(timeout);
    ec = run([&](auto&& h) { layer.async_connect(endpoints, h); });
    if (ec) return fail(fmt::format("{}: cannot connect: {}", where(), ec.message()));
    // SNI, and the certificate must name the host we asked for.
    SSL_set_tlsext_host_name(stream->native_handle(), url.host.c_str());
    stream->set_verify_callback(asio::ssl::host_name_verification(url.host));
    layer.expires_after(timeout);
    ec = run([&](auto&& h) { stream->async_handshake(asio::ssl::stream_base::client, h); });
    if (ec) return fail(fmt::format("{}: TLS handshake failed: {}", where(), ec.message()));
    return {};
  }
};

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::~HttpsClient() = default;
const HttpsUrl& HttpsClient::url() const { return impl_->url; }

Result<std::unique_ptr<HttpsClient>> HttpsClient::create(const std::string& url, const std::string& ca_file,
                                                         std::chrono::milliseconds timeout) {
  auto parsed = parse_https_url(url);
  if (!parsed) return tl::unexpected(parsed.error());
  return create(*parsed, ca_file, timeout);
}

Result<std::unique_ptr<HttpsClient>> HttpsClient::create(const HttpsUrl& url, const std::string& ca_file,
                                                         std::chrono::milliseconds timeout) {
  auto ctx = client_context(ca_file);
  if (!ctx) return tl::unexpected(ctx.error());
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::make_unique<Impl>(url, std::move(*ctx), timeout)));
}

HttpOutcome HttpsClient::send(const HttpRequest& request) {
  auto& im = *impl_;
  HttpOutcome out;
  // A connection idle this long may have been closed by the server: a request written
  // into it would be lost without an answer, so start afresh instead.
  if (im.stream && std::chrono::steady_clock::now() - im.last_used > std::chrono::seconds(20)) im.stream.reset();
  if (!im.stream) {
    if (auto st = im.connect(); !st) {
      out.kind = HttpOutcome::Kind::not_sent;
      out.error = st.error().message;
      return out;
    }
  }
  http::request<http::string_body> req{http::string_to_verb(request.method), request.target, 11};
  req.set(http::field::host, im.url.host_header());
  req.set(http::field::user_agent, "trader-node/0.1");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  if (!request.body.empty()) {
    if (req.find(http::field::content_type) == req.end())  // a form, unless the caller says otherwise
      req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = request.body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  auto& layer = beast::get_lowest_layer(*im.stream);
  layer.expires_after(im.timeout);
  auto ec = im.run([&](auto&& h) { http::async_write(*im.stream, req, h); });
  if (ec) {
    im.stream.reset();
    out.kind = HttpOutcome::Kind::no_answer;  // part of it may have left
    out.error = fmt::format("{}: sending {} failed: {}", im.where(), request.method, ec.message());
    return out;
  }
  http::response<http::string_body> res;
  im.buffer.clear();
  layer.expires_after(im.timeout);
  ec = im.run([&](auto&& h) { http::async_read(*im.stream, im.buffer, res, h); });
  if (ec) {
    im.stream.reset();
    out.kind = HttpOutcome::Kind::no_answer;
    out.error = fmt::format("{}: no answer to {}: {}", im.where(), request.method,
                            ec == beast::error::timeout ? "timed out" : ec.message());
    return out;
  }
  im.last_used = std::chrono::steady_clock::now();
  out.kind = HttpOutcome::Kind::answered;
  out.response.status = static_cast<int>(res.result_int());
  out.response.body = std::move(res.body());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.response.headers[name] = std::string(field.value());
  }
  if (!res.keep_alive()) im.stream.reset();
  return out;
}

}  // namespace trader::net
