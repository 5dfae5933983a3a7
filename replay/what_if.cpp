#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "actors/portfolio/portfolio_core.hpp"
#include "base/wall_clock.hpp"
#include "journal/directory.hpp"
#include "journal/journal.hpp"
#include "replay/decision_hash.hpp"
#include "replay/replay.hpp"

namespace trader::replay {
namespace {

// Writes what the replay sequences into a new journal.
class JournalSink final : public RecordSink {
 public:
  JournalSink(journal::Writer& writer, DecisionHash& hash, WhatIfReport& report)
      : writer_(writer), hash_(hash), report_(report) {}
  Result<std::uint64_t> append(const EnvelopeHeader& h, const Message& m) override {
    const auto seq = writer_.append(h, m);
    hash_.add(m);
    ++report_.records;
    if (const auto* p = std::get_if<PortfolioState>(&m)) report_.portfolio = *p;
    if (const auto* e = PortfolioCore::lost_book(h.source, m))
      report_.lost_book.push_back(fmt::format("seq {}: {}", seq, e->message));
    return seq;
  }
  bool batch_full() const override { return writer_.batch_full(); }
  Status commit() override {
    if (auto c = writer_.commit(); !c) return tl::unexpected(c.error());
    return {};
  }

 private:
  journal::Writer& writer_;
  DecisionHash& hash_;
  WhatIfReport& report_;
};

bool is_external(Actor source) {
  return source == Actor::market_feed || source == Actor::timer || source == Actor::operator_;
}

}  // namespace

Result<WhatIfReport> what_if(const std::string& source_dir, const Range& range, const NodeConfig& given,
                             const std::string& out_dir, const CoreFactory& factory, const ProgressFn& progress) {
  const auto started = std::chrono::steady_clock::now();
  // A what-if fills on paper: a testnet or live config is run with order.mode = "paper"
  // (and journaled so, so the new journal verifies).
  NodeConfig config = given;
  if (given.order_mode != OrderMode::paper) {
    auto paper = parse_node_config(given.effective_toml, "what-if config", {"order.mode=\"paper\""}, ConfigUse::replay);
    if (!paper) return tl::unexpected(paper.error());
    config = std::move(*paper);
  }
  std::error_code ec;
  if (auto st = journal::check_new_journal_dir(out_dir); !st)
    return fail(fmt::format("--out: {}", st.error().message));
  if (std::filesystem::equivalent(source_dir, out_dir, ec))
    return fail("--out must differ from the journal replayed");
  auto reader = journal::Reader::open(source_dir);
  if (!reader) return tl::unexpected(reader.error());
  auto source_summary = (*reader)->summary();
  if (!source_summary) return tl::unexpected(source_summary.error());

  journal::Options opts;
  opts.durability = config.durability;
  opts.max_batch_records = config.max_batch;
  std::string model_id;
  auto cores = factory(config, &model_id);
  if (!cores) return tl::unexpected(cores.error());
  auto writer = journal::Writer::open(out_dir, opts);
  if (!writer) return tl::unexpected(writer.error());
  auto id = begin_recorded_session(**writer, config, config.node_id + " (what-if)", model_id, wall_ns());
  if (!id) return tl::unexpected(id.error());
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"what_if.source", source_dir},
                             {"what_if.source_chain_head", journal::to_hex(source_summary->chain_head)},
                             {"what_if.range", fmt::format("{}..{}", range.from_seq, std::min(range.to_seq, source_summary->last_seq))}}) {
    if (auto st = (*writer)->put_meta(k, v); !st) return tl::unexpected(st.error());
  }

  WhatIfReport report;
  DecisionHash hash;
  report.model_id = model_id;
  Simulator sim(std::move(*cores), config.snapshot_every, (*writer)->next_seq() - 1, 0);
  JournalSink sink(**writer, hash, report);
  // The feed's decisions are made again from what it received, with this config (an
  // import has none yet): ticks, gaps and refusals exactly as a node would journal them.
  MarketFeedCore* feed = sim.feed();
  std::vector<FeedInput> inputs;

  journal::Filter f;
  f.from_seq = range.from_seq;
  f.to_seq = range.to_seq;
  auto cursor = (*reader)->scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  for (;;) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) break;
    const auto& h = (*rec)->header;
    if (progress && h.seq % 4096 == 0) progress(h.seq, std::min(range.to_seq, source_summary->last_seq));
    if (!is_external(h.source)) continue;  // everything else the cores regenerate
    auto body = (*rec)->decode();
    if (!body) return fail(fmt::format("seq {}: {}", h.seq, body.error().message));
    inputs.clear();
    if (from_feed(h.source) && feed) {
      if (MarketFeedCore::is_decision(h.source, *body)) continue;  // made again below
      feed->admit(h.recv_ts_ns, std::move(*body), inputs);
    } else {
      inputs.push_back({h.source, h.recv_ts_ns, std::move(*body)});
    }
    for (auto& in : inputs) {
      ++report.inputs;
      if (auto st = sim.run(EnvelopeHeader{0, in.recv_ts_ns, in.source, in.destination, 0, 0, 1}, std::move(in.message), sink);
          !st)
        return tl::unexpected(st.error());
      if (sim.snapshot_due()) {
        if (auto st = (*writer)->put_snapshot(sim.last_seq(), save_cores(sim.cores())); !st)
          return tl::unexpected(st.error());
        sim.snapshot_taken();
      }
    }
  }
  if (auto c = (*writer)->commit(); !c) return tl::unexpected(c.error());
  if (auto st = (*writer)->end_session(*id, wall_ns(), "completed"); !st) return tl::unexpected(st.error());
  report.decisions = hash.decisions();
  report.decision_hash = hash.hex();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace trader::replay
