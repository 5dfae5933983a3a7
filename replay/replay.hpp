#pragma once
// Replay of recorded sessions, driving the node's own cores without threads.
//  - verify: for each node session, rebuild its cores from the config it journaled, feed
//    the recorded external inputs (messages from actors the run does not simulate:
//    market_feed, timer, operator) through the node's schedule (simulator.hpp), and
//    compare every message produced with the record at the same seq: identical, or the
//    first divergence. Starting later than a session's start uses the nearest snapshot.
//  - what-if: feed the external inputs of a journal through the cores of another config
//    (paper fills) and write a complete new journal, itself verifiable.
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>

#include "actors/core_factory/core_factory.hpp"
#include "base/result.hpp"
#include "config/node_config.hpp"
#include "replay/session_record.hpp"
#include "replay/simulator.hpp"

namespace trader::replay {

struct Range {
  std::uint64_t from_seq = 1;
  std::uint64_t to_seq = std::numeric_limits<std::uint64_t>::max();
};

// The records received on one UTC day ("YYYY-MM-DD"), as a seq range.
Result<Range> day_range(const std::string& dir, const std::string& day);

// Builds a run's cores; the default is the node's (actors/core_factory/core_factory.hpp).
// `model_id` receives the strategy's model id (may be null).
using CoreFactory = trader::CoreFactory;
Result<Cores> node_cores(const NodeConfig& config, std::string* model_id = nullptr);

// Each node session's journaled config must hash to the config_hash its session record
// holds: an edited config (which would make replay audit another run) fails, naming the
// session. Sessions without a hash (imports, what-ifs of older builds) are skipped.
Status check_session_configs(journal::Reader& reader);

struct Divergence {
  std::uint64_t seq = 0;       // where the journal and the replay part ways
  Actor actor = Actor::none;   // who produced the message that differs
  std::uint64_t input_seq = 0; // the delivery that produced it
  std::string input;           // that input, decoded (JSON)
  std::string expected;        // the journal's record at `seq` (JSON), or what is missing
  std::string got;             // what the replay produced (JSON), or what is missing
};

// The lines `replay --verify` prints for a divergence: where, who, and the three records.
std::string describe(const Divergence& d);

struct VerifyReport {
  std::uint64_t messages = 0;          // records compared
  std::uint64_t inputs = 0;            // external inputs fed
  std::uint64_t sessions = 0;          // node sessions replayed
  std::uint64_t sessions_skipped = 0;  // sessions without actors (imports)
  std::uint64_t snapshot_seq = 0;      // the snapshot replay started from (0: none)
  std::uint64_t decisions = 0;
  std::string decision_hash;           // over the decisions in the range
  double seconds = 0;
  std::optional<Divergence> divergence;  // empty: identical
  std::uint64_t snapshots_checked = 0;   // snapshots compared with the replayed state
  std::string bad_snapshot;              // why a snapshot is wrong (empty: none is)
  // Where either of those two is in a session another build recorded, which (replay/
  // session_record.hpp): a build that decides differently diverges from a faithful record.
  std::string other_build;
  // The journal's last session stopped in the middle of a cascade (it crashed, or ended
  // with an error, and was not resumed): the consequences of its last input that the
  // replay produced after `cut_after_seq` and the journal never recorded. Not a
  // divergence: a resume regenerates and journals exactly these.
  std::uint64_t cut_after_seq = 0, unrecorded = 0;
};

// How far a run is: the seq of the record it has reached, and the last seq it will reach.
// Called every few thousand records (for a progress line); may be empty.
using ProgressFn = std::function<void(std::uint64_t seq, std::uint64_t last_seq)>;

Result<VerifyReport> verify(const std::string& dir, const Range& range, const CoreFactory& factory = node_cores,
                            const ProgressFn& progress = {});

struct WhatIfReport {
  std::uint64_t inputs = 0, records = 0;
  std::uint64_t decisions = 0;
  std::string decision_hash;
  PortfolioState portfolio;    // the last one published
  double seconds = 0;
  std::string model_id;
  // The portfolio's reports that it lost its book ("seq N: ...", PortfolioCore::lost_book):
  // risk halted there, and the run's figures are not the setting's (a node's run fails on
  // it alike).
  std::vector<std::string> lost_book;
};

// `out_dir` must not hold a journal yet.
Result<WhatIfReport> what_if(const std::string& source_dir, const Range& range, const NodeConfig& config,
                             const std::string& out_dir, const CoreFactory& factory = node_cores,
                             const ProgressFn& progress = {});

}  // namespace trader::replay
