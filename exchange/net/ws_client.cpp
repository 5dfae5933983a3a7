#include "exchange/net/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "exchange/net/tls.hpp"

namespace trader::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

Result<WsUrl> parse_wss_url(const std::string& url) {
  constexpr std::string_view scheme = "wss://";
  if (url.rfind(scheme, 0) != 0) return fail(fmt::format("{}: expected wss://HOST[:PORT]/PATH", url));
  const std::string rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  WsUrl u;
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  u.host = authority.substr(0, colon);
  u.port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
  if (u.host.empty() || u.port.empty()) return fail(fmt::format("{}: expected wss://HOST[:PORT]/PATH", url));
  return u;
}

struct WsClient::Impl {
  asio::io_context io;
  asio::ssl::context tls;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  std::chrono::seconds idle;
  Heartbeat heartbeat;
  std::uint64_t pings = 0;
  std::chrono::steady_clock::time_point next_ping{}, awaiting_since{};
  bool awaiting = false;   // a ping is sent and nothing has arrived since
  bool writing = false;    // a ping is on its way
  std::string ping_text;   // ...and its frame lives here until written
  Impl(asio::ssl::context&& ctx, std::chrono::seconds idle_timeout)
      : tls(std::move(ctx)), ws(io, tls), idle(idle_timeout) {}
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() = default;

Result<std::unique_ptr<WsClient>> WsClient::connect(const WsUrl& url, const std::string& ca_file,
                                                    std::chrono::seconds idle_timeout, bool* permanent) {
  if (permanent != nullptr) *permanent = false;
  auto ctx = client_context(ca_file);
  if (!ctx) {
    if (permanent != nullptr) *permanent = true;
    return tl::unexpected(ctx.error());
  }
  auto impl = std::make_unique<Impl>(std::move(*ctx), idle_timeout);
  auto& ws = impl->ws;
  auto& layer = beast::get_lowest_layer(ws);
  beast::error_code ec;
  const std::string where = fmt::format("wss://{}:{}", url.host, url.port);
  tcp::resolver resolver(impl->io);
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return fail(fmt::format("{}: cannot resolve: {}", where, ec.message()));
  layer.expires_after(std::chrono::seconds(10));
  layer.connect(endpoints, ec);
  if (ec) return fail(fmt::format("{}: cannot connect: {}", where, ec.message()));
  // SNI, and the certificate must name the host we asked for.
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), url.host.c_str());
  ws.next_layer().set_verify_callback(asio::ssl::host_name_verification(url.host));
  ws.next_layer().handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    // A refused certificate stays refused; anything else (reset, timeout) may pass later.
    const bool refused = ec.category() == asio::error::get_ssl_category() &&
                         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
    if (permanent != nullptr) *permanent = refused;
    return fail(fmt::format("{}: TLS handshake failed: {}", where, ec.message()));
  }
  layer.expires_never();
  websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::client);
  t.idle_timeout = idle_timeout;
  t.keep_alive_pings = true;  // pings at half the idle timeout; a peer that never answers is dead
  ws.set_option(t);
  ws.handshake(url.host, url.target, ec);
  if (ec) return fail(fmt::format("{}: WebSocket handshake failed: {}", where, ec.message()));
  return std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
}

Result<std::string> WsClient::read(const std::atomic<bool>* stop) {
  impl_->buffer.clear();
  beast::error_code ec;
  // Blocking reads ignore the stream's timeout option, which only async operations honour:
  // read through the io_context so idle timeouts and pings work.
  bool done = false;
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  impl_->io.restart();
  bool stopped = false, silent = false;
  auto& s = *impl_;
  while (!done) {
    s.io.run_one_for(std::chrono::milliseconds(s.heartbeat.every.count() > 0 ? 20 : 100));
    if (done || stopped || silent) continue;
    if (stop != nullptr && stop->load()) {
      stopped = true;
      beast::get_lowest_layer(s.ws).cancel();  // completes the read with operation_aborted
      continue;
    }
    if (s.heartbeat.every.count() <= 0) continue;
    const auto now = std::chrono::steady_clock::now();
    if (s.awaiting && now - s.awaiting_since > s.heartbeat.timeout) {
      silent = true;
      beast::get_lowest_layer(s.ws).cancel();
      continue;
    }
    if (now >= s.next_ping && !s.writing) {
      // One read and one write may be in flight together on a Beast stream.
      s.ping_text = s.heartbeat.frame(++s.pings);
      s.writing = true;
      s.next_ping = now + s.heartbeat.every;
      if (!s.awaiting) s.awaiting_since = now;
      s.awaiting = true;
      s.ws.text(true);
      s.ws.async_write(asio::buffer(s.ping_text), [&s](beast::error_code e, std::size_t) {
        s.writing = false;
        if (e) beast::get_lowest_layer(s.ws).cancel();  // the read ends with the connection
      });
    }
  }
  if (stopped) return fail("stopped");
  if (silent) return fail(fmt::format("no answer to a ping within {} ms", s.heartbeat.timeout.count()));
  s.awaiting = false;  // anything received shows the connection alive
  if (ec) return fail(ec == beast::error::timeout ? std::string("idle timeout") : ec.message());
  return beast::buffers_to_string(impl_->buffer.data());
}

Status WsClient::write(const std::string& text) {
  beast::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text), ec);
  if (ec) return fail(ec.message());
  return {};
}

void WsClient::set_heartbeat(Heartbeat heartbeat) {
  impl_->heartbeat = std::move(heartbeat);
  impl_->next_ping = std::chrono::steady_clock::now() + impl_->heartbeat.every;
  impl_->awaiting = false;
}

void WsClient::close() {
  // A ping on its way finishes first: a close may not overlap a write.
  for (int i = 0; impl_->writing && i < 50; ++i) {
    impl_->io.restart();
    impl_->io.run_one_for(std::chrono::milliseconds(100));
  }
  beast::error_code ec;
  impl_->ws.close(websocket::close_code::normal, ec);
}

}  // namespace trader::net
