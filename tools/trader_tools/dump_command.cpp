#include <cerrno>
#include <cstring>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "base/time_format.hpp"
#include "journal/journal.hpp"
#include "messages/message_json.hpp"
#include "messages/type_registry.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {

struct DumpArgs {
  std::string dir;
  std::int64_t from = 1, to = std::numeric_limits<std::int64_t>::max();  // signed: "-1" is an error, not 2^64-1
  std::string type, source, since, until;
  std::int64_t limit = 0;
  bool json = false;
};

std::string type_names() {
  std::string s;
  for (const auto& t : all_types()) s += (s.empty() ? "" : ", ") + std::string(t.name);
  return s;
}

// Writes and clears `out`. A reader that went away (EPIPE) ends the dump quietly, leaving
// `out` unchanged; any other failure (a full disk) is an error.
int write_out(std::string& out) {
  if (std::fwrite(out.data(), 1, out.size(), stdout) == out.size()) {
    out.clear();
    return kExitOk;
  }
  if (errno == EPIPE) return kExitOk;
  fmt::print(stderr, "error: cannot write the output: {}\n", std::strerror(errno));
  return kExitFailed;
}

// Streams records; memory stays constant whatever the journal's size.
int run_dump(const DumpArgs& a) {
  if (a.from < 1 || a.to < 1 || a.limit < 0) {
    fmt::print(stderr, "error: --from and --to are seqs (1 or more) and --limit a count (0 or more)\n");
    return kExitError;
  }
  if (a.from > a.to) {
    fmt::print(stderr, "error: --from {} is after --to {}; expected --from <= --to\n", a.from, a.to);
    return kExitError;
  }
  journal::Filter filter;
  filter.from_seq = static_cast<std::uint64_t>(a.from);
  filter.to_seq = static_cast<std::uint64_t>(a.to);
  if (!a.type.empty()) {
    const TypeInfo* t = find_type(a.type);
    if (!t) {
      fmt::print(stderr, "error: --type {}: unknown type; expected one of: {}\n", a.type, type_names());
      return kExitError;
    }
    filter.type_id = t->id;
  }
  if (!a.source.empty()) {
    Actor actor{};
    if (!parse_actor(a.source, &actor)) {
      fmt::print(stderr, "error: --source {}: unknown actor; expected one of: market_feed, candle_builder, "
                         "strategy, risk, portfolio, order, operator, timer, exchange, journal, tools\n", a.source);
      return kExitError;
    }
    filter.source = actor;
  }
  for (auto [text, out, name] : {std::tuple{&a.since, &filter.from_ts_ns, "--since"},
                                 std::tuple{&a.until, &filter.to_ts_ns, "--until"}}) {
    if (text->empty()) continue;
    auto ns = parse_time_ns(*text);
    if (!ns) {
      fmt::print(stderr, "error: {} {}: expected nanoseconds or an ISO time like 2024-08-08T23:55:00Z\n", name, *text);
      return kExitError;
    }
    *out = *ns;
  }

  auto reader = journal::Reader::open(a.dir);
  if (!reader) {
    fmt::print(stderr, "error: {}\n", reader.error().message);
    return kExitError;
  }
  auto cursor = (*reader)->scan(filter);
  if (!cursor) {
    fmt::print(stderr, "error: {}\n", cursor.error().message);
    return kExitError;
  }
  MessageJson renderer;
  std::string out;
  out.reserve(1 << 20);
  std::uint64_t printed = 0;
  for (;;) {
    auto rec = cursor->next();
    if (!rec) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      fmt::print(stderr, "error: {}\n", rec.error().message);
      return kExitFailed;
    }
    if (*rec == nullptr) break;
    const auto& h = (*rec)->header;
    const TypeInfo* type = find_type(h.type_id);
    const std::string type_name = type ? std::string(type->name) : fmt::format("type_{}", h.type_id);
    if (a.json) {
      fmt::format_to(std::back_inserter(out),
                     R"({{"seq":{},"recv_ts_ns":{},"source":"{}","destination":"{}","dest_seq":{},"cause_seq":{},"type":"{}","body":)",
                     h.seq, h.recv_ts_ns, actor_name(h.source), actor_name(h.destination), h.dest_seq, h.cause_seq,
                     type_name);
    } else {
      fmt::format_to(std::back_inserter(out), "{} {} {}->{} {} ", h.seq, format_utc_ns(h.recv_ts_ns),
                     actor_name(h.source), actor_name(h.destination), type_name);
    }
    if (type) {
      auto body = (*rec)->body();
      if (!body) {
        fmt::print(stderr, "error: {}\n", body.error().message);  // it names the seq
        return kExitFailed;
      }
      if (auto st = renderer.append_body(out, *type, *body); !st) {
        fmt::print(stderr, "error: seq {}: {}\n", h.seq, st.error().message);
        return kExitFailed;
      }
    } else {
      out += "null";  // written by a newer build: the header is all this build can show
    }
    if (a.json) out.push_back('}');
    out.push_back('\n');
    if (out.size() > (1 << 20) - 4096) {
      if (auto code = write_out(out); code != kExitOk) return code;
      if (!out.empty()) return kExitOk;  // the reader went away
    }
    if (a.limit && ++printed >= static_cast<std::uint64_t>(a.limit)) break;
  }
  if (auto code = write_out(out); code != kExitOk) return code;
  if (std::fflush(stdout) != 0 && errno != EPIPE) {
    fmt::print(stderr, "error: cannot write the output: {}\n", std::strerror(errno));
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

void add_dump_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DumpArgs>();
  auto* cmd = app.add_subcommand("dump", "Print journal records, one line each");
  cmd->add_option("dir", args->dir, "journal directory")->required();
  cmd->add_option("--from", args->from, "first seq");
  cmd->add_option("--to", args->to, "last seq");
  cmd->add_option("--type", args->type, "only this message type (e.g. trade, candle, order_event)");
  cmd->add_option("--source", args->source, "only messages from this actor (e.g. market_feed)");
  cmd->add_option("--since", args->since, "only records received at or after this time (ns or ISO 8601, UTC)");
  cmd->add_option("--until", args->until, "only records received at or before this time");
  cmd->add_option("--limit", args->limit, "stop after N records");
  cmd->add_flag("--json", args->json, "JSON Lines: seq, recv_ts_ns, source, destination, dest_seq, cause_seq (the record it answers), type, body");
  cmd->callback([args, &exit_code] { exit_code = run_dump(*args); });
}

}  // namespace trader::tools
