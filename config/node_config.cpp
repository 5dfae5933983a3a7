#include "config/node_config.hpp"

#include "credentials/credentials.hpp"
#include "messages/instrument.hpp"

#include <algorithm>
#include <arpa/inet.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "exchange/binance/frame_parser.hpp"
#include "exchange/kucoin/handshake.hpp"
#include "futures/contract.hpp"
#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"

namespace trader {
namespace {

// A libpq URI's password: "user:secret@host" in its authority, or a password= parameter.
bool uri_has_password(std::string_view uri) {
  const auto start = uri.find("//");
  if (start == std::string_view::npos) return false;
  const auto rest = uri.substr(start + 2);
  const auto authority = rest.substr(0, rest.find_first_of("/?"));
  const auto at = authority.rfind('@');
  return (at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos) ||
         uri.find("password=") != std::string_view::npos;
}

// Reads typed values by dotted path, remembering which keys exist in the schema and
// collecting every error with its place.
class Reader {
 public:
  Reader(const toml::table& root, std::string file) : root_(root), file_(std::move(file)) {}

  std::vector<std::string> errors;

  std::string where(std::string_view path, const toml::node* n) const {
    if (n && n->source().begin.line > 0) return fmt::format("{}:{}: {}", file_, n->source().begin.line, path);
    if (n) return fmt::format("--set {}", path);
    return fmt::format("{}: {}", file_, path);
  }
  void error(std::string_view path, const toml::node* n, const std::string& what) {
    errors.push_back(fmt::format("{}: {}", where(path, n), what));
  }
  const toml::node* find(std::string_view path) {
    known_.insert(std::string(path));
    return root_.at_path(path).node();
  }
  // Whether the config holds `path`, without making it a key of the schema.
  const toml::node* peek(std::string_view path) const { return root_.at_path(path).node(); }
  static const char* type_name(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a number with a fraction";
      case toml::node_type::boolean: return "a boolean";
      case toml::node_type::array: return "an array";
      case toml::node_type::table: return "a table";
      default: return "a date/time";
    }
  }
  void wrong_type(std::string_view path, const toml::node* n, const char* expected) {
    error(path, n, fmt::format("expected {}, got {}", expected, type_name(*n)));
  }

  // The effective value of every key the schema reads, in the order read, with where it
  // came from: what --print-config shows and what the defaults test walks.
  std::vector<ConfigKey> keys;

  std::string source_of(const toml::node* n) const {
    if (!n) return "default";
    if (n->source().begin.line > 0) return fmt::format("{}:{}", file_, n->source().begin.line);
    return "--set";
  }
  void record(std::string_view path, const toml::node* n, std::string value) {
    keys.push_back({std::string(path), std::move(value), source_of(n)});
  }
  // A key's effective value where the loader derived it (a default that depends on other
  // keys): what --print-config shows and the journal holds. `note` is added to its source;
  // `source`, if given, replaces it.
  void set_effective(std::string_view path, std::string value, std::string_view note = "", std::string source = "") {
    for (auto& k : keys)
      if (k.key == path) k = {k.key, std::move(value), source.empty() ? k.source + std::string(note) : std::move(source)};
  }
  static std::string quoted(const std::string& s) {  // a TOML basic string
    std::string t = "\"";
    for (const char ch : s) {
      if (ch == '"' || ch == '\\') t += '\\';
      if (static_cast<unsigned char>(ch) < 0x20) t += fmt::format("\\u{:04x}", static_cast<int>(ch));
      else t += ch;
    }
    return t + "\"";
  }
  static std::string real(double d) {
    auto t = fmt::format("{}", d);
    if (t.find_first_of(".en") == std::string::npos) t += ".0";  // stays a float in TOML
    return t;
  }

  void string(std::string_view path, std::string& out, std::initializer_list<std::string_view> allowed = {}) {
    const auto* n = find(path);
    if (n) {
      const auto* v = n->as_string();
      if (!v) return wrong_type(path, n, "a string");
      if (allowed.size() && std::find(allowed.begin(), allowed.end(), v->get()) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string("\"") + std::string(a) + "\"";
        return error(path, n, fmt::format("\"{}\" is not one of {}", v->get(), list));
      }
      out = v->get();
    }
    record(path, n, quoted(out));
  }
  template <class T>
  void integer(std::string_view path, T& out, std::int64_t min, std::int64_t max) {
    const auto* n = find(path);
    if (n) {
      const auto* v = n->as_integer();
      if (!v) return wrong_type(path, n, "an integer");
      if (v->get() < min || v->get() > max)
        return error(path, n, fmt::format("{} is out of range [{}, {}]", v->get(), min, max));
      out = static_cast<T>(v->get());
    }
    record(path, n, std::to_string(out));
  }
  bool read_number(std::string_view path, const toml::node* n, double& out, double min, double max) {
    double d = 0;
    if (const auto* f = n->as_floating_point()) d = f->get();
    else if (const auto* i = n->as_integer()) d = static_cast<double>(i->get());
    else return wrong_type(path, n, "a number"), false;
    if (!(d >= min && d <= max)) return error(path, n, fmt::format("{} is out of range [{}, {}]", d, min, max)), false;
    out = d;
    return true;
  }
  void number(std::string_view path, double& out, double min, double max) {
    const auto* n = find(path);
    if (n && !read_number(path, n, out, min, max)) return;
    record(path, n, real(out));
  }
  // A quantity in the user's unit (`unit` per stored step) stored as an integer number of
  // steps: a fraction 0..1 in parts per million, a percent in ppm, a multiple in thousandths.
  void scaled(std::string_view path, std::uint32_t& out, double max, double steps_per_unit) {
    const auto* n = find(path);
    double d = static_cast<double>(out) / steps_per_unit;
    if (n) {
      if (!read_number(path, n, d, 0.0, max)) return;
      out = static_cast<std::uint32_t>(std::llround(d * steps_per_unit));
    }
    record(path, n, real(d));
  }
  void ppm(std::string_view path, std::uint32_t& out, double max = 1.0) { scaled(path, out, max, 1e6); }
  // A fee rate written in basis points with at most two decimals ("7.5": Binance spot paid
  // in BNB), stored in millionths of the notional; whole rates are printed as integers.
  void fee_bps(std::string_view path, std::uint32_t& out_ppm) {
    const auto* n = find(path);
    if (n) {
      double d = 0;
      if (!read_number(path, n, d, 0.0, 10000.0)) return;
      const double hundredths = d * 100;
      if (std::abs(hundredths - std::round(hundredths)) > 1e-6)
        return error(path, n, fmt::format("{} has more than two decimals of a basis point (0.01 bps = 0.0001 %)", d));
      out_ppm = static_cast<std::uint32_t>(std::llround(hundredths));
    }
    record(path, n, out_ppm % 100 == 0 ? std::to_string(out_ppm / 100) : real(out_ppm / 100.0));
  }
  // Written in percent ("2.0" = 2 %), stored as a fraction in ppm.
  void percent(std::string_view path, std::uint32_t& out, double max) { scaled(path, out, max, 1e4); }
  void milli(std::string_view path, std::uint32_t& out) { scaled(path, out, 1e6, 1e3); }
  void boolean(std::string_view path, bool& out) {
    const auto* n = find(path);
    if (n) {
      const auto* v = n->as_boolean();
      if (!v) return wrong_type(path, n, "true or false");
      out = v->get();
    }
    record(path, n, out ? "true" : "false");
  }
  // Prices, quantities, money: exact decimals, written as strings ("0.00001") or integers.
  void fixed(std::string_view path, std::int64_t& out, bool allow_negative = false) {
    const auto* n = find(path);
    if (n) {
      std::optional<std::int64_t> v;
      if (const auto* s = n->as_string()) v = parse_fixed(s->get());
      else if (const auto* i = n->as_integer()) v = parse_fixed(std::to_string(i->get()));
      else if (n->is_floating_point())
        return error(path, n, "write exact amounts as strings, e.g. \"0.00001\" (a float cannot hold them exactly)");
      else return wrong_type(path, n, "a decimal string");
      if (!v) return error(path, n, "not a decimal with at most 8 places within ±92233720368.54775807 (the fixed-point range)");
      if (*v < 0 && !allow_negative) return error(path, n, "must not be negative");
      out = *v;
    }
    record(path, n, quoted(format_fixed(out)));
  }
  static std::string quoted_list(const std::vector<std::string>& v) {
    std::string t = "[";
    for (const auto& e : v) t += (t.size() > 1 ? ", " : "") + quoted(e);
    return t + "]";
  }
  bool read_strings(std::string_view path, const toml::node* n, std::vector<std::string>& out) {
    const auto* a = n->as_array();
    if (!a) return wrong_type(path, n, "an array of strings"), false;
    std::vector<std::string> v;
    for (const auto& e : *a) {
      if (!e.is_string())
        return error(path, n, fmt::format("expected an array of strings, found {}", type_name(e))), false;
      v.push_back(e.as_string()->get());
    }
    out = std::move(v);
    return true;
  }
  void strings(std::string_view path, std::vector<std::string>& out) {
    const auto* n = find(path);
    if (n && !read_strings(path, n, out)) return;
    record(path, n, quoted_list(out));
  }
  static std::string interval_name(std::uint32_t secs) {
    if (secs % 86400 == 0) return fmt::format("{}d", secs / 86400);
    if (secs % 3600 == 0) return fmt::format("{}h", secs / 3600);
    if (secs % 60 == 0) return fmt::format("{}m", secs / 60);
    return fmt::format("{}s", secs);
  }
  void interval(std::string_view path, std::uint32_t& out) {
    const auto* n = find(path);
    if (n) {
      const auto* v = n->as_string();
      if (!v) return wrong_type(path, n, "a string");
      const auto secs = binance::interval_seconds(v->get());
      if (secs == 0) return error(path, n, fmt::format("\"{}\" is not an interval like \"1m\", \"5m\", \"1h\"", v->get()));
      out = secs;
    }
    record(path, n, quoted(interval_name(out)));
  }
  void intervals(std::string_view path, std::vector<std::uint32_t>& out) {
    const auto* n = find(path);
    if (n) {
      std::vector<std::string> list;
      if (!read_strings(path, n, list)) return;
      std::vector<std::uint32_t> v;
      for (const auto& s : list) {
        const auto secs = binance::interval_seconds(s);
        if (secs == 0) return error(path, n, fmt::format("\"{}\" is not an interval like \"1m\", \"5m\", \"1h\"", s));
        v.push_back(secs);
      }
      if (v.empty()) return error(path, n, "needs at least one interval");
      out = std::move(v);
    }
    std::vector<std::string> names;
    for (auto secs : out) names.push_back(interval_name(secs));
    record(path, n, quoted_list(names));
  }
  // A model's feature columns: "ret_1" of the strategy's own interval, "rsi_14@1h" of
  // another of candles.intervals (model/timeframe_features.hpp). Empty: every feature of
  // the strategy's interval.
  void features(std::string_view path, std::uint32_t base_s, const std::vector<std::uint32_t>& intervals,
                std::vector<model::FeatureColumn>& out) {
    const auto* n = find(path);
    if (n) {
      std::vector<std::string> list;
      if (!read_strings(path, n, list)) return;
      std::vector<model::FeatureColumn> v;
      const auto& names = model::feature_names();
      for (const auto& s : list) {
        const auto at = s.find('@');
        const std::string feature = s.substr(0, at);
        std::uint32_t interval = base_s;
        if (at != std::string::npos) {
          interval = binance::interval_seconds(s.substr(at + 1));
          if (interval == 0)
            return error(path, n, fmt::format("\"{}\": \"{}\" is not an interval like \"1m\", \"1h\"", s, s.substr(at + 1)));
          if (std::find(intervals.begin(), intervals.end(), interval) == intervals.end())
            return error(path, n, fmt::format("\"{}\": {} is not one of candles.intervals", s, s.substr(at + 1)));
        }
        const auto it = std::find(names.begin(), names.end(), feature);
        if (it == names.end()) {
          std::string known;
          for (auto name : names) known += (known.empty() ? "" : ", ") + std::string(name);
          return error(path, n, fmt::format("\"{}\" is not a feature; they are {}", feature, known));
        }
        model::FeatureColumn col{interval, static_cast<std::size_t>(it - names.begin()),
                                 interval == base_s ? feature : feature + "@" + interval_name(interval)};
        if (std::any_of(v.begin(), v.end(), [&col](const auto& c) { return c.name == col.name; }))
          return error(path, n, fmt::format("\"{}\" is listed twice", col.name));
        v.push_back(std::move(col));
      }
      out = std::move(v);
    }
    std::vector<std::string> names;
    for (const auto& c : out) names.push_back(c.name);
    record(path, n, quoted_list(names));
  }
  // The regimes a strategy trades in, by name: trends and volatilities (regime_filter.hpp);
  // none of one kind listed: any of it.
  void regimes(std::string_view path, RegimeFilter& out) {
    static constexpr std::array<std::string_view, 6> kNames{"range", "up", "down", "normal_vol", "low_vol", "high_vol"};
    const auto* n = find(path);
    if (n) {
      std::vector<std::string> list;
      if (!read_strings(path, n, list)) return;
      RegimeFilter f{0, 0};
      for (const auto& name : list) {
        const auto it = std::find(kNames.begin(), kNames.end(), name);
        if (it == kNames.end())
          return error(path, n, fmt::format("\"{}\" is not a regime; they are \"range\", \"up\", \"down\", "
                                            "\"low_vol\", \"normal_vol\", \"high_vol\"", name));
        const auto i = static_cast<unsigned>(it - kNames.begin());
        if (i < 3) f.trends |= static_cast<std::uint8_t>(1U << i);
        else f.volatilities |= static_cast<std::uint8_t>(1U << (i - 3));
      }
      if (f.trends == 0) f.trends = 0b111;
      if (f.volatilities == 0) f.volatilities = 0b111;
      out = f;
    }
    std::vector<std::string> names;
    for (unsigned i = 0; i < 6; ++i) {
      const std::uint8_t mask = i < 3 ? out.trends : out.volatilities;
      if (mask != 0b111 && (mask >> (i % 3) & 1U)) names.emplace_back(kNames[i]);
    }
    record(path, n, quoted_list(names));
  }
  // A string key naming one of a mode's values.
  template <class E>
  void mode(std::string_view path, E& out, const ModeNames<E>& names) {
    std::string s(mode_name(names, out));
    const auto* n = find(path);
    if (n) {
      const auto* v = n->as_string();
      if (!v) return wrong_type(path, n, "a string");
      bool known = false;
      std::string list;
      for (const auto& [name, value] : names) {
        if (name.empty()) continue;
        list += (list.empty() ? "" : ", ") + std::string("\"") + std::string(name) + "\"";
        if (name == v->get()) {
          out = value;
          known = true;
        }
      }
      if (!known) return error(path, n, fmt::format("\"{}\" is not one of {}", v->get(), list));
      s = v->get();
    }
    record(path, n, quoted(s));
  }
  void stop_mode(std::string_view path, StopMode& out) {
    std::string s = out == StopMode::off ? "off" : out == StopMode::percent ? "percent" : "volatility";
    string(path, s, {"off", "percent", "volatility"});
    if (s == "off") out = StopMode::off;
    else if (s == "percent") out = StopMode::percent;
    else if (s == "volatility") out = StopMode::volatility;
  }

