#pragma once
// TLS contexts for the venue connections (Boost.Asio over OpenSSL). Clients verify the
// peer against the system CA store, or against one CA file (the simulator's certificate).
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "base/result.hpp"

namespace trader::net {

// A client context: TLS 1.2+, peer verification on; `ca_file` empty = system CA store.
Result<boost::asio::ssl::context> client_context(const std::string& ca_file);

// A fresh self-signed certificate (EC P-256, SHA-256) for localhost / 127.0.0.1, PEM.
struct SelfSigned {
  std::string cert_pem, key_pem;
};
Result<SelfSigned> make_self_signed(int days = 30);

Result<boost::asio::ssl::context> server_context(const SelfSigned& cert);

}  // namespace trader::net
