#include "exchange/sim/rest_auth.hpp"

#include <cstdlib>

#include "credentials/credentials.hpp"

namespace trader::sim {
namespace {

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::strtol(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Removes the "signature=..." parameter from `params` (as sent, not decoded) and returns
// its value; what remains is what was signed.
std::string take_signature(std::string& params) {
  std::string kept, sig;
  std::string_view rest = params;
  bool first = true;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto piece = rest.substr(0, amp);
    if (piece.rfind("signature=", 0) == 0) {
      sig = std::string(piece.substr(10));
    } else {
      if (!first) kept += '&';
      kept += piece;
      first = false;
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  params = std::move(kept);
  return sig;
}

}  // namespace

Params parse_params(std::string_view text) {
  Params p;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto pair = text.substr(0, amp);
    const auto eq = pair.find('=');
    if (!pair.empty()) p[url_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return p;
}

VenueResult<Params> authenticate(const SignedRequest& r, const std::string& api_key, const std::string& secret,
                                 std::int64_t now_ms) {
  if (r.api_key_header.empty()) return tl::unexpected(VenueError{401, -2014, "API-key format invalid."});
  if (!credentials::equal_constant_time(r.api_key_header, api_key))
    return tl::unexpected(VenueError{401, -2015, "Invalid API-key, IP, or permissions for action."});
  std::string query(r.query), body(r.body);
  std::string sig = take_signature(query);
  if (sig.empty()) sig = take_signature(body);
  Params p = parse_params(query);
  for (auto& [k, v] : parse_params(body)) p[k] = v;
  const auto ts = p.find("timestamp");
  if (ts == p.end() || ts->second.empty())
    return tl::unexpected(VenueError{400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."});
  std::int64_t window = 5000;
  if (auto w = p.find("recvWindow"); w != p.end()) window = std::strtoll(w->second.c_str(), nullptr, 10);
  if (window <= 0 || window > 60000)
    return tl::unexpected(VenueError{400, -1131, "recvWindow must be less than 60000"});
  const std::int64_t t = std::strtoll(ts->second.c_str(), nullptr, 10);
  if (t > now_ms + 1000 || now_ms - t > window)
    return tl::unexpected(VenueError{400, -1021, "Timestamp for this request is outside of the recvWindow."});
  if (sig.empty())
    return tl::unexpected(VenueError{400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."});
  const std::string payload = query + body;
  if (!credentials::equal_constant_time(credentials::hmac_sha256_hex(secret, payload), sig))
    return tl::unexpected(VenueError{400, -1022, "Signature for this request is not valid."});
  return p;
}

}  // namespace trader::sim
