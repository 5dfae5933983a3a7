#pragma once
// A TLS WebSocket client for market streams and the WebSocket API (blocking, one connection): SNI, certificate
// and host name verification, ping/pong answered by Beast, an idle timeout on reads.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/result.hpp"

namespace trader::net {

struct WsUrl {
  std::string host, port, target;  // wss://host:port/target
};
Result<WsUrl> parse_wss_url(const std::string& url);

class WsClient {
 public:
  // Connects and completes the TLS and WebSocket handshakes. `ca_file` empty: system CAs.
  // `permanent` (optional) is set when retrying cannot help (the certificate is refused).
  static Result<std::unique_ptr<WsClient>> connect(const WsUrl& url, const std::string& ca_file,
                                                   std::chrono::seconds idle_timeout, bool* permanent = nullptr);
  ~WsClient();
  // The next text frame; an error when the connection drops or stays idle too long, or
  // (promptly) once `*stop` turns true.
  Result<std::string> read(const std::atomic<bool>* stop = nullptr);
  // Sends one text frame (a request on a WebSocket API). Not while a heartbeat is set.
  Status write(const std::string& text);
  // An application-level heartbeat, for venues that want their own pings (KuCoin's
  // {"type":"ping"}): from now on, reads send `frame(n)` every `every` (n = 1, 2, ...),
  // and fail when nothing at all arrives within `timeout` of a ping.
  struct Heartbeat {
    std::chrono::milliseconds every{0}, timeout{0};
    std::function<std::string(std::uint64_t)> frame;
  };
  void set_heartbeat(Heartbeat heartbeat);
  void close();

 private:
  struct Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader::net
