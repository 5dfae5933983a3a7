#pragma once
// Reading a journal back against a run that regenerates it (replay --verify, recovery):
// the records one ahead, decoded, and the one rule for when a regenerated message is the
// recorded one.
#include <optional>

#include "base/result.hpp"
#include "journal/journal.hpp"
#include "messages/message_types.hpp"

namespace trader::replay {

struct Recorded {
  EnvelopeHeader header;
  Message message;
};

// A cursor's records, decoded, with one record of look-ahead.
class RecordedFeed {
 public:
  explicit RecordedFeed(journal::Cursor cursor) : cursor_(std::move(cursor)) {}
  // The next record, or nullptr at the end; a record that does not decode names its seq.
  Result<const Recorded*> peek();
  Recorded take();  // the record peek() returned

 private:
  journal::Cursor cursor_;
  std::optional<Recorded> ahead_;
  bool end_ = false;
};

// Whether a regenerated message (its header as the sequencer made it) is the record: the
// same source, destination, receive time, type, body and cause. A journal written before
// causes were recorded has cause 0 on every record: until one shows a cause, 0 matches.
// Likewise for what decisions were computed from (the values of a signal or an intent,
// a risk decision's checks): until a record carries them, a record without them matches one with them.
class RecordMatch {
 public:
  bool same(const Recorded& recorded, const EnvelopeHeader& header, const Message& message);

 private:
  bool causes_journaled_ = false;
  bool explanations_journaled_ = false;
};

}  // namespace trader::replay
