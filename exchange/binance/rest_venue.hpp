#pragma once
// Binance REST as a Venue (exchange/venue.hpp), spot (/api/v3) or USDⓈ-M futures (/fapi):
// SIGNED requests (HMAC-SHA256 over the query, `timestamp` on the venue's clock via the
// offset from the venue's time endpoint, `recvWindow`), the used-weight header remembered,
// 429/418 turned into rate_limited with Retry-After. The same code talks to the testnets,
// the live venues and exchange-sim.
#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "credentials/credentials.hpp"
#include "exchange/venue.hpp"

namespace trader::binance {

// Which of Binance's APIs: spot, or USDⓈ-M perpetual futures (fapi: orders move a signed
// position on margin; their fills come from userTrades, not the order's answer). USDⓈ-M's
// instruments are "BTCUSDT@binance_usdm" in and out; requests carry the bare symbol.
enum class Market { spot, usdm };

struct RestVenueOptions {
  Market market = Market::spot;
  std::string base_url;  // https://testnet.binance.vision, https://api.binance.com, https://fapi.binance.com, https://127.0.0.1:PORT
  std::string ca_file;   // empty: the system CA store
  credentials::ApiCredentials credentials;
  std::int64_t recv_window_ms = 5000;
  std::chrono::milliseconds timeout{5000};
  std::string ws_api_url;  // the WebSocket API for the user-data stream; empty: polling only
};

// Parses an order as Binance answers it (new order, query, cancel, open orders).
// Spot's cummulativeQuoteQty and USDⓈ-M's cumQuote are both read.
VenueReply<VenueOrder> parse_order(std::string_view json);
// Parses /fapi/v2/positionRisk (USDⓈ-M) into the positions it lists.
VenueReply<std::vector<VenuePosition>> parse_positions(std::string_view json);
// Parses /api/v3/exchangeInfo for one symbol into its rules.
VenueReply<SymbolRules> parse_symbol_rules(std::string_view json, const std::string& symbol);
// Parses /api/v3/klines ([[open time, "open", "high", "low", "close", "volume", close time,
// "quote volume", trades, "taker buy volume", "taker buy quote volume", ...], ...]) into
// history klines (Kline.history); those closing before `now_ms` are closed.
VenueReply<std::vector<Kline>> parse_klines(std::string_view json, const std::string& symbol, std::uint32_t interval_s,
                                            std::int64_t now_ms);
// The kline intervals Binance serves, shortest first, and the name of one ("1m", "4h",
// "1d"; "" for one it has no name for).
struct KlineInterval {
  std::uint32_t seconds;
  const char* name;
};
std::span<const KlineInterval> kline_intervals();
std::string interval_name(std::uint32_t seconds);

class RestVenue final : public Venue {
 public:
  static Result<std::unique_ptr<RestVenue>> create(RestVenueOptions options);
  ~RestVenue() override;
  std::string name() const override;
  VenueReply<std::int64_t> sync_time() override;
  VenueReply<VenueOrder> place(const OrderRequest& request) override;
  VenueReply<VenueOrder> cancel(const std::string& symbol, const std::string& client_order_id) override;
  VenueReply<VenueOrder> query(const std::string& symbol, const std::string& client_order_id) override;
  VenueReply<std::vector<VenueFill>> trades(const std::string& symbol, const std::string& exchange_order_id) override;
  VenueReply<std::vector<VenueOrder>> open_orders() override;
  VenueReply<std::vector<VenueBalance>> balances() override;
  VenueReply<SymbolRules> rules(const std::string& symbol) override;
  VenueReply<std::int64_t> price(const std::string& symbol) override;
  VenueReply<std::vector<Kline>> klines(const std::string& symbol, std::uint32_t interval_s, std::int64_t start_ms,
                                        std::int64_t end_ms, int limit, std::int64_t now_ms) override;
  std::int64_t used_weight() const override;
  std::unique_ptr<VenueUpdates> updates() override;
  // USDⓈ-M: /fapi/v2/positionRisk; /fapi/v1/marginType then /fapi/v1/leverage (spot: none, and refused).
  VenueReply<std::vector<VenuePosition>> positions() override;
  VenueReply<int> set_margin(const std::string& symbol, futures::MarginMode mode, int leverage) override;

 private:
  struct Impl;
  explicit RestVenue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader::binance