  // Every key present in the file must be one the schema asked for.
  void check_unknown(const toml::table& t, const std::string& prefix) {
    for (const auto& [k, v] : t) {
      const std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (const auto* a = v.as_array(); a && a->is_array_of_tables()) {  // [[name]]: each entry's keys
        for (std::size_t i = 0; i < a->size(); ++i) check_unknown(*a->get(i)->as_table(), fmt::format("{}[{}]", path, i));
        if (known_.count(path)) continue;
      }
      if (known_.count(path)) continue;
      if (const auto* sub = v.as_table()) {
        bool is_section = false;
        for (const auto& known : known_)
          if (known.rfind(path + ".", 0) == 0) is_section = true;
        if (is_section) {
          check_unknown(*sub, path);
          continue;
        }
        error(path, &v, "unknown section");
        continue;
      }
      error(path, &v, "unknown key");
    }
  }

 private:
  const toml::table& root_;
  std::string file_;
  std::set<std::string> known_;
};

// [market] and [market.SYMBOL]: every symbol's lot, minimum notional and tick, and a
// symbol's own where its venue's steps differ (each key defaulting to [market]'s).
MarketRuleBook read_market_rules(Reader& r) {
  MarketRuleBook book;
  auto read = [&](const std::string& p, MarketRules& rules) {
    r.fixed(p + "lot_step", rules.lot_step);
    r.fixed(p + "min_notional", rules.min_notional);
    r.fixed(p + "tick_size", rules.tick_size);
    for (auto [key, v] : {std::pair{"lot_step", rules.lot_step}, std::pair{"tick_size", rules.tick_size}})
      if (v <= 0) r.error(p + key, r.find(p + key), "must be positive");
  };
  read("market.", book.every_symbol);
  const auto* n = r.peek("market");
  if (!n || !n->as_table()) return book;  // not a table: refused as an unknown key
  for (const auto& [key, value] : *n->as_table()) {
    if (!value.is_table()) continue;  // [market]'s own keys, read above (or refused as unknown)
    const std::string symbol(key.str());
    MarketRules rules = book.every_symbol;
    const std::string p = "market." + symbol + ".";
    read(p, rules);
    for (auto [key, v] : {std::pair{"lot_step", rules.lot_step}, std::pair{"min_notional", rules.min_notional},
                          std::pair{"tick_size", rules.tick_size}})  // what it inherits from [market], said so
      if (!r.peek(p + key)) {
        const auto* from = r.peek(std::string("market.") + key);
        r.set_effective(p + key, Reader::quoted(format_fixed(v)), "", (from ? r.source_of(from) : "default") + " via [market]");
      }
    book.by_symbol.emplace(symbol, rules);
  }
  return book;
}

// [order.fees.VENUE]: a venue's own fee rates (its tier), each defaulting to [order]'s.
void read_venue_fees(Reader& r, PaperExchangeConfig& paper) {
  const auto* n = r.peek("order.fees");
  if (!n) return;
  const auto* table = n->as_table();
  if (!table) {
    r.find("order.fees");
    return r.error("order.fees", n, "expected a table of venues, e.g. fees.coinbase = {taker_bps = 60, maker_bps = 40}");
  }
  for (const auto& [key, value] : *table) {
    const std::string name(key.str()), p = "order.fees." + name;
    const auto venue = parse_venue(name);
    if (!venue || !value.is_table()) {
      r.find(p);
      r.error(p, &value, venue ? "expected a table: {taker_bps = ..., maker_bps = ...}"
                               : "unknown venue (expected binance, binance_usdm, coinbase, kucoin or kucoin_futures)");
      continue;
    }
    FeeRates rates = paper.fees;
    r.fee_bps(p + ".taker_bps", rates.taker_ppm);
    r.fee_bps(p + ".maker_bps", rates.maker_ppm);
    paper.venue_fees[*venue] = rates;
  }
}

// The venues a session fills on: its feed's, and each other venue's.
std::set<VenueId> filled_venues(const NodeConfig& c) {
  std::set<VenueId> venues{c.feed_venue()};
  for (const auto& o : c.other_venues) venues.insert(o.id);
  return venues;
}

// A venue's first (regular) fee tier as it publishes it, where it is not [order]'s default
// of 10 and 10 bps (Binance spot's, and KuCoin spot's level 0).
std::optional<FeeRates> first_tier(VenueId venue) {
  switch (venue) {
    case VenueId::coinbase: return FeeRates{6000, 4000};        // Advanced Trade: 0.60 % taker, 0.40 % maker
    case VenueId::binance_usdm: return FeeRates{500, 200};      // USDⓈ-M VIP 0: 0.05 %, 0.02 %
    case VenueId::kucoin_futures: return FeeRates{600, 200};    // LV0: 0.06 %, 0.02 %
    case VenueId::binance:
    case VenueId::kucoin: break;
  }
  return std::nullopt;
}

// A new session (a node's, or a what-if's over a user's file) pays each venue it trades
// that venue's first tier for a rate neither order.fees.VENUE nor [order] sets. The rates
// are then written into the config as order.fees.VENUE, so that the journaled config says
// what the session paid and replays so on any build: a recorded config reads no venue
// default (one journaled before them paid [order]'s, and still replays so).
void default_venue_fees(Reader& r, toml::table& root, NodeConfig& c) {
  for (const VenueId v : filled_venues(c)) {
    const auto tier = first_tier(v);
    if (!tier) continue;
    const std::string name(venue_name(v)), p = "order.fees." + name;
    const auto given = c.paper.venue_fees.find(v);
    FeeRates rates = given != c.paper.venue_fees.end() ? given->second : c.paper.fees;
    const bool taker = !r.peek(p + ".taker_bps") && !r.peek("order.taker_fee_bps");
    const bool maker = !r.peek(p + ".maker_bps") && !r.peek("order.maker_fee_bps");
    if (taker) rates.taker_ppm = tier->taker_ppm;
    if (maker) rates.maker_ppm = tier->maker_ppm;
    if (!taker && !maker) continue;
    auto* order = root["order"].as_table();
    if (!order) order = root.insert_or_assign("order", toml::table{}).first->second.as_table();
    if ((*order)["fees"] && !(*order)["fees"].is_table()) return;  // refused by read_venue_fees
    auto* fees = (*order)["fees"].as_table();
    if (!fees) fees = order->insert_or_assign("fees", toml::table{}).first->second.as_table();
    auto* entry = (*fees)[name].as_table();
    if (!entry) {
      entry = fees->insert_or_assign(name, toml::table{}).first->second.as_table();
      entry->is_inline(true);
    }
    const auto bps = [&](const char* key, std::uint32_t ppm) {
      if (ppm % 100 == 0) entry->insert_or_assign(key, static_cast<std::int64_t>(ppm / 100));
      else entry->insert_or_assign(key, ppm / 100.0);
      // What --print-config shows: the key an entry's reading recorded with [order]'s rate,
      // or a new one.
      const std::string path = p + "." + key, value = ppm % 100 == 0 ? std::to_string(ppm / 100) : fmt::format("{}", ppm / 100.0);
      const std::string source = fmt::format("default ({}'s first tier)", name);
      r.find(path);  // a key of the schema now
      if (std::any_of(r.keys.begin(), r.keys.end(), [&](const ConfigKey& k) { return k.key == path; }))
        r.set_effective(path, value, "", source);
      else
        r.keys.push_back({path, value, source});
    };
    if (taker) bps("taker_bps", rates.taker_ppm);
    if (maker) bps("maker_bps", rates.maker_ppm);
    c.paper.venue_fees[v] = rates;
  }
}

// [futures] leverage and margin_mode, then each [[futures.contracts]] entry: a perpetual's
// lot, tick, multiplier and maintenance-margin brackets, as the venue publishes them.
// Read last of [futures]: the printed config shows the entries after the table's keys.
void read_contracts(Reader& r, NodeConfig& c) {
  futures::Contracts perps;
  r.integer("futures.leverage", perps.leverage, 1, 1000);
  r.mode("futures.margin_mode", perps.margin_mode, kMarginModes);
  // Cross margin's wallet is the venue's cash: one venue of perpetuals, so that it is the
  // session's cash, which the portfolio, risk and the paper venue all take for it.
  if (perps.margin_mode == futures::MarginMode::cross) {
    if (kind_of(c.feed_venue()) != InstrumentKind::linear_perpetual || !c.other_venues.empty())
      r.error("futures.margin_mode", r.find("futures.margin_mode"),
              fmt::format("cross margin needs every instrument to be a perpetual of one venue (its wallet is the "
                          "session's cash), but the session trades {}'s{}",
                          venue_name(c.feed_venue()), c.other_venues.empty() ? "" : " and other venues'"));
  }
  c.paper.wallet_start = c.portfolio.starting_cash;
  const toml::node* n = r.find("futures.contracts");
  const toml::array* entries = n ? n->as_array() : nullptr;
  if (n && (!entries || !entries->is_array_of_tables())) {
    r.error("futures.contracts", n, "expected [[futures.contracts]] entries (tables with a symbol and brackets each)");
    entries = nullptr;
  }
  for (std::size_t i = 0; entries && i < entries->size(); ++i) {
    const std::string p = fmt::format("futures.contracts[{}].", i);
    futures::PerpContract k;
    r.string(p + "symbol", k.symbol);
    const auto* symbol_node = r.find(p + "symbol");
    if (!is_perpetual(k.symbol))
      r.error(p + "symbol", symbol_node ? symbol_node : entries->get(i),
              fmt::format("\"{}\" is not a perpetual instrument (e.g. \"BTCUSDT@binance_usdm\")", k.symbol));
    else if (perps.find(k.symbol))
      r.error(p + "symbol", symbol_node, fmt::format("\"{}\" has another [[futures.contracts]] entry", k.symbol));
    r.fixed(p + "multiplier", k.multiplier);
    r.fixed(p + "lot", k.lot_step);
    r.fixed(p + "tick", k.tick_size);
    for (auto [key, v] : {std::pair{"multiplier", k.multiplier}, std::pair{"lot", k.lot_step}, std::pair{"tick", k.tick_size}})
      if (v <= 0 && r.peek(p + key)) r.error(p + key, r.peek(p + key), "must be above 0");
    // brackets = [{floor = "0", mmr = "0.004", max_leverage = 125}, ...]: one key, printed whole.
    const std::string bkey = p + "brackets";
    const toml::node* bn = r.find(bkey);
    const toml::array* brackets = bn ? bn->as_array() : nullptr;
    if (!brackets || !brackets->is_array_of_tables() || brackets->empty()) {
      r.error(bkey, bn ? bn : entries->get(i),
              "expected the margin brackets: [{floor = \"0\", mmr = \"0.004\", max_leverage = 125}, ...]");
    } else {
      std::string printed;
      for (std::size_t j = 0; j < brackets->size(); ++j) {
        const std::string e = fmt::format("{}[{}].", bkey, j);
        futures::MarginTier t;
        for (auto [key, out] : {std::pair{"floor", &t.floor}, std::pair{"mmr", &t.mmr}}) {
          const toml::node* v = r.find(e + key);
          std::optional<std::int64_t> parsed;
          if (v && v->as_string()) parsed = parse_fixed(v->as_string()->get());
          else if (v && v->as_integer()) parsed = parse_fixed(std::to_string(v->as_integer()->get()));
          if (!parsed || *parsed < 0)
            r.error(e + key, v ? v : brackets->get(j), "expected a decimal string of at most 8 places, e.g. \"0.004\"");
          else
            *out = *parsed;
        }
        const toml::node* lv = r.find(e + "max_leverage");
        if (!lv || !lv->as_integer() || lv->as_integer()->get() < 1 || lv->as_integer()->get() > 1000)
          r.error(e + "max_leverage", lv ? lv : brackets->get(j), "expected an integer leverage, 1 to 1000");
        else
          t.max_leverage = static_cast<std::uint32_t>(lv->as_integer()->get());
        printed += fmt::format("{}{{floor = {}, mmr = {}, max_leverage = {}}}", j ? ", " : "",
                               Reader::quoted(format_fixed(t.floor)), Reader::quoted(format_fixed(t.mmr)),
                               t.max_leverage);
        k.tiers.push_back(t);
      }
      r.record(bkey, bn, "[" + printed + "]");
      k.max_leverage = k.tiers.front().max_leverage;
      if (r.errors.empty())
        if (auto checked = futures::check_contract(k); !checked) r.error(bkey, bn, checked.error().message);
      if (perps.leverage > k.max_leverage)
        r.error("futures.leverage", r.find("futures.leverage"),
                fmt::format("{}x is above {}'s maximum of {}x", perps.leverage, k.symbol, k.max_leverage));
    }
    // The contract's lot and tick are the venue's; the node's orders must be whole ones, as
    // a live start checks against the venue (venue_gateway's check_market_rules).
    const MarketRules& ours = c.risk.market.of(k.symbol);
    for (auto [rule, mine, venue, key, steps] : {std::tuple{"lot_step", ours.lot_step, k.lot_step, "lot", "lots"},
                                                 std::tuple{"tick_size", ours.tick_size, k.tick_size, "tick", "ticks"}})
      if (venue > 0 && mine % venue != 0) {
        const std::string path = c.risk.market.key(k.symbol, rule);
        r.error(path, r.find(path),
                fmt::format("{} is not a whole number of {}'s {} of {} ({}{}); set it to a multiple of that{}",
                            format_fixed(mine), k.symbol, steps, format_fixed(venue), p, key,
                            c.risk.market.by_symbol.contains(k.symbol)
                                ? ""
                                : fmt::format(" (or give {} its own in [market.\"{}\"])", k.symbol, k.symbol)));
      }
    perps.list.push_back(std::move(k));
  }
  c.portfolio.perps = perps;
  c.risk.perps = perps;
  c.paper.perps = std::move(perps);
}

Status apply_override(toml::table& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    return fail(fmt::format("--set {}: expected key=value, e.g. --set journal.path=runs/day1", assignment));
  const std::string key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed.insert("v", value);  // not TOML: a bare word is a string
  }
  toml::table* t = &root;
  std::size_t start = 0;
  for (;;) {
    const auto dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) return fail(fmt::format("--set {}: empty part in the key", key));
    if (dot == std::string::npos) {
      t->insert_or_assign(part, parsed["v"]);
      return {};
    }
    toml::node* next = nullptr;
    if (const auto open = part.find('['); open != std::string::npos && part.back() == ']') {
      // name[i]: the i-th entry of [[name]] (strategies[1].weight=2)
      std::size_t index = 0;
      const std::string digits = part.substr(open + 1, part.size() - open - 2);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 6)
        return fail(fmt::format("--set {}: expected NAME[INDEX] with a number, e.g. strategies[0]", key));
      index = std::stoul(digits);
      auto* array = t->get(part.substr(0, open));
      if (!array || !array->is_array_of_tables() || index >= array->as_array()->size())
        return fail(fmt::format("--set {}: the config has no entry {} in [[{}]]", key, index, part.substr(0, open)));
      next = array->as_array()->get(index);
    } else {
      next = t->get(part);
      if (!next) {
        t->insert(part, toml::table{});
        next = t->get(part);
      }
    }
    if (!next->is_table()) return fail(fmt::format("--set {}: {} is not a section", key, key.substr(0, dot)));
    t = next->as_table();
    start = dot + 1;
  }
}

}  // namespace

