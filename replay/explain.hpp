#pragma once
// explain: why a decision was taken, from the journal alone. Every record journals its
// cause (the seq of the delivery it answers; 0 for an input), so the chain is read, never
// re-derived:
//  - back: from the target record, cause by cause, to the input that started its cascade
//    (market data, a clock tick, an operator command, a venue answer);
//  - caused: what the target caused in its own cascade;
//  - for an order: its request's chain, then what followed for it (the venue's answers,
//    cancels, fills, and the portfolio state each fill produced).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "journal/journal.hpp"
#include "messages/message_types.hpp"

namespace trader::replay {

struct ExplainTarget {
  enum class Kind { seq, order, fill };
  Kind kind = Kind::seq;
  std::uint64_t seq = 0;          // Kind::seq
  std::string client_order_id;    // Kind::order
  std::uint64_t trade_id = 0;     // Kind::fill: the venue's trade id (paper fills have none)
};

struct ExplainedRecord {
  std::string step;  // what the record is in the chain: "market data", "candle", "signal", ...
  EnvelopeHeader header;
  Message message;
};

struct Explanation {
  std::uint64_t target_seq = 0;
  std::vector<ExplainedRecord> chain;   // the input first, the target (or its order's request) last
  std::vector<ExplainedRecord> caused;  // what the target caused in its cascade, in seq order
  std::string client_order_id;          // the order the target belongs to ("" if none)
  std::vector<ExplainedRecord> after;   // the order's answers, cancels, fills and the states after them
};

// The target's seq; std::nullopt when the journal holds no such record, order or fill
// (missing_target says which). Errors: a record on the way cannot be read (naming its seq).
Result<std::optional<std::uint64_t>> find_target(journal::Reader& reader, const ExplainTarget& target);
std::string missing_target(const ExplainTarget& target);
// Why the record at `seq` exists. Errors: a record without a journaled cause (a journal
// written before causes were recorded), a journal read error (it names the seq).
Result<Explanation> explain(journal::Reader& reader, std::uint64_t seq);

std::string explain_text(const Explanation& e);
std::string explain_json(const Explanation& e);  // one JSON object

}  // namespace trader::replay
