#pragma once
// Binance's user-data stream on the WebSocket API (the listenKey endpoints were retired
// for spot): one connection to wss://…/ws-api/v3, one signed
// `userDataStream.subscribe.signature` request (HMAC keys: the parameters sorted by name,
// `name=value` joined by `&`, signed like a REST query), then `executionReport` events, each
// `{"subscriptionId":N,"event":{...}}`, turned into VenueUpdates. Reconnecting is the
// caller's: a drop is an update like any other.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "credentials/credentials.hpp"
#include "exchange/venue.hpp"

namespace trader::binance {

// The signed subscription request, as sent.
std::string user_stream_subscribe_request(std::string_view request_id, const credentials::ApiCredentials& keys,
                                          std::int64_t timestamp_ms, std::int64_t recv_window_ms);

// One frame from the WebSocket API: the subscription's answer (subscribed or refused), an
// order's execution report (kind order: the order after it, with the trade it reports), or
// other. Unreadable frames are errors that say what was wrong.
Result<VenueUpdate> parse_user_stream_frame(std::string_view json);

struct UserStreamOptions {
  std::string url;      // wss://ws-api.binance.com:443/ws-api/v3, the testnet's, or exchange-sim's
  std::string ca_file;  // empty: the system CA store
  credentials::ApiCredentials credentials;
  std::int64_t recv_window_ms = 5000;
  std::function<std::int64_t()> venue_time_ms;  // the timestamp to sign with (our clock + the venue's offset)
  std::chrono::seconds idle_timeout{30};
};

std::unique_ptr<VenueUpdates> make_user_stream(UserStreamOptions options);

}  // namespace trader::binance