namespace {
// A zero that reads like "off" but stops the node from ever trading: the session runs to
// its end, exit 0, with every entry sized to nothing, refused, or never filled, and the
// limits that mean "off" at 0 say so in their own comments (paper.toml). Refused at its
// line for a node and for a user's what-if; a recorded config replays as it was.
void refuse_zero_that_stops_trading(Reader& r, const NodeConfig& c) {
  const auto refuse = [&](const std::string& key, const std::string& why) { r.error(key, r.peek(key), why); };
  const auto& risk = c.risk;
  if (risk.max_drawdown_ppm == 0)
    refuse("risk.max_drawdown", "0 halts trading at the first portfolio update (a drawdown of 0 reaches it), until an "
                                "operator resumes: expected a share of equity above 0, like 0.10");
  if (risk.max_daily_loss == 0)
    refuse("risk.max_daily_loss", "\"0\" puts risk in REDUCING (exits only) from the start of every day: expected an "
                                  "amount above 0 in the quote asset, like \"500\"");
  for (const auto& [side, mode, pct, atr] :
       {std::tuple{std::string("stop_loss"), risk.stop_loss_mode, risk.stop_loss_ppm, risk.stop_loss_atr_milli},
        std::tuple{std::string("take_profit"), risk.take_profit_mode, risk.take_profit_ppm, risk.take_profit_atr_milli}}) {
    if (mode == StopMode::percent && pct == 0)
      refuse("risk." + side + "_pct", fmt::format("0 is no {0} at all, while risk.{0} = \"percent\" says there is one: "
                                                  "expected a percent above 0, or risk.{0} = \"off\"", side));
    if (mode == StopMode::volatility && atr == 0)
      refuse("risk." + side + "_atr", fmt::format("0 is no {0} at all, while risk.{0} = \"volatility\" says there is "
                                                  "one: expected an ATR multiple above 0, or risk.{0} = \"off\"", side));
  }
  const auto& sz = c.strategy.sizing;
  const std::string sized_to_nothing = "sizes every entry to nothing";
  if (sz.policy == SizingPolicy::strategy) {
    // Each strategy's own share: the rule's position_fraction, a model's max_fraction.
    const auto check_own = [&](const std::string& p, StrategyKind kind, const RuleStrategyConfig& rule,
                               const XgbStrategyConfig& xgb) {
      if (kind == StrategyKind::rule && rule.position_fraction_ppm == 0)
        refuse(p + "position_fraction", "0 " + sized_to_nothing + ": expected a share of equity above 0, like 0.2");
      if (kind == StrategyKind::xgboost && xgb.max_fraction_ppm == 0 && xgb.min_fraction_ppm == 0)
        refuse(p + "max_fraction", "0, with min_fraction 0 too, " + sized_to_nothing + ": expected a share of equity "
                                   "above 0, like 0.25");
    };
    if (c.strategies.empty()) check_own("strategy.", c.strategy_kind, c.strategy, c.xgb);
    for (std::size_t i = 0; i < c.strategies.size(); ++i)
      check_own(fmt::format("strategies[{}].", i), c.strategies[i].kind, c.strategies[i].rule, c.strategies[i].xgb);
  } else {
    const std::string policy(mode_name(kSizingPolicies, sz.policy));
    if (sz.max_fraction_ppm == 0)
      refuse("sizing.max_fraction", fmt::format("0 caps every entry at nothing (sizing.policy = \"{}\"): expected a "
                                                "share of equity above 0, like 0.05", policy));
    if ((sz.policy == SizingPolicy::fixed_fraction || sz.policy == SizingPolicy::confidence_scaled) && sz.fraction_ppm == 0)
      refuse("sizing.fraction", fmt::format("0 {} (sizing.policy = \"{}\"): expected a share of equity above 0, like "
                                            "0.1", sized_to_nothing, policy));
    if (sz.policy == SizingPolicy::risk_per_trade && sz.risk_ppm == 0)
      refuse("sizing.risk_per_trade", "0 " + sized_to_nothing + ": expected a share of equity above 0, like 0.02");
    if (sz.policy == SizingPolicy::kelly && sz.kelly_fraction_ppm == 0)
      refuse("sizing.kelly_fraction", "0 " + sized_to_nothing + ": expected a share of full Kelly above 0, like 0.5");
  }
  if (c.order_mode == OrderMode::paper && c.paper.kline_participation_ppm == 0)
    refuse("order.kline_participation", "0 fills no paper order on kline data: expected a share of a kline's volume "
                                        "above 0, like 0.1");
}

Result<NodeConfig> read_config(toml::table root, const std::string& path, const std::vector<std::string>& overrides,
                               ConfigUse use);

// A file's TOML. A directory read as a file is an empty config, whose first complaint (no
// capture files) would hide the mistake.
Result<toml::table> read_config_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail(fmt::format("config file {} does not exist", path));
  if (std::filesystem::is_directory(path, ec))
    return fail(fmt::format("config file {} is a directory; expected a TOML file such as config/paper.toml", path));
  // Read here, not by toml::parse_file, which sizes the file first: a pipe (--config
  // <(envsubst < node.toml), /dev/stdin) could not be opened, and /dev/zero read as empty.
  constexpr std::size_t kMaxConfigBytes = std::size_t{4} << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("cannot read config file {}: {}", path, std::strerror(errno)));
  std::string text;
  std::array<char, 65536> chunk;
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes)
      return fail(fmt::format("config file {} goes on past {} MiB: not a config (a device?)", path, kMaxConfigBytes >> 20));
  }
  if (in.bad()) return fail(fmt::format("cannot read config file {}: {}", path, std::strerror(errno)));
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return fail(fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column, e.description()));
  }
}

}  // namespace

