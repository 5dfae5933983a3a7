#include "actors/node/control_server.hpp"

#include <array>
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

#include "actors/node/dashboard_page.hpp"
#include "actors/node/wire.hpp"
#include "journal/journal.hpp"
#include "messages/message_json.hpp"
#include "messages/message_types.hpp"
#include "replay/explain.hpp"

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
  std::shared_ptr<journal::Reader> journal;  // guarded by mutex
  std::atomic<bool> stopping{false};
  std::thread thread;  // accepts, and hands each connection to a worker
  // Connections being served, each on a worker thread; dashboards following /events are
  // counted apart (they stay).
  static constexpr int kMaxConnections = 16;
  static constexpr int kMaxStreams = 8;
  static constexpr auto kReadLimit = std::chrono::seconds(5);  // to send a whole request
  std::atomic<int> connections{0};
  std::atomic<int> streams{0};
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Worker> workers;  // joined once done, and all at stop

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
    if (path == "/health" || path == "/status" || path == "/metrics" || path == "/dashboard.json") {
      if (req.method() != http::verb::get) return reply(http::status::method_not_allowed, R"({"error":"use GET"})");
      const std::string what = path == "/dashboard.json" ? "dashboard" : path.substr(1);
      auto view = ask(caf::make_message(status_atom::value, what));
      if (!view) return reply(http::status::service_unavailable, R"({"error":"the node is not answering"})");
      return reply(http::status::ok, *view, path == "/metrics" ? "text/plain; version=0.0.4" : "application/json");
    }
    if (path == "/") {
      if (req.method() != http::verb::get) return reply(http::status::method_not_allowed, R"({"error":"use GET"})");
      auto res = reply(http::status::ok, std::string(dashboard_page()), "text/html; charset=utf-8");
      // Nothing but this origin: the page's own inline style and script, and its API.
      res.set("Content-Security-Policy",
              "default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:");
      return res;
    }
    if (path == "/explain") {
      if (req.method() != http::verb::get) return reply(http::status::method_not_allowed, R"({"error":"use GET"})");
      return explain(query);
    }
    OperatorCommandKind kind{};
    if (path == "/halt") kind = OperatorCommandKind::halt;
    else if (path == "/resume") kind = OperatorCommandKind::resume;
    else if (path == "/flatten") kind = OperatorCommandKind::flatten;
    else
      return reply(http::status::not_found,
                   R"({"error":"unknown path; try /, /health, /status, /metrics, /events, /explain?seq=N, /halt, /resume, /flatten"})");
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

  // /explain?seq=N: read from the journal (what is committed), never from the actors.
  http::response<http::string_body> explain(const std::string& query) {
    auto answer = [](http::status status, std::string body) {
      http::response<http::string_body> res{status, 11};
      res.set(http::field::content_type, "application/json");
      res.set(http::field::cache_control, "no-store");
      res.body() = std::move(body);
      res.prepare_payload();
      return res;
    };
    const std::string digits = query.rfind("seq=", 0) == 0 ? query.substr(4, query.find('&') - 4) : "";
    if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos)
      return answer(http::status::bad_request, R"({"error":"expected /explain?seq=N"})");
    std::shared_ptr<journal::Reader> reader;
    {
      std::lock_guard<std::mutex> lock(mutex);
      reader = journal;
    }
    if (!reader) return answer(http::status::service_unavailable, R"({"error":"the journal is not open yet"})");
    auto explained = replay::explain(*reader, std::stoull(digits));
    if (!explained)
      return answer(http::status::not_found, fmt::format(R"({{"error":{}}})", to_json_string(explained.error().message)));
    return answer(http::status::ok, replay::explain_json(*explained));
  }

  // One dashboard's /events: the dashboard view whenever it changed (checked twice a
  // second), and a comment every 15 s so idle proxies keep the connection.
  void stream_events(tcp::socket& socket) {
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(std::string_view("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                                      "Cache-Control: no-store\r\nConnection: close\r\n\r\n")),
                ec);
    std::string last;
    auto last_sent = std::chrono::steady_clock::now();
    while (!ec && !stopping.load()) {
      auto view = ask(caf::make_message(status_atom::value, std::string("dashboard")));
      if (!view) break;  // the node has stopped answering: the page reconnects to the next one
      const auto now = std::chrono::steady_clock::now();
      if (*view != last) {
        asio::write(socket, asio::buffer("data: " + *view + "\n\n"), ec);
        last = std::move(*view);
        last_sent = now;
      } else if (now - last_sent > std::chrono::seconds(15)) {
        asio::write(socket, asio::buffer(std::string_view(": idle\n\n")), ec);
        last_sent = now;
      }
      for (int i = 0; i < 10 && !stopping.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // The whole request within kReadLimit: each recv waits at most the socket's 2 s, and a
  // client that trickles bytes is dropped at the limit, not served whenever it finishes.
  // (Beast's own reads loop until a whole header is in, whatever the time.)
  // A request over a limit is answered (413, 431) before the connection closes, so the
  // client learns why; one that times out or breaks off is dropped.
  static bool read_request(tcp::socket& socket, http::request<http::string_body>& req) {
    boost::beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);  // the API takes no body; a reason travels in the query
    parser.eager(true);
    const auto deadline = std::chrono::steady_clock::now() + kReadLimit;
    boost::system::error_code ec;
    while (!parser.is_done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      const std::size_t n = socket.read_some(buffer.prepare(4096), ec);  // one recv
      if (ec) return false;
      buffer.commit(n);
      // Everything received so far, header then body, before the next recv.
      for (std::size_t used = 1; used > 0 && buffer.size() > 0 && !parser.is_done();) {
        used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == http::error::need_more) ec = {};
        if (ec == http::error::body_limit)
          answer_too_large(socket, http::status::payload_too_large, "a request body is at most 64 KiB (the API takes none)");
        if (ec == http::error::header_limit)
          answer_too_large(socket, http::status::request_header_fields_too_large, "a request's header is at most 16 KiB");
        if (ec) return false;
      }
    }
    req = parser.release();
    return true;
  }

  static void answer_error(tcp::socket& socket, http::status status, const char* why) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = fmt::format(R"({{"error":"{}"}})", why);
    res.prepare_payload();
    res.keep_alive(false);
    boost::system::error_code ec;
    http::write(socket, res, ec);
  }
  // The answer, then what the client still sends is read and dropped (1 s, 1 MiB at most)
  // before the close: closing with unread bytes resets the connection, and the client
  // could lose the answer.
  static void answer_too_large(tcp::socket& socket, http::status status, const char* why) {
    answer_error(socket, status, why);
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 4096> sink;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (std::size_t dropped = 0; !ec && dropped < (1u << 20) && std::chrono::steady_clock::now() < until;)
      dropped += socket.read_some(asio::buffer(sink), ec);
  }

  // One connection, on a worker thread of its own.
  void serve_one(tcp::socket socket) {
    http::request<http::string_body> req;
    boost::system::error_code ec;
    if (read_request(socket, req)) {
      if (req.target() == "/events" && req.method() == http::verb::get) {
        --connections;  // a dashboard holds a stream, not one of the request slots
        if (streams.fetch_add(1) < kMaxStreams) {
          stream_events(socket);  // a dashboard that stops reading is dropped by SO_SNDTIMEO
        } else {
          answer_error(socket, http::status::service_unavailable, "too many dashboards are following /events");
        }
        --streams;
        socket.shutdown(tcp::socket::shutdown_both, ec);
        return;
      }
      auto res = handle(req);
      res.keep_alive(false);
      http::write(socket, res, ec);
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    --connections;
  }

  // Each connection is served on a thread of its own, so one slow, silent or trickling
  // client never holds the API: an operator's halt gets through while it waits.
  void serve() {
    while (!stopping.load()) {
      std::erase_if(workers, [](Worker& w) {
        if (!*w.done) return false;
        w.thread.join();
        return true;
      });
      boost::system::error_code ec;
      tcp::socket socket(ioc);
      acceptor.accept(socket, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (ec) continue;
      socket.non_blocking(false);
      timeval tv{2, 0};  // no single read or write waits longer
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (connections.load() >= kMaxConnections) {
        answer_error(socket, http::status::service_unavailable, "too many requests at once");
        socket.shutdown(tcp::socket::shutdown_both, ec);
        continue;
      }
      ++connections;
      auto done = std::make_shared<std::atomic<bool>>(false);
      workers.push_back({std::thread([this, done, s = std::move(socket)]() mutable {
                           serve_one(std::move(s));
                           *done = true;
                         }),
                         done});
    }
  }
};

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControlServer::~ControlServer() { stop(); }

void ControlServer::attach(const caf::actor& sequencer, std::shared_ptr<journal::Reader> journal) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->sequencer = sequencer;
  impl_->journal = std::move(journal);
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
  // Each worker ends within seconds: a read has kReadLimit, an answer the node's 2 s, a
  // write 2 s, and a stream sees `stopping` within half a second.
  for (auto& w : impl_->workers) w.thread.join();
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace trader::node
