#include <cerrno>
#include <cstring>
#include <cstdio>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "base/file_write.hpp"
#include "base/time_format.hpp"
#include "journal/journal.hpp"
#include "messages/fixed_point.hpp"
#include "tools/trader_tools/commands.hpp"
#include "tools/trader_tools/output_path.hpp"
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

// One row per fill, and per liquidation: what was traded, at what cost, with what
// result, and why. The CSV is written whole or not at all (a damaged journal or a full
// disk leaves a file already at --csv as it was).
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
  // Where the CSV goes is checked before the journal is read (it is written at the end).
  if (a.csv != "-")
    if (auto can = check_output_path(a.csv); !can) {
      fmt::print(stderr, "error: {}\n", can.error().message);
      return kExitError;
    }
  std::string out = "time,seq,symbol,side,qty,price,fee,fee_asset,liquidity,realized_pnl,client_order_id,reason,"
                    "signal_seq,signal\n";

  std::map<std::string, SignalInfo> last_signal;  // by symbol
  std::map<std::uint64_t, Cause> by_intent;
  std::map<std::string, std::uint64_t> intent_of_order;  // client order id -> intent id
  struct PendingFill {
    std::uint64_t seq;
    OrderEvent event;
  };
  std::map<std::uint32_t, PendingFill> fills;  // fill number -> fill, until its portfolio state
  std::map<std::uint64_t, Liquidation> liquidations;  // by seq, until the portfolio state it causes
  std::uint32_t fill_count = 0;
  std::int64_t last_realized = 0;
  std::uint64_t fills_written = 0, liquidated = 0;

  for (;;) {
    auto rec = cursor->next();
    if (!rec) {
      fmt::print(stderr, "error: {}\n", rec.error().message);
      return kExitFailed;
    }
    if (*rec == nullptr) break;
    const auto& h = (*rec)->header;
    if (h.type_id != Signal::kTypeId && h.type_id != OrderIntent::kTypeId && h.type_id != RiskDecision::kTypeId &&
        h.type_id != OrderRequest::kTypeId && h.type_id != OrderEvent::kTypeId &&
        h.type_id != PortfolioState::kTypeId && h.type_id != Liquidation::kTypeId)
      continue;
    auto body = (*rec)->decode();
    if (!body) {
      fmt::print(stderr, "error: seq {}: {}\n", h.seq, body.error().message);
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
    } else if (const auto* l = std::get_if<Liquidation>(&*body)) {
      liquidations[h.seq] = *l;
    } else if (const auto* p = std::get_if<PortfolioState>(&*body)) {
      // Realized PnL moves only with a fill's or a liquidation's state: taken from every
      // state, so that one never lands on the next fill's row.
      const std::int64_t realized = p->realized_pnl - last_realized;
      last_realized = p->realized_pnl;
      if (auto l = liquidations.find(h.cause_seq); l != liquidations.end()) {
        // The venue closed the position at its bankruptcy price: no order, no fee.
        const Liquidation& liq = l->second;
        fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},0,,,{},,{},,\n", format_utc_ns(liq.ts_ms * 1'000'000),
                       l->first, csv_field(liq.symbol), liq.qty > 0 ? "sell" : "buy",
                       format_fixed(quantity_size(liq.qty)), format_fixed(liq.bankruptcy_price),
                       format_fixed(realized),
                       csv_field(fmt::format("liquidation: mark {} reached the liquidation price {}{}",
                                             format_fixed(liq.mark_price), format_fixed(liq.liquidation_price),
                                             liq.cross ? " (cross margin)" : "")));
        liquidations.erase(l);
        ++liquidated;
        continue;
      }
      auto it = fills.find(p->fills);
      if (it == fills.end()) continue;  // a mark-to-market state
      const auto& [seq, e] = it->second;
      const Cause cause = intent_of_order.count(e.client_order_id) && by_intent.count(intent_of_order[e.client_order_id])
                              ? by_intent[intent_of_order[e.client_order_id]]
                              : Cause{};
      fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                     format_utc_ns(e.ts_ms * 1'000'000), seq, csv_field(e.symbol), enum_name(e.side),
                     format_fixed(e.fill_qty), format_fixed(e.fill_price), format_fixed(e.fee), csv_field(e.fee_asset),
                     e.liquidity == Liquidity::maker ? "maker" : e.liquidity == Liquidity::taker ? "taker" : "",
                     format_fixed(realized), csv_field(e.client_order_id), csv_field(cause.reason),
                     cause.signal.seq ? std::to_string(cause.signal.seq) : "", csv_field(cause.signal.text));
      fills.erase(fills.begin(), std::next(it));
      ++fills_written;
    }
  }
  if (a.csv == "-") {
    // A full disk shows at the latest when the buffer is flushed: a failed write is a failed export.
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
      fmt::print(stderr, "error: cannot write the output: {}\n", std::strerror(errno));
      return kExitFailed;
    }
    return kExitOk;
  }
  if (auto written = write_file_atomically(a.csv, out); !written) {
    fmt::print(stderr, "error: {}\n", written.error().message);
    return kExitFailed;
  }
  fmt::print("{} fills{} written to {}\n", fills_written,
             liquidated ? fmt::format(" and {} liquidation(s)", liquidated) : std::string(), a.csv);
  return kExitOk;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand("export", "Export data from a journal");
  cmd->require_subcommand(1);
  auto* trades = cmd->add_subcommand("trades", "One CSV row per fill (and per liquidation): time, symbol, side, qty, "
                                               "price, fee, realized PnL, reason and the signal behind it");
  trades->add_option("dir", args->dir, "journal directory")->required();
  trades->add_option("--csv", args->csv, "output file, written whole or not at all ('-' for standard output)")->required();
  trades->callback([args, &exit_code] { exit_code = run_export(*args); });
}

}  // namespace trader::tools
