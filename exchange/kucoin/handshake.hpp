#pragma once
// How a KuCoin stream connection begins (pure pieces; the connection is the live stream's):
//  1. POST /api/v1/bullet-public answers a token and the servers to connect to, each with
//     its endpoint, pingInterval and pingTimeout (ms). A token is good for one connection:
//     every reconnect fetches a new bullet first.
//  2. Connect to "{endpoint}?token={token}&connectId={id}" and wait for "welcome".
//  3. Subscribe, one request per topic for up to 100 symbols ("/market/match:BTC-USDT,ETH-USDT"),
//     each answered by an "ack" (response: true).
//  4. Send {"id","type":"ping"} every pingInterval; no pong within pingTimeout: the
//     connection is dead.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "messages/instrument.hpp"

namespace trader::kucoin {

struct Bullet {
  std::string token, endpoint;  // endpoint: "wss://ws-api-spot.kucoin.com/"
  std::int64_t ping_interval_ms = 0, ping_timeout_ms = 0;
};

// The bullet-public answer ({"code":"200000","data":{"token","instanceServers":[...]}});
// an error names KuCoin's code and message, or what is missing. The first server is used.
Result<Bullet> parse_bullet(std::string_view answer);

// The URL of one connection: the endpoint with the token and this connection's id.
std::string connect_url(const Bullet& bullet, std::string_view connect_id);

// The market topics of `channels` for `instruments`, as subscribe requests numbered from
// `first_id`, at most 100 symbols each. Spot ("BTC-USDT@kucoin"): "match", "ticker",
// "level2" -> /market/CHANNEL. KuCoin Futures ("XBTUSDTM@kucoin_futures"): "execution",
// "tickerV2" -> /contractMarket/CHANNEL; "instrument" (marks, funding rates) and
// "announcement" (funding) -> /contract/CHANNEL.
std::vector<std::string> subscribe_frames(const std::vector<std::string>& instruments,
                                          const std::vector<std::string>& channels, std::uint64_t first_id);

// The symbols ("BTC-USDT") whose level2 needs its REST book: those of `instruments` when
// `channels` hold "level2", else none.
std::vector<std::string> book_symbols(const std::vector<std::string>& instruments, const std::vector<std::string>& channels);

// KuCoin Futures: the symbols ("XBTUSDTM") whose contract each connection fetches before
// its frames (sizes are in the contract's lots); none for spot.
std::vector<std::string> contract_symbols(const std::vector<std::string>& instruments);

// The channels the node reads on `venue`, the only ones a config or `record` may name:
// kucoin "match", "ticker", "level2"; kucoin_futures "execution", "tickerV2", "instrument",
// "announcement".
const std::vector<std::string>& known_channels(VenueId venue);
// The same as one line for a message: "match, ticker, level2".
std::string known_channel_list(VenueId venue);

// A channel's topic on `venue` (kucoin or kucoin_futures), without the symbols: "/market/match".
std::string channel_topic(VenueId venue, std::string_view channel);

std::string ping_frame(std::uint64_t id);

// A frame's "type" ("welcome", "ack", "pong", "message", "error"...), its "id", and for
// an error KuCoin's code and reason as one message; an error when it is not a JSON object.
struct FrameKind {
  std::string type, id, error;
};
Result<FrameKind> frame_kind(std::string_view frame);

}  // namespace trader::kucoin
