#include "projection/tables.hpp"

#include <array>

namespace trader::projection {
namespace {

using K = ColumnKind;
constexpr Column kSessions[] = {
    {"session_id", K::integer}, {"start_seq", K::integer}, {"end_seq", K::integer, true},
    {"start_ts_ns", K::integer}, {"end_ts_ns", K::integer, true}, {"end_reason", K::text, true},
    {"node_id", K::text}, {"config_hash", K::text}, {"code_version", K::text},
    {"mode", K::text}, {"strategy", K::text}, {"model_id", K::text}};
constexpr Column kSignals[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"day", K::text}, {"symbol", K::text}, {"direction", K::text},
    {"confidence_ppm", K::integer}, {"model_id", K::text}, {"reason", K::text}, {"interval_s", K::integer},
    {"candle_open_time_ms", K::integer}, {"inputs", K::json, true}, {"strategy_id", K::text, true}};
constexpr Column kIntents[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"intent_id", K::integer}, {"symbol", K::text},
    {"side", K::text}, {"type", K::text}, {"qty", K::money}, {"limit_price", K::money},
    {"is_exit", K::boolean}, {"reason", K::text}, {"candle_seq", K::integer}, {"confidence_ppm", K::integer},
    {"votes", K::json, true}};
constexpr Column kRiskDecisions[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"intent_id", K::integer},
    {"symbol", K::text}, {"side", K::text}, {"type", K::text}, {"approved", K::boolean},
    {"approved_qty", K::money}, {"limit_price", K::money}, {"reason_code", K::text}, {"reason", K::text},
    {"state", K::text}, {"is_exit", K::boolean}, {"checks", K::json, true}};
constexpr Column kRiskStates[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"state", K::text}, {"reason", K::text},
    {"daily_pnl", K::money}, {"drawdown_ppm", K::integer}, {"orders_last_minute", K::integer},
    {"trades_today", K::integer}, {"open_positions", K::integer}};
constexpr Column kOrderRequests[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"client_order_id", K::text}, {"intent_id", K::integer},
    {"symbol", K::text}, {"side", K::text}, {"type", K::text}, {"qty", K::money}, {"limit_price", K::money},
    {"time_in_force", K::text}, {"cancel", K::boolean}};
constexpr Column kOrderEvents[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"client_order_id", K::text}, {"exchange_order_id", K::text},
    {"intent_id", K::integer}, {"symbol", K::text}, {"side", K::text}, {"kind", K::text},
    {"fill_qty", K::money}, {"fill_price", K::money}, {"cum_qty", K::money}, {"order_qty", K::money},
    {"fee", K::money}, {"fee_asset", K::text}, {"liquidity", K::text}, {"trade_id", K::integer},
    {"reason", K::text}};
constexpr Column kFills[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"day", K::text}, {"client_order_id", K::text},
    {"intent_id", K::integer}, {"symbol", K::text}, {"side", K::text}, {"qty", K::money}, {"price", K::money},
    {"quote_qty", K::money}, {"fee", K::money}, {"fee_asset", K::text}, {"liquidity", K::text},
    {"trade_id", K::integer}};
constexpr Column kPortfolio[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"day", K::text}, {"quote_asset", K::text}, {"cash", K::money},
    {"equity", K::money}, {"net_pnl", K::money}, {"realized_pnl", K::money}, {"unrealized_pnl", K::money},
    {"fees", K::money}, {"exposure", K::money}, {"drawdown_ppm", K::integer}, {"max_drawdown_ppm", K::integer},
    {"open_positions", K::integer}, {"fills", K::integer}, {"round_trips", K::integer},
    {"winning_round_trips", K::integer}, {"starting_cash", K::money}, {"funding", K::money, true}};