std::vector<std::string> paper_fee_warnings(const NodeConfig& config) {
  std::vector<std::string> out;
  if (config.order_mode != OrderMode::paper) return out;
  for (const VenueId v : filled_venues(config)) {
    const auto tier = first_tier(v);
    if (!tier) continue;
    const std::string name(venue_name(v));
    const auto it = config.paper.venue_fees.find(v);
    const FeeRates rates = it != config.paper.venue_fees.end() ? it->second : config.paper.fees;
    // Given in the venue's own entry (a file's line or --set): the user's tier there.
    const auto own = [&](const char* key) {
      return std::any_of(config.keys.begin(), config.keys.end(), [&](const ConfigKey& k) {
        return k.key == "order.fees." + name + "." + key && k.source.rfind("default", 0) != 0;
      });
    };
    std::vector<std::string> paid;
    if (rates.taker_ppm != tier->taker_ppm && !own("taker_bps"))
      paid.push_back(fmt::format("{} bps taker (its first tier: {})", rates.taker_ppm / 100.0, tier->taker_ppm / 100.0));
    if (rates.maker_ppm != tier->maker_ppm && !own("maker_bps"))
      paid.push_back(fmt::format("{} bps maker (its first tier: {})", rates.maker_ppm / 100.0, tier->maker_ppm / 100.0));
    if (!paid.empty())
      out.push_back(fmt::format("paper fills on {0} pay [order]'s {1}, as [order]'s rates apply to every venue "
                                "without its own: set order.fees.{0} = {{taker_bps = ..., maker_bps = ...}} to your "
                                "tier there",
                                name, fmt::join(paid, " and ")));
  }
  return out;
}

Result<NodeConfig> load_node_config(const std::string& path, const std::vector<std::string>& overrides) {
  auto root = read_config_file(path);
  if (!root) return tl::unexpected(root.error());
  return read_config(std::move(*root), path, overrides, ConfigUse::node);
}

Result<NodeConfig> load_node_config_for_replay(const std::string& path, const std::vector<std::string>& overrides) {
  auto root = read_config_file(path);
  if (!root) return tl::unexpected(root.error());
  return read_config(std::move(*root), path, overrides, ConfigUse::replay);
}

Result<NodeConfig> load_node_config_for_what_if(const std::string& path, const std::vector<std::string>& overrides) {
  auto root = read_config_file(path);
  if (!root) return tl::unexpected(root.error());
  return read_config(std::move(*root), path, overrides, ConfigUse::what_if);
}

Result<NodeConfig> parse_node_config(const std::string& text, const std::string& origin,
                                     const std::vector<std::string>& overrides, ConfigUse use) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return fail(fmt::format("{}:{}:{}: {}", origin, e.source().begin.line, e.source().begin.column, e.description()));
  }
  return read_config(std::move(root), origin, overrides, use);
}

