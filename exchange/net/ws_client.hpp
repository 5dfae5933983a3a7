#pragma once
// A TLS WebSocket client for market streams and the WebSocket API (blocking, one connection): SNI, certificate
// and host name verification, ping/pong answered by Beast, an idle timeout on reads.
#include <atomic>
#include <chrono>
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
  // Sends one text frame (a request on a WebSocket API).
  Status write(const std::string& text);
  void close();

 private:
  struct Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader::net