constexpr Column kPositions[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"symbol", K::text}, {"qty", K::money},
    {"avg_entry_price", K::money}, {"last_price", K::money}, {"unrealized_pnl", K::money},
    {"realized_pnl", K::money},
    // Perpetuals only (NULL for spot): the position's margin, liquidation price and leverage.
    {"margin", K::money, true}, {"liquidation_price", K::money, true}, {"leverage", K::integer, true}};
constexpr Column kBalances[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"venue", K::text}, {"asset", K::text}, {"symbol", K::text},
    {"free", K::money}, {"locked", K::money}, {"price", K::money}};
constexpr Column kCandles[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"symbol", K::text}, {"interval_s", K::integer}, {"open_time_ms", K::integer},
    {"close_time_ms", K::integer}, {"open", K::money}, {"high", K::money}, {"low", K::money},
    {"close", K::money}, {"volume", K::money}, {"quote_volume", K::money}, {"trades", K::integer},
    {"vwap", K::money}, {"from_exchange", K::boolean}};
constexpr Column kErrors[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ns", K::integer}, {"source", K::text}, {"code", K::text}, {"message", K::text},
    {"context", K::text}, {"ref_seq", K::integer}};
constexpr Column kFeedStatus[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ns", K::integer}, {"kind", K::text}, {"symbol", K::text}, {"stream", K::text},
    {"expected_id", K::integer}, {"received_id", K::integer}, {"detail", K::text}};
constexpr Column kOperatorCommands[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ns", K::integer}, {"kind", K::text}, {"issued_by", K::text}, {"reason", K::text}};

// The numbers the venue liquidated on (trading.capnp Liquidation); `loss` is what the
// portfolio lost with it.
constexpr Column kLiquidations[] = {
    {"seq", K::integer}, {"cause_seq", K::integer}, {"ts_ms", K::integer}, {"day", K::text}, {"symbol", K::text},
    {"qty", K::money}, {"entry_price", K::money}, {"leverage", K::integer}, {"mark_price", K::money},
    {"margin", K::money}, {"margin_balance", K::money}, {"maintenance", K::money}, {"maintenance_rate", K::money},
    {"liquidation_price", K::money}, {"bankruptcy_price", K::money}, {"loss", K::money}, {"cross_margin", K::boolean}};

constexpr Column kAlerts[] = {
    {"session_id", K::integer}, {"n", K::integer}, {"seq", K::integer, true}, {"time_ns", K::integer},
    {"day", K::text}, {"severity", K::text}, {"kind", K::text}, {"text", K::text}};

constexpr std::string_view kBySession[] = {"session_id"};
constexpr std::string_view kBySessionAlert[] = {"session_id", "n"};
constexpr std::string_view kBySeq[] = {"seq"};
constexpr std::string_view kBySeqSymbol[] = {"seq", "symbol"};
constexpr std::string_view kBySeqAsset[] = {"seq", "asset"};

constexpr std::array<Table, kTableCount> kTables{{
    {"sessions", kSessions, kBySession, true},
    {"signals", kSignals, kBySeq},
    {"intents", kIntents, kBySeq},
    {"risk_decisions", kRiskDecisions, kBySeq},
    {"risk_states", kRiskStates, kBySeq},
    {"order_requests", kOrderRequests, kBySeq},
    {"order_events", kOrderEvents, kBySeq},
    {"fills", kFills, kBySeq},
    {"portfolio", kPortfolio, kBySeq},
    {"positions", kPositions, kBySeqSymbol},
    {"balances", kBalances, kBySeqAsset},
    {"candles", kCandles, kBySeq},
    {"errors", kErrors, kBySeq},
    {"feed_status", kFeedStatus, kBySeq},
    {"operator_commands", kOperatorCommands, kBySeq},
    // A session's last alerts come with its end, which may be after the progress: always upserted.
    {"alerts", kAlerts, kBySessionAlert, true},
    {"liquidations", kLiquidations, kBySeq},
}};

}  // namespace

const Table& table(TableId id) { return kTables[static_cast<std::size_t>(id)]; }

}  // namespace trader::projection