namespace {
namespace fs = std::filesystem;

constexpr VenueId kVenues[] = {VenueId::binance, VenueId::binance_usdm, VenueId::coinbase, VenueId::kucoin,
                               VenueId::kucoin_futures};

// A venue's public stream and the channels a node reads from it, unless the config says.
std::pair<std::string, std::vector<std::string>> default_stream(VenueId venue) {
  if (venue == VenueId::coinbase) return {"wss://advanced-trade-ws.coinbase.com", {"market_trades", "heartbeats"}};
  if (venue == VenueId::kucoin) return {"https://api.kucoin.com", {"match"}};  // the REST base: tokens come from there
  // KuCoin Futures: trades, best bid and ask, and the venue's marks with its funding rates.
  if (venue == VenueId::kucoin_futures)
    return {"https://api-futures.kucoin.com", {"execution", "tickerV2", "instrument", "announcement"}};
  // USDⓈ-M perpetuals: trades, the best bid and ask, and the venue's mark with its funding.
  // (trade, not aggTrade: what candles.source reads by default, and what the bundled captures hold)
  if (venue == VenueId::binance_usdm) return {"wss://fstream.binance.com/stream", {"trade", "bookTicker", "markPrice@1s"}};
  return {"wss://stream.binance.com:9443/stream", {"trade", "bookTicker"}};
}

// A stream's keys under `p` ("feed." or "feed.coinbase.") read for `venue`: its defaults
// where the config is silent (`venue_defaults`), its channels, and its symbols, which must
// name that venue's instruments: another venue's, or none, would filter out every message
// of the stream without a word.
void check_stream(Reader& r, const std::string& p, VenueId venue, bool venue_defaults, std::string& url,
                  std::vector<std::string>& channels, std::vector<std::string>& symbols) {
  if (venue_defaults) {
    const auto [default_url, default_channels] = default_stream(venue);
    if (r.find(p + "url") == nullptr) url = default_url;
    if (r.find(p + "channels") == nullptr) channels = default_channels;
    r.set_effective(p + "url", Reader::quoted(url));  // the effective values, journaled
    r.set_effective(p + "channels", Reader::quoted_list(channels));
  }
  if (venue == VenueId::coinbase && venue_defaults) {
    for (const auto& ch : channels)
      if (ch != "market_trades" && ch != "ticker" && ch != "ticker_batch" && ch != "level2" && ch != "candles" &&
          ch != "heartbeats")
        r.error(p + "channels", r.find(p + "channels"),
                fmt::format("\"{}\" is not a Coinbase channel (market_trades, ticker, ticker_batch, level2, candles, "
                            "heartbeats)", ch));
    if (std::find(channels.begin(), channels.end(), "heartbeats") == channels.end())
      r.error(p + "channels", r.find(p + "channels"),
              "Coinbase closes a connection whose channels are quiet for 60-90 s: add \"heartbeats\"");
  }
  if ((venue == VenueId::kucoin || venue == VenueId::kucoin_futures) && venue_defaults) {
    const auto& known = kucoin::known_channels(venue);
    for (const auto& ch : channels)
      if (std::find(known.begin(), known.end(), ch) == known.end())
        r.error(p + "channels", r.find(p + "channels"),
                fmt::format("\"{}\" is not a {} channel{} ({})", ch, venue == VenueId::kucoin ? "KuCoin" : "KuCoin Futures",
                            venue == VenueId::kucoin ? "" : " the node reads", kucoin::known_channel_list(venue)));
  }
  for (auto& symbol : symbols) {
    auto instrument = parse_instrument(symbol);
    if (!instrument) {
      r.error(p + "symbols", r.find(p + "symbols"), instrument.error().message);
    } else if (instrument->venue != venue) {
      r.error(p + "symbols", r.find(p + "symbols"),
              fmt::format("\"{}\" is a {} instrument; this feed reads {} (write \"SYMBOL@{}\")", symbol,
                          venue_name(instrument->venue), venue_name(venue), venue_name(venue)));
    } else {
      symbol = instrument->name();  // "BTCUSDT@binance" is written "BTCUSDT" in messages
    }
  }
}

// What a live stream under `p` needs: a wss:// URL (KuCoin: its https:// REST base, which
// hands out each connection's token and server), symbols to subscribe to, a channel.
void check_live_stream(Reader& r, const std::string& p, ConfigUse use, VenueId venue, const std::string& url,
                       const std::vector<std::string>& channels, const std::vector<std::string>& symbols,
                       const std::string& ca_file) {
  std::error_code ec;
  if (venue == VenueId::kucoin || venue == VenueId::kucoin_futures) {
    if (url.rfind("https://", 0) != 0)
      r.error(p + "url", r.find(p + "url"), "expected KuCoin's https:// REST base (it hands out each connection's token)");
  } else if (url.rfind("wss://", 0) != 0) {
    r.error(p + "url", r.find(p + "url"), "expected a wss:// URL");
  }
  if (symbols.empty()) r.error(p + "symbols", r.find(p + "symbols"), "the live feed needs the symbols to subscribe to");
  if (channels.empty()) r.error(p + "channels", r.find(p + "channels"), "needs at least one channel, e.g. \"trade\"");
  if (use == ConfigUse::node && !ca_file.empty() && !fs::exists(ca_file, ec))
    r.error(p + "ca_file", r.find(p + "ca_file"), fmt::format("file {} does not exist", ca_file));
}

// Where a venue's orders go, from the keys under `p` ("venue." or "venue.coinbase."):
// its REST (and Binance's WebSocket API) URL for the order mode, its keys' variables, and
// the switches that must agree (testnet orders never go to the live venue, and back).
void read_venue(Reader& r, const std::string& p, OrderMode mode, ConfigUse use, NodeConfig::Venue& v) {
  std::error_code ec;
  const bool coinbase = v.id == VenueId::coinbase, kucoin = v.id == VenueId::kucoin, usdm = v.id == VenueId::binance_usdm,
             kucoin_futures = v.id == VenueId::kucoin_futures;
  r.string(p + "rest_url", v.rest_url);
  r.string(p + "public_url", v.public_url);
  r.string(p + "ca_file", v.ca_file);
  r.string(p + "key_env", v.key_env);
  r.string(p + "secret_env", v.secret_env);
  // "": the venue's own names, recorded as the effective value.
  const auto key_variables = credentials::default_key_variables(venue_name(v.id));
  r.string(p + "passphrase_env", v.passphrase_env);
  r.integer(p + "key_version", v.key_version, 2, 3);
  if (!kucoin && !kucoin_futures && !v.passphrase_env.empty())
    r.error(p + "passphrase_env", r.find(p + "passphrase_env"), "KuCoin's: other venues' keys have no API passphrase");
  for (auto [key, value, fallback] : {std::tuple{"key_env", &v.key_env, &key_variables.key},
                                      {"secret_env", &v.secret_env, &key_variables.secret},
                                      {"passphrase_env", &v.passphrase_env, &key_variables.passphrase}})
    if (value->empty() && !fallback->empty()) {
      *value = *fallback;
      r.set_effective(p + key, Reader::quoted(*value));
    }
  r.string(p + "key_file", v.key_file);
  r.integer(p + "recv_window_ms", v.recv_window_ms, 1, 60'000);
  r.integer(p + "timeout_ms", v.timeout_ms, 100, 120'000);
  r.integer(p + "poll_ms", v.poll_ms, 50, 3'600'000);
  r.integer(p + "weight_limit", v.weight_limit, 1, 1'000'000);
  r.integer(p + "max_unavailable_attempts", v.max_unavailable_attempts, 1, 1000);
  r.boolean(p + "user_stream", v.user_stream);
  r.string(p + "ws_api_url", v.ws_api_url);
  // No Binance-style user-data stream (USDⓈ-M's is not built): orders are polled (poll_ms).
  const bool polled = coinbase || kucoin || usdm || kucoin_futures;
  if (polled && v.user_stream) {
    v.user_stream = false;
    r.set_effective(p + "user_stream", "false", fmt::format(" ({}: orders are polled)", venue_name(v.id)));
  }
  if (polled && !v.ws_api_url.empty())
    r.error(p + "ws_api_url", r.find(p + "ws_api_url"),
            fmt::format("Binance's WebSocket API: {} has none to set", venue_name(v.id)));
  if (v.rest_url.empty()) {
    const bool live = mode == OrderMode::live;
    v.rest_url = coinbase ? (live ? "https://api.coinbase.com" : "https://api-sandbox.coinbase.com")
                 : kucoin ? (live ? "https://api.kucoin.com" : "")  // no sandbox to default to
                 : usdm   ? (live ? "https://fapi.binance.com" : "https://testnet.binancefuture.com")
                 : kucoin_futures ? (live ? "https://api-futures.kucoin.com" : "")
                          : (live ? "https://api.binance.com" : "https://testnet.binance.vision");
    if (mode != OrderMode::paper && !v.rest_url.empty())  // the effective URL, recorded (paper sends nothing)
      r.set_effective(p + "rest_url", Reader::quoted(v.rest_url));
  }
  if (!coinbase && !v.public_url.empty())
    r.error(p + "public_url", r.find(p + "public_url"), "Coinbase's only: this venue's market data is beside rest_url");
  if (coinbase && v.public_url.empty() && v.rest_url == "https://api-sandbox.coinbase.com") {
    v.public_url = "https://api.coinbase.com";  // the sandbox serves only accounts and orders
    r.set_effective(p + "public_url", Reader::quoted(v.public_url));
  }
  if (!polled && v.ws_api_url.empty()) {  // Coinbase and KuCoin have no WebSocket API
    // Binance serves its WebSocket API on hosts of its own; anything else (exchange-sim)
    // serves it beside its REST API.
    if (v.rest_url == "https://api.binance.com") v.ws_api_url = "wss://ws-api.binance.com:443/ws-api/v3";
    else if (v.rest_url == "https://testnet.binance.vision") v.ws_api_url = "wss://ws-api.testnet.binance.vision/ws-api/v3";
    else if (v.rest_url.rfind("https://", 0) == 0)
      v.ws_api_url = "wss://" + v.rest_url.substr(8, v.rest_url.find('/', 8) - 8) + "/ws-api/v3";
    if (!v.ws_api_url.empty()) r.set_effective(p + "ws_api_url", Reader::quoted(v.ws_api_url));  // the effective URL
  } else if (!polled && v.ws_api_url.rfind("wss://", 0) != 0) {
    r.error(p + "ws_api_url", r.find(p + "ws_api_url"), "expected a wss:// URL");
  }
  if (mode == OrderMode::paper) return;
  if ((kucoin || kucoin_futures) && v.rest_url.empty())
    r.error(p + "rest_url", r.find(p + "rest_url"),
            fmt::format("{}: order.mode = \"testnet\" needs the URL of one (e.g. exchange-sim's)",
                        kucoin ? "KuCoin has no public spot sandbox" : "KuCoin Futures has no public sandbox"));
  else if (v.rest_url.rfind("https://", 0) != 0)
    r.error(p + "rest_url", r.find(p + "rest_url"), "expected an https:// URL");
  const bool live_host = v.rest_url.find("api.binance.com") != std::string::npos ||
                         v.rest_url.find("api1.binance.com") != std::string::npos ||
                         v.rest_url.find("://fapi.binance.com") != std::string::npos ||
                         v.rest_url.find("://api.coinbase.com") != std::string::npos ||
                         v.rest_url.find("://api.kucoin.com") != std::string::npos ||
                         v.rest_url.find("://api-futures.kucoin.com") != std::string::npos;
  if (mode == OrderMode::testnet && live_host)
    r.error(p + "rest_url", r.find(p + "rest_url"), "order.mode is \"testnet\" but this is the live venue");
  if (mode == OrderMode::live &&
      (v.rest_url.find("testnet") != std::string::npos || v.rest_url.find("sandbox") != std::string::npos))
    r.error(p + "rest_url", r.find(p + "rest_url"), "order.mode is \"live\" but this is the testnet");
  if (use == ConfigUse::node && !v.ca_file.empty() && !fs::exists(v.ca_file, ec))
    r.error(p + "ca_file", r.find(p + "ca_file"), fmt::format("file {} does not exist", v.ca_file));
  if (use == ConfigUse::node && !v.key_file.empty() && !fs::exists(v.key_file, ec))
    r.error(p + "key_file", r.find(p + "key_file"), fmt::format("file {} does not exist", v.key_file));
}

Result<NodeConfig> read_config(toml::table root, const std::string& path, const std::vector<std::string>& overrides,
                               ConfigUse use) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& o : overrides)
    if (auto st = apply_override(root, o); !st) return tl::unexpected(st.error());

  NodeConfig c;
  c.source_path = path;
  Reader r(root, path);
  constexpr std::int64_t kMaxI32 = std::numeric_limits<std::int32_t>::max();

  r.string("node.id", c.node_id);
  r.integer("node.clock_tick_ms", c.clock_tick_ms, 1, 3'600'000);
  r.boolean("node.busy_poll", c.busy_poll);
  r.integer("node.threads", c.threads, 1, 64);

  r.string("journal.path", c.journal_path);
  if (c.journal_path.empty()) r.error("journal.path", r.find("journal.path"), "must name the journal's directory");
  std::string durability = "nosync";
  r.string("journal.durability", durability, {"sync", "nosync"});
  c.durability = durability == "sync" ? journal::Durability::sync : journal::Durability::nosync;
  r.integer("journal.max_batch", c.max_batch, 1, 1'000'000);
  r.mode("journal.if_exists", c.if_exists, kIfExists);
  r.integer("journal.snapshot_every", c.snapshot_every, 0, std::numeric_limits<std::int64_t>::max());
  r.integer("journal.max_size_mb", c.max_size_mb, 0, std::int64_t{1} << 30);
  r.integer("journal.min_free_mb", c.min_free_mb, 0, std::int64_t{1} << 30);
  r.boolean("journal.compact_at_end", c.compact_at_end);

  r.mode("feed.source", c.feed_source, kFeedSources);
  r.string("feed.url", c.feed_url);
  r.strings("feed.channels", c.feed_channels);
  r.string("feed.ca_file", c.feed_ca_file);
  r.integer("feed.idle_timeout_s", c.feed_idle_timeout_s, 1, 3600);
  r.strings("feed.files", c.feed_files);
  r.strings("feed.symbols", c.feed_symbols);
  r.string("feed.snapshot_symbol", c.snapshot_symbol);
  std::string capture_venue = "binance";
  r.string("feed.capture_venue", capture_venue, {"binance", "binance_usdm", "coinbase", "kucoin", "kucoin_futures"});
  c.feed_capture_venue = parse_venue(capture_venue).value_or(VenueId::binance);
  check_stream(r, "feed.", c.feed_venue(),
               c.feed_source == FeedSourceKind::coinbase || c.feed_source == FeedSourceKind::kucoin ||
                   c.feed_source == FeedSourceKind::binance_usdm || c.feed_source == FeedSourceKind::kucoin_futures,
               c.feed_url,
               c.feed_channels, c.feed_symbols);
  r.integer("feed.max_time_skew_ms", c.feed_max_time_skew_ms, 0, std::int64_t{1} << 40);
  if (const auto* n = r.find("feed.speed"); n && !n->as_string()) {
    r.number("feed.speed", c.speed, 0.001, 1e9);
  } else {
    if (n && n->as_string()->get() == "max") c.speed = 0;
    else if (n && n->as_string()->get() == "realtime") c.speed = 1;
    else if (n) r.error("feed.speed", n, "expected \"max\", \"realtime\" or a multiple like 10");
    r.record("feed.speed", n, c.speed == 1 ? "\"realtime\"" : "\"max\"");
  }
  if (is_live(c.feed_source)) {
    check_live_stream(r, "feed.", use, c.feed_venue(), c.feed_url, c.feed_channels, c.feed_symbols, c.feed_ca_file);
  } else if (use == ConfigUse::node) {
    if (c.feed_files.empty()) r.error("feed.files", r.find("feed.files"), "needs at least one capture file");
    for (const auto& f : c.feed_files) {
      if (!fs::exists(f, ec)) r.error("feed.files", r.find("feed.files"), fmt::format("file {} does not exist", f));
      else if (!fs::is_regular_file(f, ec))
        r.error("feed.files", r.find("feed.files"),
                fmt::format("{} is not a regular file (a FIFO, a device or a directory); captures are recorded files", f));
    }
  }

  // [feed.VENUE]: the streams of the other venues traded, beside a live [feed] (spot and
  // perpetuals alike: BTC on Binance spot beside its USDⓈ-M perpetual).
  for (const VenueId id : kVenues) {
    const std::string name(venue_name(id)), p = "feed." + name + ".";
    const auto* table = r.peek("feed." + name);
    if (!table) continue;
    if (!table->is_table()) {
      r.error("feed." + name, table, fmt::format("expected a table: [feed.{}] with the venue's stream", name));
      continue;
    }
    if (id == c.feed_venue()) {
      r.error("feed." + name, table, fmt::format("[feed] reads {} already; [feed.{}] is for another venue", name, name));
      continue;
    }
    if (!is_live(c.feed_source)) {
      r.error("feed." + name, table,
              "another venue's stream runs beside a live [feed] (feed.source = \"binance\", \"binance_usdm\", "
              "\"coinbase\", \"kucoin\" or \"kucoin_futures\"); a capture holds one venue's frames");
      continue;
    }
    NodeConfig::OtherVenue o;
    o.id = o.venue.id = id;
    std::tie(o.feed_url, o.feed_channels) = default_stream(id);
    r.string(p + "url", o.feed_url);
    r.strings(p + "channels", o.feed_channels);
    r.strings(p + "symbols", o.symbols);
    r.string(p + "ca_file", o.feed_ca_file);
    check_stream(r, p, id, true, o.feed_url, o.feed_channels, o.symbols);
    check_live_stream(r, p, use, id, o.feed_url, o.feed_channels, o.symbols, o.feed_ca_file);
    c.other_venues.push_back(std::move(o));
  }

  // [history]: the warm-up of a live feed's session (actors/node/warmup.hpp).
  r.boolean("history.warmup", c.history.warmup);
  r.integer("history.days", c.history.days, 0, 3650);
  r.string("history.rest_url", c.history.rest_url);
  r.string("history.ca_file", c.history.ca_file);
  r.string("history.cache_dir", c.history.cache_dir);
  if (!c.history.rest_url.empty() && c.history.rest_url.rfind("https://", 0) != 0)
    r.error("history.rest_url", r.find("history.rest_url"), "expected an https:// URL");
  if ((c.feed_source == FeedSourceKind::coinbase || c.feed_source == FeedSourceKind::kucoin ||
       c.feed_source == FeedSourceKind::kucoin_futures) &&
      c.history.warmup) {
    // Only Binance's klines (spot's and USDⓈ-M's) are fetched yet: another venue's session starts cold.
    if (const auto* n = r.find("history.warmup"))
      r.error("history.warmup", n,
              fmt::format("a {} feed has no warm-up yet (set false; its session starts cold)", venue_name(c.feed_venue())));
    c.history.warmup = false;
  }
  if ((c.feed_source == FeedSourceKind::binance || c.feed_source == FeedSourceKind::binance_usdm) && c.history.warmup) {
    if (c.history.rest_url.empty()) {
      // Binance serves REST on hosts of its own (USDⓈ-M's klines: /fapi on fapi.binance.com);
      // anything else (exchange-sim) beside its stream.
      const std::string host = c.feed_url.substr(6, c.feed_url.find('/', 6) - 6);
      c.history.rest_url = host.rfind("stream.binance.com", 0) == 0              ? "https://api.binance.com"
                           : host.rfind("stream.testnet.binance.vision", 0) == 0  ? "https://testnet.binance.vision"
                           : host.rfind("fstream.binance.com", 0) == 0            ? "https://fapi.binance.com"
                           : host.rfind("fstream.binancefuture.com", 0) == 0 ||
                                   host.rfind("stream.binancefuture.com", 0) == 0 ? "https://testnet.binancefuture.com"
                                                                                  : "https://" + host;
      r.set_effective("history.rest_url", "\"" + c.history.rest_url + "\"");  // the effective URL
    }
    if (c.history.ca_file.empty()) c.history.ca_file = c.feed_ca_file;
    if (use == ConfigUse::node && !c.history.ca_file.empty() && !fs::exists(c.history.ca_file, ec))
      r.error("history.ca_file", r.find("history.ca_file"), fmt::format("file {} does not exist", c.history.ca_file));
  }

  r.intervals("candles.intervals", c.candles.intervals_s);
  std::string candle_source = "trade";
  r.string("candles.source", candle_source, {"trade", "agg_trade"});
  c.candles.use_agg_trades = candle_source == "agg_trade";
  r.integer("candles.close_grace_ms", c.candles.close_grace_ms, 0, 3'600'000);
  r.integer("candles.max_flat_candles", c.candles.max_flat_candles, 1, 100'000'000);
  std::sort(c.candles.intervals_s.begin(), c.candles.intervals_s.end());

  // [regime]: read when the table is there (regime_classifier.hpp bounds the windows and
  // t: the classifier's sums stay exact within them).
  if (root["regime"].as_table()) {
    RegimeSettings g;
    r.interval("regime.interval", g.interval_s);
    if (std::find(c.candles.intervals_s.begin(), c.candles.intervals_s.end(), g.interval_s) ==
        c.candles.intervals_s.end())
      r.error("regime.interval", r.find("regime.interval"), "must be one of candles.intervals");
    r.integer("regime.trend_window", g.classifier.trend_window, 2, kMaxRegimeWindow);
    r.scaled("regime.trend_t", g.classifier.trend_t_centi, kMaxTrendTCenti / 100.0, 100);
    if (g.classifier.trend_t_centi == 0)
      r.error("regime.trend_t", r.find("regime.trend_t"), "must be at least 0.01 (0 would call every market a trend)");
    r.integer("regime.vol_window", g.classifier.vol_window, 2, kMaxRegimeWindow);
    r.integer("regime.vol_history", g.classifier.vol_history, 1, 10'000);
    r.percent("regime.high_vol_pct", g.classifier.high_vol_ppm, 100.0);
    r.percent("regime.low_vol_pct", g.classifier.low_vol_ppm, 100.0);
    if (g.classifier.low_vol_ppm >= g.classifier.high_vol_ppm)
      r.error("regime.low_vol_pct", r.find("regime.low_vol_pct"), "must be below regime.high_vol_pct");
    c.regime = g;
  }
  // A strategy's regimes need the regime read.
  auto read_regimes = [&](const std::string& path, RegimeFilter& out) {
    r.regimes(path, out);
    if (!out.any() && !c.regime)
      r.error(path, r.find(path), "needs a [regime] table: the candles each symbol's regime is read from");
  };

  const MarketRuleBook market = read_market_rules(r);

  // A strategy's own keys under `p` ("strategy." or "strategies[i]."): the model's and the
  // rule's parameters (only its kind's in a [[strategies]] entry), its interval and symbols.
  auto read_strategy = [&](const std::string& p, StrategyKind kind, bool every_kind, RuleStrategyConfig& rule,
                           XgbStrategyConfig& xgb, std::string& model_path) {
    if (every_kind || kind == StrategyKind::xgboost) {
      r.string(p + "model", model_path);
      r.number(p + "entry_probability", xgb.entry_probability, 0.0, 1.0);
      r.number(p + "exit_probability", xgb.exit_probability, 0.0, 1.0);
      r.number(p + "full_probability", xgb.full_probability, 0.0, 1.0);
      r.ppm(p + "min_fraction", xgb.min_fraction_ppm);
      r.ppm(p + "max_fraction", xgb.max_fraction_ppm);
      if (kind == StrategyKind::xgboost) {
        if (model_path.empty())
          r.error(p + "model", r.find(p + "kind"), fmt::format("{}kind = \"xgboost\" needs {}model = PATH", p, p));
        else if (!fs::exists(model_path, ec))
          r.error(p + "model", r.find(p + "model"), fmt::format("model file {} does not exist", model_path));
      }
      if (xgb.exit_probability > xgb.entry_probability)
        r.error(p + "exit_probability", r.find(p + "exit_probability"), fmt::format("must not exceed {}entry_probability", p));
    }
    r.interval(p + "interval", rule.interval_s);
    r.strings(p + "symbols", rule.symbols);
    if (every_kind || kind == StrategyKind::rule) {
      r.integer(p + "fast_ema", rule.fast_ema, 1, 100000);
      r.integer(p + "slow_ema", rule.slow_ema, 2, 100000);
      r.integer(p + "momentum_candles", rule.momentum_candles, 1, 100000);
      r.number(p + "entry_momentum_bps", rule.entry_momentum_bps, -1e6, 1e6);
      r.number(p + "confidence_full_z", rule.confidence_full_z, 1e-9, 1e6);
      r.ppm(p + "position_fraction", rule.position_fraction_ppm);
      if (rule.fast_ema >= rule.slow_ema)
        r.error(p + "fast_ema", r.find(p + "fast_ema"), fmt::format("must be shorter than {}slow_ema", p));
    }
    if (std::find(c.candles.intervals_s.begin(), c.candles.intervals_s.end(), rule.interval_s) ==
        c.candles.intervals_s.end())
      r.error(p + "interval", r.find(p + "interval"), "must be one of candles.intervals");
    xgb.interval_s = rule.interval_s;
    xgb.symbols = rule.symbols;
    if (every_kind || kind == StrategyKind::xgboost) r.features(p + "features", rule.interval_s, c.candles.intervals_s, xgb.features);
  };

  // [[strategies]]: several strategies, each with its id, kind, interval, symbols and
  // parameters; [strategy] then holds only what they share. Without it, [strategy] is the
  // one strategy.
  const toml::array* entries = nullptr;
  if (const auto* n = r.find("strategies")) {
    entries = n->as_array();
    if (!entries || !entries->is_array_of_tables() || entries->empty()) {
      r.error("strategies", n, "expected [[strategies]] entries (tables with an id and a kind each)");
      entries = nullptr;
    }
  }
  if (!entries) {
    r.mode("strategy.kind", c.strategy_kind, kStrategyKinds);
    read_strategy("strategy.", c.strategy_kind, true, c.strategy, c.xgb, c.model_path);
    read_regimes("strategy.regimes", c.strategy_regimes);
  } else {
    static constexpr std::array kShared{"reentry_cooldown_candles", "entry_order", "limit_offset_bps", "allow_short"};
    if (const auto* t = root["strategy"].as_table())
      for (const auto& [k, v] : *t)
        if (std::find(kShared.begin(), kShared.end(), k.str()) == kShared.end())
          r.error("strategy." + std::string(k.str()), &v,
                  "with [[strategies]], [strategy] holds only what they share (reentry_cooldown_candles, entry_order, allow_short, "
                  "limit_offset_bps): put this key in a [[strategies]] entry");
    std::set<std::string> ids;
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const std::string p = fmt::format("strategies[{}].", i);
      StrategyEntry e;
      r.string(p + "id", e.id);
      const bool id_ok = !e.id.empty() && e.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                   "0123456789_.-") == std::string::npos;
      if (!id_ok)
        r.error(p + "id", r.find(p + "id") ? r.find(p + "id") : entries->get(i),
                "each [[strategies]] entry needs an id of letters, digits, '_', '.' or '-', e.g. \"ema-1m\"");
      else if (!ids.insert(e.id).second)
        r.error(p + "id", r.find(p + "id"), fmt::format("\"{}\" names another [[strategies]] entry too", e.id));
      r.mode(p + "kind", e.kind, kStrategyKinds);
      r.ppm(p + "weight", e.weight_ppm, 1000.0);
      if (e.weight_ppm == 0) r.error(p + "weight", r.find(p + "weight"), "must be above 0 (at least 0.000001)");
      read_strategy(p, e.kind, false, e.rule, e.xgb, e.model_path);
      read_regimes(p + "regimes", e.regimes);
      c.strategies.push_back(std::move(e));
    }
    // Risk's candles (stops, the day's turn) and what a sweep trains on: the shortest interval.
    c.strategy.interval_s = c.strategies.front().rule.interval_s;
    for (const auto& e : c.strategies) c.strategy.interval_s = std::min(c.strategy.interval_s, e.rule.interval_s);
  }
  r.integer("strategy.reentry_cooldown_candles", c.strategy.reentry_cooldown_candles, 0, kMaxI32);
  r.mode("strategy.entry_order", c.strategy.entry.type, kEntryOrders);
  r.integer("strategy.limit_offset_bps", c.strategy.entry.limit_offset_bps, 0, 1000);
  r.boolean("strategy.allow_short", c.strategy.allow_short);
  c.xgb.allow_short = c.strategy.allow_short;
  for (auto& e : c.strategies) e.rule.allow_short = e.xgb.allow_short = c.strategy.allow_short;
  c.strategy.market = market;
  c.xgb.interval_s = c.strategy.interval_s;
  c.xgb.symbols = c.strategy.symbols;
  c.xgb.reentry_cooldown_candles = c.strategy.reentry_cooldown_candles;
  c.xgb.market = market;
  c.xgb.entry = c.strategy.entry;

