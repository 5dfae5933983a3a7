#include <cstdio>
#include <cstdlib>
#include <memory>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "base/percent_encoding.hpp"
#include "credentials/credentials.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;

struct CtlArgs {
  std::string command, url = "http://127.0.0.1:8787", reason, token_file, token_env = "TRADER_CONTROL_TOKEN";
};

int run_ctl(const CtlArgs& a) {
  // http://host:port only: the control API listens on loopback (or a private address).
  const std::string prefix = "http://";
  if (a.url.rfind(prefix, 0) != 0 || a.url.find(':', prefix.size()) == std::string::npos) {
    fmt::print(stderr, "error: --url {}: expected http://HOST:PORT\n", a.url);
    return kExitError;
  }
  const std::string hostport = a.url.substr(prefix.size());
  const std::string host = hostport.substr(0, hostport.rfind(':'));
  const std::string port = hostport.substr(hostport.rfind(':') + 1);
  const bool mutating = a.command == "halt" || a.command == "resume" || a.command == "flatten";
  std::string token;
  if (mutating) {
    if (!a.token_file.empty()) {
      auto read = credentials::read_secret_file(a.token_file);
      if (!read) {
        fmt::print(stderr, "error: --token-file {}\n", read.error().message);
        return kExitError;
      }
      token = std::move(*read);
    } else if (const char* env = std::getenv(a.token_env.c_str())) {
      token = env;
    }
    if (token.empty()) {
      fmt::print(stderr, "error: {} needs the control token: set ${} or pass --token-file\n", a.command, a.token_env);
      return kExitError;
    }
  }
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    boost::beast::tcp_stream stream(ioc);
    std::string target = "/" + a.command;
    if (mutating && !a.reason.empty()) {
      target += "?reason=" + percent_encode(a.reason);
    }
    http::request<http::string_body> req{mutating ? http::verb::post : http::verb::get, target, 11};
    req.set(http::field::host, host);
    if (mutating) req.set(http::field::authorization, "Bearer " + token);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    // Asynchronous, so that one deadline holds for the whole exchange (a stream's timeout
    // does not apply to blocking calls): a node that does not answer is an error, not a hang.
    constexpr auto kLimit = std::chrono::seconds(10);
    boost::beast::error_code failure;
    stream.expires_after(kLimit);
    stream.async_connect(resolver.resolve(host, port), [&](boost::beast::error_code ec, const auto&) {
      if (ec) return void(failure = ec);
      http::async_write(stream, req, [&](boost::beast::error_code ec, std::size_t) {
        if (ec) return void(failure = ec);
        http::async_read(stream, buffer, res, [&](boost::beast::error_code ec, std::size_t) { failure = ec; });
      });
    });
    ioc.run();
    if (failure == boost::beast::error::timeout) {
      fmt::print(stderr, "error: the node at {} did not answer within {} s\n", a.url, kLimit.count());
      return kExitError;
    }
    if (failure) throw boost::system::system_error(failure);
    boost::beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    const auto status = res.result_int();
    if (status == 200) {
      fmt::print("{}{}", res.body(), res.body().empty() || res.body().back() == '\n' ? "" : "\n");
      return kExitOk;
    }
    fmt::print(stderr, "error: {} answered {}: {}\n", a.url, status, res.body());
    return status == 401 || status == 403 ? kExitFailed : kExitError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: cannot reach the node at {}: {}\n", a.url, e.what());
    return kExitError;
  }
}

}  // namespace

void add_ctl_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CtlArgs>();
  auto* cmd = app.add_subcommand("ctl", "Talk to a running node's control API: status, health, metrics, halt, resume, flatten");
  cmd->add_option("command", args->command, "status | health | metrics | halt | resume | flatten")
      ->required()
      ->check(CLI::IsMember({"status", "health", "metrics", "halt", "resume", "flatten"}));
  cmd->add_option("--url", args->url, "the node's control API (control.listen)");
  cmd->add_option("--reason", args->reason, "halt/resume/flatten: why (journaled with the command)");
  cmd->add_option("--token-file", args->token_file, "file holding the control token (default: $TRADER_CONTROL_TOKEN)");
  cmd->callback([args, &exit_code] { exit_code = run_ctl(*args); });
}

}  // namespace trader::tools
