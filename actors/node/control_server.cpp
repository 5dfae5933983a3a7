#include "actors/node/control_server.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <chrono>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <caf/all.hpp>
#include <fmt/format.h>
#include <openssl/crypto.h>

#include "actors/node/wire.hpp"
#include "messages/message_types.hpp"

namespace trader::node {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

bool token_matches(const std::string& presented, const std::string& expected) {
  if (expected.empty()) return false;
  // Compare equal lengths only; a length mismatch still does the same work.
  const std::string& other = presented.size() == expected.size() ? presented : expected;
  const bool same = CRYPTO_memcmp(other.data(), expected.data(), expected.size()) == 0;
  return same && presented.size() == expected.size();
}

namespace {
// "ops%20drill" -> "ops drill" ('+' as space too); malformed escapes are kept as they are.
std::string url_decode(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}
}  // namespace

struct ControlServer::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::string token;
  caf::actor_system* system = nullptr;
  std::mutex mutex;
  caf::actor sequencer;  // guarded by mutex
  std::atomic<bool> stopping{false};
  std::thread thread;

  // Asks the journal actor for a view or to take a command; a second is plenty.
  std::optional<std::string> ask(const caf::message& msg) {
    caf::actor target;
    {
      std::lock_guard<std::mutex> lock(mutex);
      target = sequencer;
    }
    if (!target) return std::nullopt;
    caf::scoped_actor self{*system};
    std::optional<std::string> out;
    self->request(target, std::chrono::seconds(2), msg)
        .receive([&](const std::string& s) { out = s; }, [&](caf::error&) {});
    return out;
  }

  http::response<http::string_body> handle(const http::request<http::string_body>& req) {
    auto reply = [&](http::status status, std::string body, const char* type = "application/json") {
      http::response<http::string_body> res{status, req.version()};
      res.set(http::field::content_type, type);
      res.set(http::field::cache_control, "no-store");
      res.body() = std::move(body);
      res.prepare_payload();
      return res;
    };
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    const std::string query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    if (path == "/health" || path == "/status" || path == "/metrics") {
      if (req.method() != http::verb::get) return reply(http::status::method_not_allowed, R"({"error":"use GET"})");
      auto view = ask(caf::make_message(status_atom::value, path.substr(1)));
      if (!view) return reply(http::status::service_unavailable, R"({"error":"the node is not answering"})");
      return reply(http::status::ok, *view, path == "/metrics" ? "text/plain; version=0.0.4" : "application/json");
    }
    OperatorCommandKind kind{};
    if (path == "/halt") kind = OperatorCommandKind::halt;
    else if (path == "/resume") kind = OperatorCommandKind::resume;
    else if (path == "/flatten") kind = OperatorCommandKind::flatten;
    else return reply(http::status::not_found, R"({"error":"unknown path; try /health, /status, /metrics, /halt, /resume, /flatten"})");
    if (req.method() != http::verb::post) return reply(http::status::method_not_allowed, R"({"error":"use POST"})");
    const auto auth = req[http::field::authorization];
    if (auth.empty()) {
      auto res = reply(http::status::unauthorized, R"({"error":"missing Authorization: Bearer <token>"})");
      res.set(http::field::www_authenticate, "Bearer");
      res.prepare_payload();
      return res;
    }
    const std::string presented = auth.starts_with("Bearer ") ? std::string(auth.substr(7)) : "";
    if (!token_matches(presented, token)) return reply(http::status::forbidden, R"({"error":"wrong token"})");
    std::string reason;
    if (query.rfind("reason=", 0) == 0) reason = url_decode(query.substr(7, query.find('&') - 7));
    auto ack = ask(caf::make_message(operator_atom::value, static_cast<std::uint8_t>(kind), std::string("http"), reason));
    if (!ack) return reply(http::status::service_unavailable, R"({"error":"the node is not answering"})");
    return reply(http::status::ok, *ack);
  }

  void serve() {
    while (!stopping.load()) {
      boost::system::error_code ec;
      tcp::socket socket(ioc);
      acceptor.accept(socket, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (ec) continue;
      socket.non_blocking(false);
      timeval tv{2, 0};  // a slow or silent client cannot hold the control API
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      auto res = handle(req);
      res.keep_alive(false);
      http::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }
};

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControlServer::~ControlServer() { stop(); }

void ControlServer::attach(const caf::actor& sequencer) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->sequencer = sequencer;
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(const std::string& listen, std::string token,
                                                            caf::actor_system& system) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return fail(fmt::format("control.listen {}: expected host:port", listen));
  auto impl = std::make_unique<Impl>();
  impl->token = std::move(token);
  impl->system = &system;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(listen.substr(0, colon), ec);
  if (ec) return fail(fmt::format("control.listen {}: not an IP address", listen));
  unsigned port = 0;
  try {
    port = static_cast<unsigned>(std::stoul(listen.substr(colon + 1)));
  } catch (...) {
    return fail(fmt::format("control.listen {}: not a port", listen));
  }
  const tcp::endpoint endpoint{address, static_cast<unsigned short>(port)};
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) impl->acceptor.non_blocking(true, ec);
  if (ec) return fail(fmt::format("control API cannot listen on {}: {}", listen, ec.message()));
  auto* raw = impl.get();
  impl->thread = std::thread([raw] { raw->serve(); });
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

unsigned short ControlServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void ControlServer::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  if (impl_->thread.joinable()) impl_->thread.join();
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace trader::node