  // [combine]: how the strategies' views of one symbol become the one traded.
  r.mode("combine.policy", c.combine.policy, kCombinePolicies);
  r.integer("combine.k", c.combine.k, 1, 1000);
  r.ppm("combine.min_score", c.combine.min_score_ppm);
  const std::size_t strategy_count = entries ? c.strategies.size() : 1;
  if (c.combine.policy == CombinePolicy::k_of_n && c.combine.k > strategy_count)
    r.error("combine.k", r.find("combine.k"),
            fmt::format("{} is more than the {} strateg{} configured", c.combine.k, strategy_count,
                        strategy_count == 1 ? "y" : "ies"));

  r.fixed("risk.max_position_notional", c.risk.max_position_notional);
  r.ppm("risk.max_position_equity", c.risk.max_position_equity_ppm);
  r.integer("risk.max_open_positions", c.risk.max_open_positions, 0, 10000);
  r.integer("risk.max_orders_per_minute", c.risk.max_orders_per_minute, 0, 1'000'000);
  r.integer("risk.max_trades_per_day", c.risk.max_trades_per_day, 0, 10'000'000);
  r.fixed("risk.max_daily_loss", c.risk.max_daily_loss);
  r.ppm("risk.max_drawdown", c.risk.max_drawdown_ppm);
  r.ppm("risk.min_confidence", c.risk.min_confidence_ppm);
  r.stop_mode("risk.stop_loss", c.risk.stop_loss_mode);
  r.percent("risk.stop_loss_pct", c.risk.stop_loss_ppm, 100.0);
  r.milli("risk.stop_loss_atr", c.risk.stop_loss_atr_milli);
  r.stop_mode("risk.take_profit", c.risk.take_profit_mode);
  r.percent("risk.take_profit_pct", c.risk.take_profit_ppm, 1000.0);
  r.milli("risk.take_profit_atr", c.risk.take_profit_atr_milli);
  r.integer("risk.atr_candles", c.risk.atr_candles, 1, 100000);
  r.ppm("risk.max_total_exposure", c.risk.exposure.max_total_ppm);
  r.ppm("risk.max_asset_exposure", c.risk.exposure.max_asset_ppm);
  r.ppm("risk.max_asset_net_exposure", c.risk.exposure.max_asset_net_ppm);
  r.integer("risk.correlation_window", c.risk.correlation.window, 0, 1000);
  r.ppm("risk.max_correlation", c.risk.correlation.max_ppm);
  r.integer("risk.max_correlated_positions", c.risk.correlation.max_correlated, 1, 10000);
  if (c.risk.correlation.window == 1)
    r.error("risk.correlation_window", r.find("risk.correlation_window"), "a correlation needs at least 2 returns (0: off)");
  auto& f = c.risk.regime_size;
  for (const auto& [name, factor] : {std::pair{"range", &f.range}, {"up", &f.up}, {"down", &f.down},
                                     {"low_vol", &f.low_vol}, {"normal_vol", &f.normal_vol}, {"high_vol", &f.high_vol}}) {
    const std::string path = fmt::format("risk.regime_size_factor.{}", name);
    r.ppm(path, *factor);
    if (*factor != 1'000'000 && !c.regime)
      r.error(path, r.find(path), "needs a [regime] table: the candles each symbol's regime is read from");
  }
  // Perpetuals' limits (their contracts and leverage are [futures]'s, read at its end).
  r.integer("risk.max_leverage", c.risk.max_leverage, 1, 1000);
  r.ppm("risk.max_margin_use", c.risk.max_margin_use_ppm);
  r.ppm("risk.min_liquidation_distance", c.risk.min_liquidation_distance_ppm);
  c.risk.candle_interval_s = c.strategy.interval_s;

