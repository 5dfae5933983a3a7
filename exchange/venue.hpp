#pragma once
// What the node's order path needs from a venue, and nothing more. A venue is an
// exchange's REST API seen through this interface; adding Coinbase Advanced Trade or
// KuCoin means a new folder implementing it (exchange/binance/rest_venue.* is Binance).
// Quantities and prices are the node's fixed point (1e-8). Failures are values that say
// whether the request can have reached the venue, because that decides whether an order
// may be retried.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "futures/contract.hpp"
#include "messages/message_types.hpp"

namespace trader {

struct VenueFill {
  std::int64_t price = 0, qty = 0, commission = 0;
  std::string commission_asset;
  std::uint64_t trade_id = 0;
};

enum class VenueOrderStatus : std::uint8_t { open, partially_filled, filled, canceled, rejected, expired };

struct VenueOrder {
  std::string client_order_id, exchange_order_id, symbol;
  Side side = Side::buy;
  VenueOrderStatus status = VenueOrderStatus::open;
  std::int64_t orig_qty = 0, executed_qty = 0, quote_qty = 0;  // quote_qty: cumulative
  std::int64_t update_ms = 0;
  std::vector<VenueFill> fills;  // when the venue reports them (Binance: in the new-order answer)
};

// A perpetual position as the venue reports it (one-way mode): qty signed, < 0 short.
struct VenuePosition {
  std::string symbol;  // the instrument ("BTCUSDT@binance_usdm")
  std::int64_t qty = 0, entry_price = 0, mark_price = 0, unrealized_pnl = 0;
  int leverage = 0;
};

struct VenueBalance {
  std::string asset;
  std::int64_t free = 0, locked = 0;
};

// What the venue accepts for a symbol (Binance: the LOT_SIZE, PRICE_FILTER and
// NOTIONAL/MIN_NOTIONAL filters of /api/v3/exchangeInfo). 0: the venue sets no such limit.
struct SymbolRules {
  std::string symbol;
  std::int64_t step_size = 0, min_qty = 0, max_qty = 0;  // quantity: a multiple of step_size
  std::int64_t tick_size = 0;                            // limit price: a multiple of tick_size
  std::int64_t min_notional = 0;                         // price x quantity, quote asset
};

struct VenueFailure {
  enum class Kind {
    rejected,      // the venue answered no (code, message): final for this request
    rate_limited,  // 429/418: nothing was done; wait retry_after_ms (0: the venue did not say)
    unavailable,   // it never reached the venue (connect failed, 5xx before processing)
    unknown,       // it may have reached the venue (timeout): look it up before retrying
  } kind = Kind::unavailable;
  int http_status = 0;
  int code = 0;         // the venue's error code (Binance: -2010 ...)
  std::string message;  // never holds a secret
  std::int64_t retry_after_ms = 0;
  bool order_unknown = false;  // the venue says it has no such order (Coinbase: 404 or not among the product's)
  // The order is not at the venue: it never reached it (Binance: -2013, -2011).
  bool not_found() const { return kind == Kind::rejected && (order_unknown || code == -2013 || code == -2011); }
};

template <class T>
using VenueReply = tl::expected<T, VenueFailure>;

// The number a fill's trade id stands for (VenueFill::trade_id): its digits, or a stable
// hash (FNV-1a) of any other text (Coinbase's UUIDs, KuCoin Futures' hexadecimal ids).
inline std::uint64_t trade_number(std::string_view trade_id) {
  std::uint64_t n = 0;
  bool digits = !trade_id.empty() && trade_id.size() <= 19;
  for (const char c : trade_id) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    for (const char c : trade_id) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    return n;
  }
  n = 14695981039346656037ull;
  for (const char c : trade_id) n = (n ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return n;
}

// An order the venue took (its id) whose state could not be read back right after: open,
// as far as anyone knows, until the next poll reads the rest.
inline VenueOrder placed_unread(const OrderRequest& r, std::string exchange_order_id, std::string instrument) {
  VenueOrder o;
  o.client_order_id = r.client_order_id;
  o.exchange_order_id = std::move(exchange_order_id);
  o.symbol = std::move(instrument);
  o.side = r.side;
  o.orig_qty = r.qty;
  return o;
}

// An answer a venue client cannot read: whatever it was, the request reached the venue.
inline VenueFailure unreadable_answer(std::string what) {
  return VenueFailure{VenueFailure::Kind::unknown, 0, 0, "unreadable venue answer: " + std::move(what), 0};
}

// What a venue pushes about the account's orders as it happens (Binance: the user-data
// stream of the WebSocket API). Polling stays the fallback and the cross-check.
struct VenueUpdate {
  enum class Kind : std::uint8_t {
    subscribed,  // connected and subscribed: updates flow from here on
    dropped,     // the connection ended (or could not be made): updates may have been missed
    refused,     // the venue refused the subscription (e.g. the signature): retrying will not help
    order,       // an order changed
    other        // anything else the channel carries (account positions, ...)
  } kind = Kind::other;
  VenueOrder order;    // kind order: the order after the change, `fills` the one trade it reports (if any)
  std::string detail;  // what happened, for the journal (never a secret)
};

// One push channel, blocking, for a thread of its own.
class VenueUpdates {
 public:
  virtual ~VenueUpdates() = default;
  virtual VenueUpdate subscribe(const std::atomic<bool>* stop) = 0;  // subscribed, dropped or refused
  virtual VenueUpdate next(const std::atomic<bool>* stop) = 0;       // dropped when the connection ends or *stop
};

class Venue {
 public:
  virtual ~Venue() = default;
  virtual std::string name() const = 0;
  // Time sync and connectivity: the venue's clock minus ours, in ms.
  virtual VenueReply<std::int64_t> sync_time() = 0;
  virtual VenueReply<VenueOrder> place(const OrderRequest& request) = 0;
  virtual VenueReply<VenueOrder> cancel(const std::string& symbol, const std::string& client_order_id) = 0;
  virtual VenueReply<VenueOrder> query(const std::string& symbol, const std::string& client_order_id) = 0;
  // The order's trades (its fills with their commissions), oldest first.
  virtual VenueReply<std::vector<VenueFill>> trades(const std::string& symbol, const std::string& exchange_order_id) = 0;
  virtual VenueReply<std::vector<VenueOrder>> open_orders() = 0;
  virtual VenueReply<std::vector<VenueBalance>> balances() = 0;
  virtual VenueReply<SymbolRules> rules(const std::string& symbol) = 0;
  // The symbol's last traded price (Binance: /api/v3/ticker/price).
  virtual VenueReply<std::int64_t> price(const std::string& symbol) = 0;
  // One page of the symbol's klines of `interval_s` that open in [start_ms, end_ms], oldest
  // first, at most `limit` (Binance: /api/v3/klines). The venue's clock decides whether the
  // last is over: `closed` is set on those whose close time is before `now_ms` (its time).
  virtual VenueReply<std::vector<Kline>> klines(const std::string& symbol, std::uint32_t interval_s,
                                                std::int64_t start_ms, std::int64_t end_ms, int limit,
                                                std::int64_t now_ms) = 0;
  // Request weight used in the venue's current window, as it last reported it (0: unknown).
  virtual std::int64_t used_weight() const = 0;
  // Perpetual positions, flat ones included (a spot venue: none).
  virtual VenueReply<std::vector<VenuePosition>> positions() { return std::vector<VenuePosition>{}; }
  // A perpetual's margin mode, then its leverage, at the venue (so that the margin it holds
  // and the losses it may take are the ones the portfolio books); answers the leverage it
  // set. A spot venue refuses.
  virtual VenueReply<int> set_margin(const std::string& symbol, futures::MarginMode mode, int leverage) {
    (void)mode;
    (void)leverage;
    return tl::unexpected(VenueFailure{VenueFailure::Kind::rejected, 0, 0, name() + " has no leverage for " + symbol, 0});
  }
  // A new push channel for the account's order updates, or nullptr if the venue (or the
  // config) has none.
  virtual std::unique_ptr<VenueUpdates> updates() { return nullptr; }
};

}  // namespace trader
