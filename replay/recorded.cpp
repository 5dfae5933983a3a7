#include "replay/recorded.hpp"

#include <fmt/format.h>

namespace trader::replay {

Result<const Recorded*> RecordedFeed::peek() {
  if (!ahead_ && !end_) {
    auto rec = cursor_.next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) {
      end_ = true;
    } else {
      auto body = (*rec)->decode();
      if (!body) return fail(fmt::format("seq {}: {}", (*rec)->header.seq, body.error().message));
      ahead_ = Recorded{(*rec)->header, std::move(*body)};
    }
  }
  return ahead_ ? &*ahead_ : nullptr;
}

Recorded RecordedFeed::take() {
  Recorded r = std::move(*ahead_);
  ahead_.reset();
  return r;
}

namespace {

bool explained(const Message& m) {
  if (const auto* s = std::get_if<Signal>(&m)) return !s->values.empty();
  if (const auto* i = std::get_if<OrderIntent>(&m)) return !i->values.empty();
  if (const auto* d = std::get_if<RiskDecision>(&m)) return !d->checks.empty();
  return false;
}

Message without_explanation(Message m) {
  if (auto* s = std::get_if<Signal>(&m)) s->values.clear();
  if (auto* i = std::get_if<OrderIntent>(&m)) i->values.clear();
  if (auto* d = std::get_if<RiskDecision>(&m)) d->checks.clear();
  return m;
}

}  // namespace

bool RecordMatch::same(const Recorded& r, const EnvelopeHeader& h, const Message& m) {
  if (r.header.cause_seq != 0) causes_journaled_ = true;
  if (explained(r.message)) explanations_journaled_ = true;
  const bool same_cause = r.header.cause_seq == h.cause_seq || (!causes_journaled_ && r.header.cause_seq == 0);
  const bool same_body = r.message == m || (!explanations_journaled_ && !explained(r.message) && explained(m) &&
                                            r.message == without_explanation(m));
  return r.header.source == h.source && r.header.destination == h.destination && r.header.recv_ts_ns == h.recv_ts_ns &&
         r.header.type_id == type_id_of(m) && same_body && same_cause;
}

}  // namespace trader::replay