  // Sizing: the stop and take profit it sizes against are risk's own (one value each).
  auto& sz = c.strategy.sizing;
  r.mode("sizing.policy", sz.policy, kSizingPolicies);
  r.ppm("sizing.fraction", sz.fraction_ppm);
  r.ppm("sizing.risk_per_trade", sz.risk_ppm);
  r.ppm("sizing.kelly_fraction", sz.kelly_fraction_ppm);
  r.ppm("sizing.max_fraction", sz.max_fraction_ppm);
  sz.stop_loss_ppm = c.risk.stop_loss_ppm;
  sz.take_profit_ppm = c.risk.take_profit_ppm;
  const bool sizes_on_stop = sz.policy == SizingPolicy::risk_per_trade || sz.policy == SizingPolicy::kelly;
  if (sizes_on_stop && c.risk.stop_loss_mode != StopMode::percent)
    r.error("sizing.policy", r.find("sizing.policy"),
            fmt::format("\"{}\" sizes on the stop's distance, known at entry only with risk.stop_loss = \"percent\"",
                        mode_name(kSizingPolicies, sz.policy)));
  else if (sz.policy == SizingPolicy::kelly && c.risk.take_profit_mode != StopMode::percent)
    r.error("sizing.policy", r.find("sizing.policy"),
            "\"kelly\" sizes on the take profit's distance, known at entry only with risk.take_profit = \"percent\"");
  c.xgb.sizing = sz;
  c.risk.market = market;

  r.string("portfolio.quote_asset", c.portfolio.quote_asset);
  // The cash asset as venues write it: risk refuses every entry quoted in another, and an
  // empty one would turn that check off (and print PnL in no currency).
  if (!is_asset_name(c.portfolio.quote_asset))
    r.error("portfolio.quote_asset", r.find("portfolio.quote_asset"),
            fmt::format("\"{}\" is not an asset: expected its name in capitals and digits, as venues write it (USDT, "
                        "USDC, USD)", c.portfolio.quote_asset));
  c.risk.quote_asset = c.portfolio.quote_asset;
  r.fixed("portfolio.starting_cash", c.portfolio.starting_cash);
  c.portfolio.mark_interval_s = c.candles.intervals_s.front();

  r.mode("order.mode", c.order_mode, kOrderModes);
  // A paper account holds what this says and nothing else: with none, every entry is sized
  // to nothing and the session runs to the end trading nothing, without a word.
  if (use != ConfigUse::replay && c.order_mode == OrderMode::paper && c.portfolio.starting_cash == 0)
    r.error("portfolio.starting_cash", r.find("portfolio.starting_cash"),
            "a paper account starts with this cash and trades with nothing else: expected an amount above 0, like "
            "\"10000\"");
  // An order leaves the process only once the batch holding it is committed; on a venue
  // that commit must also be on disk, or an OS crash could forget an order the venue has.
  if (c.order_mode != OrderMode::paper) {
    if (const auto* n = r.find("journal.durability"); !n) {
      c.durability = journal::Durability::sync;
      r.set_effective("journal.durability", "\"sync\"", "", "default (order.mode = \"" + std::string(name(c.order_mode)) + "\")");
    } else if (c.durability != journal::Durability::sync) {
      r.error("journal.durability", n,
              fmt::format("order.mode = \"{}\" needs \"sync\": an order may leave the process only once its journal "
                          "batch is on disk (an OS crash must not forget an order the venue has)",
                          name(c.order_mode)));
    }
  }
  r.fee_bps("order.taker_fee_bps", c.paper.fees.taker_ppm);
  r.fee_bps("order.maker_fee_bps", c.paper.fees.maker_ppm);
  read_venue_fees(r, c.paper);
  if (use != ConfigUse::replay) default_venue_fees(r, root, c);
  r.integer("order.slippage_bps", c.paper.slippage_bps, 0, 10000);
  r.integer("order.latency_ms", c.paper.latency_ms, 0, 3'600'000);
  r.ppm("order.kline_participation", c.paper.kline_participation_ppm);
  r.integer("order.market_timeout_ms", c.paper.market_timeout_ms, 1, 86'400'000);
  if (use != ConfigUse::replay) refuse_zero_that_stops_trading(r, c);
  r.string("order.client_id_prefix", c.order.client_id_prefix);
  r.integer("order.limit_ttl_ms", c.order.limit_ttl_ms, 0, std::int64_t{1} << 40);
  c.paper.fee_asset = c.portfolio.quote_asset;

  // Orders go to the venue whose market the node reads.
  std::string venue_id;
  r.string("venue.name", venue_id, {"", "binance", "coinbase", "kucoin"});
  if (venue_id.empty()) {  // "": the feed's, recorded as the effective value
    venue_id = venue_name(c.feed_venue());
    r.set_effective("venue.name", Reader::quoted(venue_id));
  }
  c.venue.id = parse_venue(venue_id).value_or(VenueId::binance);
  if (c.venue.id != c.feed_venue())
    r.error("venue.name", r.find("venue.name"),
            fmt::format("orders for [feed]'s instruments go to the venue it reads ({}); another venue's orders are set "
                        "in [venue.VENUE], beside its [feed.VENUE]", venue_name(c.feed_venue())));
  read_venue(r, "venue.", c.order_mode, use, c.venue);
  // Each traded symbol's rules are checked at the venue before the start; with none
  // listed nothing would be checked.
  if (c.order_mode != OrderMode::paper && use == ConfigUse::node && c.feed_symbols.empty())
    r.error("feed.symbols", r.find("feed.symbols"),
            fmt::format("order.mode = \"{}\" needs the symbols it trades, so that their rules (lot size, minimum "
                        "notional) are checked at the venue before the start, e.g. [\"BTCUSDT\"] or [\"BTC-USD@coinbase\"]",
                        name(c.order_mode)));
  // [venue.VENUE]: the orders of each other venue ([feed.VENUE] names its instruments).
  for (const VenueId id : kVenues) {
    const std::string name(venue_name(id));
    const auto it = std::find_if(c.other_venues.begin(), c.other_venues.end(), [id](const auto& o) { return o.id == id; });
    if (it != c.other_venues.end()) read_venue(r, "venue." + name + ".", c.order_mode, use, it->venue);
    else if (const auto* table = r.peek("venue." + name); table && table->is_table())
      r.error("venue." + name, table,
              id == c.venue.id ? fmt::format("[venue] holds {}'s orders already; [venue.{}] is for another venue", name, name)
                               : fmt::format("orders for {} need its instruments: add [feed.{}] with its symbols", name, name));
  }
  // One portfolio counts one quote asset: every instrument it trades is quoted in it (risk
  // refuses entries on others, for symbols a capture brings that no config names). Sessions
  // journaled by builds before this held for one venue still load for replay, which then
  // refuses those entries as this build would.
  if (use == ConfigUse::node || !c.other_venues.empty()) {
    for (const auto& symbol : c.traded_symbols()) {
      const auto i = parse_instrument(symbol);
      if (!i || quoted_in(symbol, c.portfolio.quote_asset)) continue;
      const std::string key = i->venue == c.feed_venue() ? "feed.symbols" : fmt::format("feed.{}.symbols", venue_name(i->venue));
      r.error(key, r.find(key),
              fmt::format("{} is {}; every instrument is quoted in portfolio.quote_asset ({}): one portfolio, one cash "
                          "asset", symbol, i->quote.empty() ? "quoted in another asset" : "quoted in " + i->quote,
                          c.portfolio.quote_asset));
    }
  }
  // [market.SYMBOL] for a symbol the session does not trade would be ignored: a typo in a
  // symbol would leave it on [market]'s steps without a word. (An empty feed.symbols takes
  // every symbol of the capture: then any instrument may have rules.)
  const auto traded = c.traded_symbols();
  for (const auto& [symbol, rules] : market.by_symbol) {
    const std::string key = "market." + symbol;
    if (auto i = parse_instrument(symbol); !i)
      r.error(key, r.peek(key), fmt::format("not an instrument: {}", i.error().message));
    else if (!c.feed_symbols.empty() && std::find(traded.begin(), traded.end(), symbol) == traded.end())
      r.error(key, r.peek(key),
              fmt::format("{} is not a symbol this session trades ({})", symbol, fmt::join(traded, ", ")));
  }
  c.paper.market = market;
  c.portfolio.market = market;

