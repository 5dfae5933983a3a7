#include <cerrno>
#include <cstring>
#include <cstdio>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "base/time_format.hpp"
#include "journal/journal.hpp"
#include "messages/fixed_point.hpp"
#include "tools/trader_tools/commands.hpp"
#include "base/csv.hpp"
#include "messages/enum_names.hpp"

namespace trader::tools {
namespace {

struct ExportArgs {
  std::string dir;
  std::string csv;
};



struct SignalInfo {
  std::uint64_t seq = 0;
  std::string text;
};
struct Cause {
  std::string reason;
  SignalInfo signal;
};

// One row per fill: what was traded, at what cost, with what result, and why.
int run_export(const ExportArgs& a) {
  auto reader = journal::Reader::open(a.dir);
  if (!reader) {
    fmt::print(stderr, "error: {}\n", reader.error().message);
    return kExitError;
  }
  auto cursor = (*reader)->scan();
  if (!cursor) {
    fmt::print(stderr, "error: {}\n", cursor.error().message);
    return kExitError;
  }
  std::FILE* out = a.csv == "-" ? stdout : std::fopen(a.csv.c_str(), "w");
  if (!out) {
    fmt::print(stderr, "error: cannot write {}: {}\n", a.csv, std::strerror(errno));
    return kExitError;
  }
  fmt::print(out, "time,seq,symbol,side,qty,price,fee,fee_asset,liquidity,realized_pnl,client_order_id,reason,"
                  "signal_seq,signal\n");

  std::map<std::string, SignalInfo> last_signal;  // by symbol
  std::map<std::uint64_t, Cause> by_intent;
  std::map<std::string, std::uint64_t> intent_of_order;  // client order id -> intent id
  struct PendingFill {
    std::uint64_t seq;
    OrderEvent event;
  };
  std::map<std::uint32_t, PendingFill> fills;  // fill number -> fill, until its portfolio state
  std::uint32_t fill_count = 0;
  std::int64_t last_realized = 0;
  std::uint64_t rows = 0;

  for (;;) {
    auto rec = cursor->next();
    if (!rec) {
      fmt::print(stderr, "error: {}\n", rec.error().message);
      if (out != stdout) std::fclose(out);
      return kExitFailed;
    }
    if (*rec == nullptr) break;
    const auto& h = (*rec)->header;
    if (h.type_id != Signal::kTypeId && h.type_id != OrderIntent::kTypeId && h.type_id != RiskDecision::kTypeId &&
        h.type_id != OrderRequest::kTypeId && h.type_id != OrderEvent::kTypeId &&
        h.type_id != PortfolioState::kTypeId)
      continue;
    auto body = (*rec)->decode();
    if (!body) {
      fmt::print(stderr, "error: seq {}: {}\n", h.seq, body.error().message);
      if (out != stdout) std::fclose(out);
      return kExitFailed;
    }
    if (const auto* s = std::get_if<Signal>(&*body)) {
      last_signal[s->symbol] = {h.seq, fmt::format("{} {:.2f} {}", enum_name(s->direction),
                                                   s->confidence_ppm / 1e6, s->reason)};
    } else if (const auto* i = std::get_if<OrderIntent>(&*body)) {
      by_intent[i->intent_id] = {i->reason, last_signal[i->symbol]};
    } else if (const auto* d = std::get_if<RiskDecision>(&*body)) {
      if (!by_intent.count(d->intent_id))  // risk's own exits (stop loss, take profit, flatten)
        by_intent[d->intent_id] = {d->reason_code + ": " + d->reason, {}};
    } else if (const auto* r = std::get_if<OrderRequest>(&*body)) {
      if (!r->cancel) intent_of_order[r->client_order_id] = r->intent_id;
    } else if (const auto* e = std::get_if<OrderEvent>(&*body)) {
      if (e->fill_qty > 0) fills[++fill_count] = {h.seq, *e};
    } else if (const auto* p = std::get_if<PortfolioState>(&*body)) {
      auto it = fills.find(p->fills);
      if (it == fills.end()) continue;  // a mark-to-market state
      const auto& [seq, e] = it->second;
      const std::int64_t realized = p->realized_pnl - last_realized;
      last_realized = p->realized_pnl;
      const Cause cause = intent_of_order.count(e.client_order_id) && by_intent.count(intent_of_order[e.client_order_id])
                              ? by_intent[intent_of_order[e.client_order_id]]
                              : Cause{};
      fmt::print(out, "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", format_utc_ns(e.ts_ms * 1'000'000), seq,
                 csv_field(e.symbol), enum_name(e.side), format_fixed(e.fill_qty), format_fixed(e.fill_price),
                 format_fixed(e.fee), csv_field(e.fee_asset),
                 e.liquidity == Liquidity::maker ? "maker" : e.liquidity == Liquidity::taker ? "taker" : "",
                 format_fixed(realized), csv_field(e.client_order_id), csv_field(cause.reason),
                 cause.signal.seq ? std::to_string(cause.signal.seq) : "", csv_field(cause.signal.text));
      fills.erase(fills.begin(), std::next(it));
      ++rows;
    }
  }
  // A full disk shows at the latest when the buffer is flushed: a failed write is a failed export.
  const bool written = std::fflush(out) == 0 && !std::ferror(out);
  const int write_errno = errno;
  if (out != stdout && std::fclose(out) != 0 && written) {
    fmt::print(stderr, "error: cannot write {}: {}\n", a.csv, std::strerror(errno));
    return kExitFailed;
  }
  if (!written) {
    fmt::print(stderr, "error: cannot write {}: {}\n", a.csv, std::strerror(write_errno));
    return kExitFailed;
  }
  if (a.csv != "-") fmt::print("{} fills written to {}\n", rows, a.csv);
  return kExitOk;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand("export", "Export data from a journal");
  cmd->require_subcommand(1);
  auto* trades = cmd->add_subcommand("trades", "One CSV row per fill: time, symbol, side, qty, price, fee, "
                                               "realized PnL, reason and the signal behind it");
  trades->add_option("dir", args->dir, "journal directory")->required();
  trades->add_option("--csv", args->csv, "output file ('-' for standard output)")->required();
  trades->callback([args, &exit_code] { exit_code = run_export(*args); });
}

}  // namespace trader::tools
