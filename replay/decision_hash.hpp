#pragma once
// A running SHA-256 over the decision-bearing messages of a run -- signals, order
// intents, risk decisions, order requests, fills (order events with a fill) and
// liquidations (a venue's closing of a perpetual position, like a fill) -- each
// as its type id and canonical Cap'n Proto body. Two runs made the same decisions iff
// their decision hashes are equal; `stats`, the node summary and replay print it.
#include <cstdint>
#include <memory>
#include <string>

#include "messages/message_types.hpp"

namespace trader::replay {

bool is_decision(const Message& m);
// Whether a record of this type can be a decision (an order event is one only with a
// fill): what a reader must decode to hash the decisions.
bool may_be_decision(std::uint16_t type_id);

class DecisionHash {
 public:
  DecisionHash();
  ~DecisionHash();
  DecisionHash(DecisionHash&&) noexcept;
  DecisionHash& operator=(DecisionHash&&) noexcept;

  void add(const Message& m);  // ignores messages that are not decisions
  std::uint64_t decisions() const { return count_; }
  std::string hex() const;     // of everything added so far

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  std::uint64_t count_ = 0;
};

}  // namespace trader::replay
