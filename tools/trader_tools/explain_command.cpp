#include <memory>

#include <fmt/format.h>

#include "journal/journal.hpp"
#include "replay/explain.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {

namespace {

struct ExplainArgs {
  std::string dir, order;
  std::int64_t seq = 0, fill = 0;  // signed: "-1" is an error, not 2^64-1
  bool json = false;
};

}  // namespace

void add_explain_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ExplainArgs>();
  auto* cmd = app.add_subcommand(
      "explain", "Why a decision was taken: the chain of journaled causes from the input to the order, then its "
                 "answers, fills and the portfolio after them");
  cmd->add_option("dir", a->dir, "journal directory")->required();
  auto* order = cmd->add_option("--order", a->order, "an order's client order id");
  auto* seq = cmd->add_option("--seq", a->seq, "a record's seq");
  auto* fill = cmd->add_option("--fill", a->fill, "a fill's trade id at the venue (paper fills have none: use --seq)");
  order->excludes(seq, fill);
  seq->excludes(fill);
  cmd->add_flag("--json", a->json, "one JSON object: target_seq, client_order_id, chain, caused, after");
  cmd->callback([a, order, seq, fill, &exit_code] {
    if (order->count() + seq->count() + fill->count() != 1) {
      fmt::print(stderr, "error: explain takes one of --order CLIENT_ID, --seq N or --fill TRADE_ID\n");
      exit_code = kExitError;
      return;
    }
    if ((seq->count() && a->seq < 1) || (fill->count() && a->fill < 1)) {
      fmt::print(stderr, "error: --seq and --fill take a number of 1 or more (a fill's trade id is the venue's; paper "
                         "fills have none: explain them by --seq)\n");
      exit_code = kExitError;
      return;
    }
    auto reader = journal::Reader::open(a->dir);
    if (!reader) {
      fmt::print(stderr, "error: {}\n", reader.error().message);
      exit_code = kExitError;
      return;
    }
    replay::ExplainTarget target;
    if (order->count()) {
      target.kind = replay::ExplainTarget::Kind::order;
      target.client_order_id = a->order;
    } else if (seq->count()) {
      target.kind = replay::ExplainTarget::Kind::seq;
      target.seq = static_cast<std::uint64_t>(a->seq);
    } else {
      target.kind = replay::ExplainTarget::Kind::fill;
      target.trade_id = static_cast<std::uint64_t>(a->fill);
    }
    auto seq = replay::find_target(**reader, target);
    if (!seq) {  // a damaged record on the way: as dump, stats and verify say
      fmt::print(stderr, "error: {}\n", seq.error().message);
      exit_code = kExitFailed;
      return;
    }
    if (!*seq) {  // no such record, order or fill: the input is wrong
      fmt::print(stderr, "error: {}\n", replay::missing_target(target));
      exit_code = kExitError;
      return;
    }
    auto e = replay::explain(**reader, **seq);
    if (!e) {
      fmt::print(stderr, "error: {}\n", e.error().message);
      exit_code = kExitFailed;
      return;
    }
    fmt::print("{}", a->json ? replay::explain_json(*e) + "\n" : replay::explain_text(*e));
    exit_code = kExitOk;
  });
}

}  // namespace trader::tools
