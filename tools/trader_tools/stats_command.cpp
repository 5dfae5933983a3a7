#include <array>
#include <cstdio>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "base/time_format.hpp"
#include "journal/journal.hpp"
#include "messages/message_json.hpp"
#include "messages/type_registry.hpp"
#include "replay/decision_hash.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {

struct StatsArgs {
  std::string dir;
  bool json = false;
};

int run_stats(const StatsArgs& a) {
  auto reader = journal::Reader::open(a.dir);
  if (!reader) {
    fmt::print(stderr, "error: {}\n", reader.error().message);
    return kExitError;
  }
  auto summary = (*reader)->summary();
  auto sessions = (*reader)->sessions();
  auto meta = (*reader)->meta();
  auto cursor = (*reader)->scan();
  for (const Error* e : {summary ? nullptr : &summary.error(), sessions ? nullptr : &sessions.error(),
                         meta ? nullptr : &meta.error(), cursor ? nullptr : &cursor.error()}) {
    if (e) {
      fmt::print(stderr, "error: {}\n", e->message);
      return kExitError;
    }
  }
  std::map<std::string, std::uint64_t> by_type;
  std::array<std::uint64_t, kActorCount> by_source{};
  std::int64_t min_ts = 0, max_ts = 0;
  std::uint64_t records = 0, payload_bytes = 0;
  std::map<std::uint16_t, std::uint64_t> by_type_id;
  replay::DecisionHash decisions;
  for (;;) {
    auto rec = cursor->next();
    if (!rec) {
      fmt::print(stderr, "error: {}\n", rec.error().message);
      return kExitFailed;
    }
    if (*rec == nullptr) break;
    const auto& h = (*rec)->header;
    ++by_type_id[h.type_id];
    const auto src = static_cast<std::size_t>(h.source);
    if (src < by_source.size()) ++by_source[src];
    min_ts = records == 0 ? h.recv_ts_ns : std::min(min_ts, h.recv_ts_ns);
    max_ts = records == 0 ? h.recv_ts_ns : std::max(max_ts, h.recv_ts_ns);
    payload_bytes += (*rec)->stored.size();
    ++records;
    if (replay::may_be_decision(h.type_id)) {  // only those are decoded; the hash's own rule says which
      auto body = (*rec)->decode();
      if (!body) {
        fmt::print(stderr, "error: seq {}: {}\n", h.seq, body.error().message);
        return kExitFailed;
      }
      decisions.add(*body);
    }
  }
  for (const auto& [id, n] : by_type_id) {
    const TypeInfo* t = find_type(id);
    by_type[t ? std::string(t->name) : fmt::format("type_{}", id)] = n;
  }
  const auto& s = *summary;
  const double per_record_disk = records ? static_cast<double>(s.file_bytes) / static_cast<double>(records) : 0.0;
  const double per_record_payload = records ? static_cast<double>(payload_bytes) / static_cast<double>(records) : 0.0;
  const std::string format = meta->count("format_version") ? meta->at("format_version") : "?";

  if (a.json) {
    std::string out = "{";
    out += fmt::format(R"("records":{},"first_seq":{},"last_seq":{},"batches":{},"format_version":{},"compacted":{},)",
                       records, s.first_seq, s.last_seq, s.batches, format, s.compacted);
    out += fmt::format(R"("first_recv_ts_ns":{},"last_recv_ts_ns":{},"file_bytes":{},"payload_bytes":{},)", min_ts,
                       max_ts, s.file_bytes, payload_bytes);
    out += fmt::format(R"("chain_head":"{}","decisions":{},"decision_hash":"{}","by_type":{{)",
                       journal::to_hex(s.chain_head), decisions.decisions(), decisions.hex());
    bool first = true;
    for (const auto& [name, n] : by_type) {
      out += fmt::format(R"({}"{}":{})", first ? "" : ",", name, n);
      first = false;
    }
    out += R"(},"by_source":{)";
    first = true;
    for (int i = 0; i < kActorCount; ++i) {
      if (!by_source[i]) continue;
      out += fmt::format(R"({}"{}":{})", first ? "" : ",", actor_name(static_cast<Actor>(i)), by_source[i]);
      first = false;
    }
    out += R"(},"sessions":[)";
    first = true;
    for (const auto& ss : *sessions) {
      out += first ? "" : ",";
      first = false;
      out += fmt::format(R"({{"id":{},"node_id":)", ss.id);
      append_json_string(out, ss.node_id);
      out += fmt::format(R"(,"start_seq":{},"end_seq":{},"end_reason":)", ss.start_seq, ss.end_seq);
      append_json_string(out, ss.end_reason);
      out += R"(,"code_version":)";
      append_json_string(out, ss.code_version);
      out += "}";
    }
    out += "]}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  }

  fmt::print("journal      {}\n", a.dir);
  fmt::print("format       v{}{}\n", format, s.compacted ? ", compacted (read-only; trader-tools compact --expand undoes it)" : "");
  if (records == 0) {
    fmt::print("records      0\n");
  } else {
    fmt::print("records      {} (seq {}..{})\n", records, s.first_seq, s.last_seq);
    fmt::print("time range   {} .. {} (UTC, receive time)\n", format_utc_ns(min_ts), format_utc_ns(max_ts));
  }
  fmt::print("batches      {} (group commits)\n", s.batches);
  fmt::print("file size    {} bytes, {:.1f} bytes/record on disk, {:.1f} bytes/record stored\n", s.file_bytes,
             per_record_disk, per_record_payload);
  fmt::print("chain head   {}\n", journal::to_hex(s.chain_head));
  fmt::print("decisions    {}, decision hash {}\n", decisions.decisions(), decisions.hex());
  fmt::print("by type\n");
  for (const auto& [name, n] : by_type) fmt::print("  {:<18} {:>12}\n", name, n);
  fmt::print("by source\n");
  for (int i = 0; i < kActorCount; ++i)
    if (by_source[i]) fmt::print("  {:<18} {:>12}\n", actor_name(static_cast<Actor>(i)), by_source[i]);
  fmt::print("sessions     {}\n", sessions->size());
  for (const auto& ss : *sessions) {
    fmt::print("  #{} {:<10} seq {}..{}  {} .. {}  {}\n", ss.id, ss.node_id, ss.start_seq, ss.end_seq,
               format_utc_ns(ss.start_ts_ns), ss.end_ts_ns ? format_utc_ns(ss.end_ts_ns) : "open",
               ss.end_reason.empty() ? "open (not closed: still running or crashed)" : ss.end_reason);
    // The build that recorded it: replay audits a session exactly with a build that decides the same.
    if (!ss.code_version.empty()) fmt::print("     recorded by {}\n", ss.code_version);
  }
  return kExitOk;
}

}  // namespace

void add_stats_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StatsArgs>();
  auto* cmd = app.add_subcommand("stats", "Summarise a journal: records, time range, types, sources, sessions, size");
  cmd->add_option("dir", args->dir, "journal directory")->required();
  cmd->add_flag("--json", args->json, "one JSON object instead of text");
  cmd->callback([args, &exit_code] { exit_code = run_stats(*args); });
}

}  // namespace trader::tools