  r.string("logging.level", c.log_level, {"trace", "debug", "info", "warn", "error", "off"});
  r.string("control.listen", c.control_listen);
  if (!c.control_listen.empty()) {
    const auto colon = c.control_listen.rfind(':');
    const std::string host = colon == std::string::npos ? "" : c.control_listen.substr(0, colon);
    const std::string port = colon == std::string::npos ? "" : c.control_listen.substr(colon + 1);
    unsigned char addr[16];
    const bool ip = inet_pton(AF_INET, host.c_str(), addr) == 1 || inet_pton(AF_INET6, host.c_str(), addr) == 1;
    const bool port_ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                         std::stoul(port) <= 65535;
    if (colon == std::string::npos)
      r.error("control.listen", r.find("control.listen"), "expected IP:PORT, e.g. \"127.0.0.1:8787\"");
    else if (!ip)
      r.error("control.listen", r.find("control.listen"),
              fmt::format("\"{}\" is not an IP address (e.g. 127.0.0.1 or ::1; host names are not resolved)", host));
    else if (!port_ok)
      r.error("control.listen", r.find("control.listen"), fmt::format("\"{}\" is not a port in 0..65535", port));
  }
  r.string("control.token_env", c.control_token_env);
  r.string("control.token_file", c.control_token_file);
  if (use == ConfigUse::node && !c.control_listen.empty() && !c.control_token_file.empty() &&
      !fs::exists(c.control_token_file, ec))
    r.error("control.token_file", r.find("control.token_file"), fmt::format("file {} does not exist", c.control_token_file));

  r.string("projection.db", c.projection.db);
  r.boolean("projection.candles", c.projection.candles);
  if (const auto& db = c.projection.db; !db.empty()) {
    const bool sqlite = db.rfind("sqlite:", 0) == 0 && db.size() > 7;
    const bool pg = db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
    if (!sqlite && !pg)
      r.error("projection.db", r.find("projection.db"),
              "expected sqlite:FILE or postgresql://[user@]host[:port]/dbname");
    else if (pg && uri_has_password(db))
      r.error("projection.db", r.find("projection.db"),
              "holds a password, and the config is journaled with every session: give it in PGPASSWORD or "
              "~/.pgpass instead");
  }

  auto& al = c.alerts;
  r.boolean("alerts.fills", al.rules.fills);
  r.boolean("alerts.daily_summary", al.rules.daily_summary);
  r.integer("alerts.feed_down_after_s", al.rules.feed_down_after_s, 1, 86'400);
  r.string("alerts.ca_file", al.ca_file);
  r.integer("alerts.timeout_ms", al.timeout_ms, 100, 60'000);
  if (use == ConfigUse::node && !al.ca_file.empty() && !fs::exists(al.ca_file, ec))
    r.error("alerts.ca_file", r.find("alerts.ca_file"), fmt::format("file {} does not exist", al.ca_file));
  for (auto [channel, ch] : {std::pair{"slack", &al.slack}, std::pair{"discord", &al.discord},
                             std::pair{"telegram", &al.telegram}, std::pair{"webhook", &al.webhook}}) {
    const std::string key = fmt::format("alerts.{}.", channel);
    const bool telegram = ch == &al.telegram;
    r.string(key + (telegram ? "token_env" : "url_env"), ch->secret_env);
    if (telegram) {
      // Telegram's chat ids are numbers (-1001234567890) or @channel names: either is taken.
      if (const auto* n = r.find(key + "chat_id"); n && n->is_integer())
        ch->chat_id = std::to_string(n->as_integer()->get()), r.record(key + "chat_id", n, Reader::quoted(ch->chat_id));
      else
        r.string(key + "chat_id", ch->chat_id);
      r.string(key + "api_url", ch->api_url);
      if (!ch->secret_env.empty() && ch->chat_id.empty())
        r.error(key + "chat_id", r.find(key + "chat_id"), "the Telegram channel needs the chat to post to");
      if (ch->api_url.rfind("https://", 0) != 0)
        r.error(key + "api_url", r.find(key + "api_url"), "expected an https:// URL");
    }
    std::string severity(alerts::severity_name(ch->min_severity));
    r.string(key + "min_severity", severity, {"info", "warning", "critical"});
    ch->min_severity = severity == "info" ? alerts::Severity::info
                       : severity == "critical" ? alerts::Severity::critical
                                                : alerts::Severity::warning;
    r.integer(key + "max_per_minute", ch->max_per_minute, 0, 10'000);
  }

  // [futures]
  // A live USDⓈ-M feed that reads the venue's marks marks with them (and funds at the rates
  // they announce); one mark source per perpetual, or each would be marked and funded twice.
  // A live KuCoin Futures feed likewise with /contract/instrument's marks, and funds at its
  // announcements (/contract/announcement), which it then needs: its marks announce no
  // funding time, and with venue marks no schedule funds.
  // Every live stream of perpetuals ([feed] and [feed.VENUE]) must agree: all marked by
  // their venue, or all from the book.
  struct PerpStream {
    std::string key;  // its channels' key
    VenueId venue;
    const std::vector<std::string>* channels;
  };
  std::vector<PerpStream> perp_streams;
  if (is_live(c.feed_source) && kind_of(c.feed_venue()) == InstrumentKind::linear_perpetual)
    perp_streams.push_back({"feed.channels", c.feed_venue(), &c.feed_channels});
  for (const auto& o : c.other_venues)
    if (kind_of(o.id) == InstrumentKind::linear_perpetual)
      perp_streams.push_back({fmt::format("feed.{}.channels", venue_name(o.id)), o.id, &o.feed_channels});
  const auto reads = [](const PerpStream& s, std::string_view channel) {
    return std::find(s.channels->begin(), s.channels->end(), channel) != s.channels->end();
  };
  const auto reads_marks = [&reads](const PerpStream& s) {
    return s.venue == VenueId::binance_usdm ? std::any_of(s.channels->begin(), s.channels->end(),
                                                          [](const std::string& ch) { return binance::is_mark_price_channel(ch); })
                                            : reads(s, "instrument");
  };
  for (const auto& s : perp_streams)
    if (s.venue == VenueId::kucoin_futures && reads(s, "instrument") != reads(s, "announcement"))
      r.error(s.key, r.find(s.key),
              reads(s, "instrument")
                  ? "KuCoin Futures' marks (\"instrument\") announce no funding time: add \"announcement\", whose "
                    "funding.begin frames are the venue's funding (without it no funding would be booked)"
                  : "\"announcement\" funds at the venue's settlements, which need its marks: add \"instrument\" (with the "
                    "book's mid as the mark, the configured schedule funds, and each settlement would be booked twice)");
  const auto marked = std::find_if(perp_streams.begin(), perp_streams.end(), reads_marks);
  const auto unmarked = std::find_if_not(perp_streams.begin(), perp_streams.end(), reads_marks);
  const bool venue_marks = marked != perp_streams.end();
  const auto mark_channel = [](VenueId v) { return v == VenueId::binance_usdm ? "markPrice@1s" : "instrument"; };
  if (venue_marks && unmarked != perp_streams.end())
    r.error(unmarked->key, r.find(unmarked->key),
            fmt::format("{} reads the venue's marks and this stream does not: one mark source for every perpetual "
                        "(add \"{}\", or take the marks out of {})",
                        marked->key, mark_channel(unmarked->venue), marked->key));
  std::string mark_price = venue_marks ? "venue" : "book_mid";
  r.string("futures.mark_price", mark_price, {"book_mid", "venue"});
  c.perpetuals.mark_from_book = mark_price == "book_mid";
  if (venue_marks && c.perpetuals.mark_from_book)
    r.error("futures.mark_price", r.find("futures.mark_price"),
            "the feed reads the venue's markPrice stream: \"book_mid\" would mark (and fund) each perpetual a second "
            "time; use \"venue\"");
  if (!perp_streams.empty() && !venue_marks && !c.perpetuals.mark_from_book)
    r.error("futures.mark_price", r.find("futures.mark_price"),
            fmt::format("\"venue\" needs the venue's marks: add \"{}\" to {} (nothing else would mark the "
                        "perpetuals)",
                        mark_channel(perp_streams.front().venue), perp_streams.front().key));
  r.fixed("futures.funding_rate", c.perpetuals.funding_rate, /*allow_negative=*/true);
  std::uint32_t funding_s = static_cast<std::uint32_t>(c.perpetuals.funding_interval_ms / 1000);
  r.interval("futures.funding_interval", funding_s);
  c.perpetuals.funding_interval_ms = std::int64_t{funding_s} * 1000;
  read_contracts(r, c);

  r.check_unknown(root, "");
  if (!r.errors.empty()) {
    std::string msg = r.errors.front();
    for (std::size_t i = 1; i < r.errors.size(); ++i) msg += "\n" + r.errors[i];
    return fail(msg);
  }
  std::ostringstream text;
  text << root;
  c.effective_toml = text.str();
  c.keys = std::move(r.keys);
  return c;
}
}  // namespace

std::string render_effective_config(const NodeConfig& config) {
  std::string out, section;
  std::size_t width = 0;
  // The comments line up, except after a long value (a contract's brackets), which would
  // push every line's comment out of sight.
  for (const auto& k : config.keys)
    if (k.value.size() <= 60) width = std::max(width, k.key.size() - k.key.find('.') - 1 + 3 + k.value.size());
  for (const auto& k : config.keys) {
    // A key of an array entry (futures.contracts[0].lot) sits under its entry's header.
    const auto entry_end = k.key.find("].");
    const auto dot = entry_end == std::string::npos ? k.key.find('.') : entry_end + 1;
    const std::string sec = k.key.substr(0, dot), name = k.key.substr(dot + 1);
    if (sec != section) {
      const auto bracket = sec.find('[');  // strategies[1] -> [[strategies]]
      out += bracket == std::string::npos ? fmt::format("{}[{}]\n", out.empty() ? "" : "\n", sec)
                                          : fmt::format("{}[[{}]]\n", out.empty() ? "" : "\n", sec.substr(0, bracket));
      section = sec;
    }
    // A part of a dotted key that is no bare TOML key (market."BTC-USD@coinbase".tick_size) is quoted.
    std::string key;
    for (std::size_t at = 0; at <= name.size();) {
      const auto end = std::min(name.find('.', at), name.size());
      const std::string part = name.substr(at, end - at);
      const bool bare = !part.empty() && std::all_of(part.begin(), part.end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '_' || ch == '-';
      });
      key += (key.empty() ? "" : ".") + (bare ? part : Reader::quoted(part));
      at = end + 1;
    }
    const std::string line = key + " = " + k.value;
    out += fmt::format("{:<{}}  # {}\n", line, width, k.source);
  }
  return out;
}

}  // namespace trader
