#pragma once
// Who decided what, and whose positions made which PnL, from a journal's records in order.
// What `report`, `diff` and the node's summary break down by strategy.
//  - A strategy is its [[strategies]] id, or the model id of a one-strategy config.
//  - A signal belongs to its strategy. An intent the strategy actor journals belongs, for
//    an entry, to the strategies whose views were long in its votes, and for an exit to
//    the owners of the position; an intent without votes (a one-strategy config) to the
//    strategy whose signal answered the same candle, or else the latest signal's. Risk's
//    own exits (stops, take profits, flatten) are a row of their own; orders and fills
//    belong to their intent's strategies.
//  - A position belongs to the strategies of the order whose fill opened it. Its realized
//    PnL, its fees, a perpetual's funding, the loss of its liquidation and, at the end, its
//    unrealized PnL are split among them equally, the remainder unit to the first (in
//    config order), so the rows' net PnL adds up to the session's to the unit (equity less
//    starting cash). A change no fill, funding or liquidation explains is booked as
//    "(unattributed)".
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "messages/message_types.hpp"

namespace trader::replay {

inline constexpr const char* kRiskExits = "risk (stops, take-profits, flatten)";

struct StrategyResult {
  std::string strategy;
  std::uint64_t signals = 0, intents = 0, approved = 0, refused = 0, fills = 0;
  // Of the positions it opened, quote asset, fixed point; funding as received (negative: paid).
  std::int64_t realized = 0, unrealized = 0, fees = 0, funding = 0;
  // A part that did not fit in 64 bits was left out: the figures above are incomplete.
  bool overflowed = false;
  // realized + unrealized - fees + funding; nothing if that does not fit in 64 bits, or a
  // part was left out.
  std::optional<std::int64_t> net() const;
};

class StrategyBook {
 public:
  // Whether the book reads records of this type (the others need not be decoded).
  static bool reads(std::uint16_t type_id);
  void add(const EnvelopeHeader& h, const Message& m);
  // One row per strategy, by name, then risk's exits and what no fill explains (if any).
  std::vector<StrategyResult> results() const;
  // Several named strategies (a [[strategies]] config) took part.
  bool named() const { return named_; }
  // Their ids, by name (empty unless named()).
  std::vector<std::string> strategy_ids() const;

 private:
  using Owners = std::vector<std::string>;
  using Rows = std::map<std::string, StrategyResult>;
  static StrategyResult& row(Rows& rows, const std::string& name);
  // Equal shares of `amount` into `rows`, the remainder unit to the first owner.
  static void split(Rows& rows, const Owners& owners, std::optional<std::int64_t> amount,
                    std::int64_t StrategyResult::*field);

  Rows rows_;
  std::map<std::uint64_t, std::string> strategy_of_cause_;  // the candle's seq -> the strategy that signalled on it
  std::string latest_;                        // the latest signal's strategy
  std::map<std::uint64_t, Owners> intent_owners_;
  std::map<std::string, Owners> order_owners_;  // client order id -> owners
  std::map<std::string, Owners> position_owners_;  // symbol -> owners of its open position
  // The seq of a fill, a funding or a liquidation -> its symbol: the portfolio state it
  // causes changes that position's PnL.
  std::map<std::uint64_t, std::string> cause_symbol_;
  std::map<std::string, std::int64_t> held_;  // symbol -> quantity, as of the last portfolio state
  PortfolioState last_;
  bool have_last_ = false, named_ = false;
};

// The book of a journal's records in [from_seq, to_seq].
Result<StrategyBook> read_strategy_book(const std::string& dir, std::uint64_t from_seq, std::uint64_t to_seq);

}  // namespace trader::replay
