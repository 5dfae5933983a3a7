#include "exchange/sim/sim_server.hpp"

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <simdjson.h>

#include "base/time_format.hpp"
#include "credentials/credentials.hpp"
#include "exchange/binance/frame_parser.hpp"
#include "exchange/capture_file.hpp"
#include "exchange/frame_decoder.hpp"
#include "exchange/sim/coinbase_api.hpp"
#include "exchange/sim/kucoin_api.hpp"
#include "exchange/sim/kucoin_futures_api.hpp"
#include "exchange/sim/rest_auth.hpp"
#include "exchange/sim/shift_times.hpp"
#include "exchange/sim/sim_klines.hpp"
#include "exchange/sim/sim_venue.hpp"

namespace trader::sim {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Frame {
  std::string stream, text;
};

// What sets the venue's price: trades, aggregate trades, closed klines; on the venue's
// own symbol ("BTC-USD@coinbase" is its BTC-USD).
std::optional<Trade> price_print(const ParsedFrame& parsed) {
  std::optional<Trade> out;
  if (const auto* t = std::get_if<Trade>(&parsed.message)) out = *t;
  else if (const auto* a = std::get_if<AggTrade>(&parsed.message)) out = Trade{a->symbol, a->price, a->qty, 0, 0, a->trade_ts_ms};
  else if (const auto* k = std::get_if<Kline>(&parsed.message); k && k->closed)
    out = Trade{k->symbol, k->close, k->volume, 0, 0, k->close_time_ms};
  if (out)
    if (auto instrument = parse_instrument(out->symbol)) out->symbol = instrument->symbol;
  return out;
}

// A Coinbase frame's channel ("" when it names none).
std::string coinbase_channel(std::string_view text) {
  static constexpr std::string_view kKey = "\"channel\":\"";
  const auto at = text.find(kKey);
  if (at == std::string_view::npos) return {};
  const auto end = text.find('"', at + kKey.size());
  return end == std::string_view::npos ? std::string() : std::string(text.substr(at + kKey.size(), end - at - kKey.size()));
}

// A KuCoin frame's topic ("/market/match:BTC-USDT"; "" when it names none).
std::string kucoin_topic(std::string_view text) {
  static constexpr std::string_view kKey = "\"topic\":\"";
  const auto at = text.find(kKey);
  if (at == std::string_view::npos) return {};
  const auto end = text.find('"', at + kKey.size());
  return end == std::string_view::npos ? std::string() : std::string(text.substr(at + kKey.size(), end - at - kKey.size()));
}

// A KuCoin REST order book line's data object ({"code":"200000","data":{...}} -> {...}),
// and the symbol its parse gave it; nullopt for any other line.
std::optional<std::pair<std::string, std::string>> recorded_book(std::string_view text, const std::vector<ParsedFrame>& items) {
  static constexpr std::string_view kData = "\"data\":";
  for (const auto& parsed : items)
    if (const auto* s = std::get_if<DepthSnapshot>(&parsed.message)) {
      const auto at = text.find(kData);
      const auto end = text.rfind('}');
      auto instrument = parse_instrument(s->symbol);
      if (at == std::string_view::npos || end == std::string_view::npos || end <= at || !instrument) return std::nullopt;
      return std::pair{instrument->symbol, std::string(text.substr(at + kData.size(), end - at - kData.size()))};
    }
  return std::nullopt;
}

// A client's id as the sim echoes it in JSON: letters, digits and ._- only (anything else
// dropped), so no id can break the frame it goes back in.
std::string echoable(std::string_view id) {
  std::string out;
  for (const char c : id)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') out.push_back(c);
  return out;
}

// The market opens at each symbol's first price in the captures, so that the venue
// quotes a price (/api/v3/ticker/price) before the replay starts, as a real one does. The
// captures' closed klines are its kline history (USDⓈ-M's captures hold none: klines rolled
// up from their trades). Returns the first line's receive time (ms).
std::int64_t open_market(const std::vector<std::string>& captures, VenueId venue_id, SimVenue& venue, SimKlines& klines,
                         KucoinApi& kucoin, KucoinFuturesApi& kucoin_futures) {
  std::int64_t first_ms = 0;
  std::vector<ParsedFrame> items;
  std::set<std::string> kucoin_books;
  for (const auto& path : captures) {
    auto file = CaptureFile::open(path);
    if (!file) continue;  // the replay reports it
    auto decoder = make_frame_decoder(venue_id);
    CaptureLine line;
    for (;;) {
      auto more = (*file)->next(line);
      if (!more || !*more) break;
      if (line.ts_ok && first_ms == 0) first_ms = line.recv_ts_ns / 1'000'000;
      items.clear();
      decoder->decode(line.frame, line.frame_len, line.frame_capacity, items);
      if (venue_id == VenueId::kucoin)  // the first book recorded: served until the replay brings another
        if (auto book = recorded_book(std::string_view(line.frame, line.frame_len), items); book && !kucoin_books.count(book->first)) {
          kucoin_books.insert(book->first);
          kucoin.set_book(book->first, std::move(book->second));
        }
      if (venue_id == VenueId::kucoin_futures)  // what GET /api/v1/contracts/{symbol} answers
        kucoin_futures.add_contract(std::string_view(line.frame, line.frame_len));
      for (const auto& parsed : items) {
        if (const auto* k = std::get_if<Kline>(&parsed.message); k && k->closed) klines.add(*k);
        if (auto print = price_print(parsed)) {
          venue.open_at(print->symbol, print->price);
          if (venue_id == VenueId::binance_usdm && std::holds_alternative<Trade>(parsed.message)) klines.add_trade(*print);
        }
      }
    }
  }
  klines.finish_trades();
  return first_ms;
}

}  // namespace

class WsSession;
class HttpSession;
class ApiSession;

struct SimServer::Impl : std::enable_shared_from_this<SimServer::Impl> {
  SimOptions options;
  asio::io_context io{1};
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  SimVenue venue;
  CoinbaseApi coinbase;  // the Coinbase personality's answers (options.venue coinbase)
  KucoinApi kucoin;      // the KuCoin personality's (options.venue kucoin)
  KucoinFuturesApi kucoin_futures;  // the KuCoin Futures personality's (options.venue kucoin_futures)
  // kucoin: stream tokens handed out by bullet-public, each good for one connection (io thread)
  std::set<std::string> tokens_issued, tokens_used;
  int tokens_expired = 0;  // by the expire_tokens fault
  std::int64_t pool_window = 0, pool_used = 0;  // kucoin: the resource pool's 30 s window
  SimKlines klines;
  std::int64_t stream_start_ms = 0;  // capture time where the stream starts (and the history ends)
  std::list<std::weak_ptr<WsSession>> sessions;  // touched on the io thread only
  std::list<std::weak_ptr<HttpSession>> http_sessions;  // likewise: to close them at the end
  std::list<std::weak_ptr<ApiSession>> api_sessions;    // WebSocket API connections (io thread)
  std::uint64_t next_subscription = 0;
  std::uint64_t rest_requests = 0;
  int burst_left = 0;
  std::int64_t weight_minute = 0, weight_used = 0;  // Binance's weight counts per clock minute
  // The replay starts with the first subscriber, so a client never misses the beginning.
  std::mutex mu;
  std::condition_variable cv;
  bool subscribed = false, stopping = false;
  int connected = 0;  // open stream connections (under mu)
  std::optional<std::int64_t> offset_ms;  // venue time - capture time, set at the first need (under mu)
  std::thread replayer;
  // hold_while_away: frames that found no open connection, for the next one (io thread)
  std::deque<std::shared_ptr<const Frame>> held;
  bool replay_done = false;  // io thread

  explicit Impl(SimOptions o)
      : options(std::move(o)),
        venue(options.balances, 1000, options.filters,
              options.venue == VenueId::binance ? (options.fee_in_bnb ? FeeAsset::bnb : FeeAsset::received) : FeeAsset::quote,
              options.venue == VenueId::binance_usdm || options.venue == VenueId::kucoin_futures ? AccountKind::usdm
                                                                                                 : AccountKind::spot),
        coinbase(venue),
        kucoin(venue),
        kucoin_futures(venue) {
    kucoin_futures.set_funding_interval_ms(options.marks.funding_interval_ms);
  }
  void accept();
  void replay();
  void broadcast(const std::shared_ptr<const Frame>& f);
  void publish_events();  // the venue's user-data events to every subscribed API connection
  void close_all();
  // The sim's clock: the stream's start is "now" when first needed (its first subscriber,
  // or a kline history asked for before it). A history ended a second before: a client
  // that asks for it at once, on a clock a little behind, still finds its last kline over.
  std::int64_t clock_offset() {
    std::lock_guard lock(mu);
    if (!offset_ms) offset_ms = wall_ms() - stream_start_ms - (options.history_ms > 0 ? 1000 : 0);
    return *offset_ms;
  }
  void on_subscriber() {
    std::lock_guard lock(mu);
    subscribed = true;
    ++connected;
    cv.notify_all();
  }
  void on_unsubscribed() {
    std::lock_guard lock(mu);
    --connected;
  }
  bool anyone_connected() {
    std::lock_guard lock(mu);
    return connected > 0;
  }
  void hand_over_held(WsSession& to);
  void log_if_delivered() {
    if (replay_done && held.empty()) spdlog::info("stream: every frame handed to a client");
  }
};

// One stream connection: frames go out in order through a queue. Binance's combined
// stream subscribes by the URL, and reads only serve the protocol (ping/pong, close).
// Coinbase's subscribes by messages ({"type":"subscribe","channel":...}), the first within
// 5 s or the connection is closed, each answered by a subscriptions frame; every frame sent
// is numbered by the connection (sequence_num from 0), as Coinbase numbers them.
class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(tls_stream&& s, std::shared_ptr<SimServer::Impl> sim)
      : ws_(std::move(s)), sim_(std::move(sim)), deadline_(ws_.get_executor()), ping_deadline_(ws_.get_executor()),
        coinbase_(sim_->options.venue == VenueId::coinbase),
        kucoin_(sim_->options.venue == VenueId::kucoin || sim_->options.venue == VenueId::kucoin_futures) {}

  void accept(http::request<http::string_body> req) {
    if (coinbase_) return accept_coinbase(std::move(req));
    if (kucoin_) return accept_kucoin(std::move(req));
    const std::string target(req.target());
    if (auto q = target.find("streams="); q != std::string::npos) {
      std::string list = target.substr(q + 8);
      list = list.substr(0, list.find('&'));
      std::size_t from = 0;
      while (from <= list.size()) {
        const auto slash = list.find('/', from);
        streams_.insert(list.substr(from, slash == std::string::npos ? std::string::npos : slash - from));
        if (slash == std::string::npos) break;
        from = slash + 1;
      }
    }
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->sim_->sessions.push_back(self);
      self->sim_->on_subscriber();
      spdlog::info("stream: client subscribed to {} stream(s)", self->streams_.size());
      self->sim_->hand_over_held(*self);
      self->read();
    });
  }

  void send(const std::shared_ptr<const Frame>& f) {
    if (closed_ || draining_ ||
        (coinbase_ || kucoin_ ? !streams_.count(f->stream) : !streams_.empty() && !streams_.count(f->stream)))
      return;
    const auto& o = sim_->options;
    ++sent_;
    if (o.drop_every > 0 && sent_ > static_cast<std::uint64_t>(o.drop_every)) {
      // This frame is lost with the connection; the client gets exactly the frames queued
      // before it, then the end of the stream (what it sees does not depend on its speed).
      spdlog::info("fault: dropping a stream connection after {} frames", o.drop_every);
      draining_ = true;
      sim_->on_unsubscribed();  // from here on, frames wait for the next client (hold mode)
      if (!writing_) end_stream();
      return;
    }
    const auto text = coinbase_ ? std::make_shared<const std::string>(numbered(f->text))
                                : std::shared_ptr<const std::string>(f, &f->text);
    if (o.malformed_every > 0 && sent_ % static_cast<std::uint64_t>(o.malformed_every) == 0)
      queue_.push_back(std::make_shared<const std::string>(text->substr(0, text->size() / 2)));
    else
      queue_.push_back(text);
    if (!writing_) write();
  }

 private:
  void accept_coinbase(http::request<http::string_body> req) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->deadline_.expires_after(std::chrono::seconds(5));
      self->deadline_.async_wait([self](beast::error_code e) {
        if (e || !self->streams_.empty()) return;  // canceled by a subscribe
        spdlog::info("stream: no subscribe within 5 s; closing the connection");
        self->close_now();
      });
      self->read();
    });
  }
  // A Coinbase subscribe request: its channel joins the connection's (products are not
  // told apart: the captures replayed hold the products asked for).
  void on_request(std::string_view text) {
    simdjson::dom::parser parser;
    simdjson::dom::object req;
    std::string_view type, channel;
    if (parser.parse(text.data(), text.size()).get_object().get(req) != simdjson::SUCCESS ||
        req["type"].get_string().get(type) != simdjson::SUCCESS || type != "subscribe" ||
        req["channel"].get_string().get(channel) != simdjson::SUCCESS)
      return queue_text(R"({"type":"error","message":"expected {\"type\":\"subscribe\",\"channel\":...}"})");
    streams_.insert(std::string(channel));
    queue_text(numbered(fmt::format(R"({{"channel":"subscriptions","client_id":"","timestamp":"{}","sequence_num":0,)"
                                    R"("events":[{{"subscriptions":{{"{}":[]}}}}]}})",
                                    format_utc_ms(wall_ms()), channel)));
    register_soon();
  }
  // A client sends its subscribes in one burst: the stream starts 100 ms after the last
  // of them, so which frames it gets does not depend on how fast each one is read (the
  // fault tests count them).
  void register_soon() {
    if (registered_) return;
    deadline_.cancel();
    deadline_.expires_after(std::chrono::milliseconds(100));
    deadline_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (e || self->closed_ || self->registered_) return;
      self->registered_ = true;
      self->sim_->sessions.push_back(self);
      self->sim_->on_subscriber();
      spdlog::info("stream: {} client subscribed to {} {}", venue_name(self->sim_->options.venue), self->streams_.size(),
                   self->kucoin_ ? "topic(s)" : "channel(s)");
      self->sim_->hand_over_held(*self);
    });
  }
  // KuCoin: the token must be one bullet-public gave and no connection has used; then
  // welcome, and the client's pings keep the connection open.
  void accept_kucoin(http::request<http::string_body> req) {
    const auto params = parse_params([&] {
      const std::string target(req.target());
      const auto qmark = target.find('?');
      return qmark == std::string::npos ? std::string() : target.substr(qmark + 1);
    }());
    const auto find = [&](const char* k) { return params.count(k) ? params.at(k) : std::string(); };
    const std::string token = find("token");
    connect_id_ = echoable(find("connectId"));
    bool good = sim_->tokens_issued.count(token) > 0 && sim_->tokens_used.insert(token).second;
    if (good && sim_->tokens_expired < sim_->options.expire_tokens) {
      ++sim_->tokens_expired;
      good = false;
    }
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(req, [self = shared_from_this(), good, token](beast::error_code ec) {
      if (ec) return;
      if (!good) {
        spdlog::info("stream: kucoin token {} refused as expired", echoable(token));
        self->queue_text(fmt::format(R"({{"id":"{}","type":"error","code":401,"data":"token is expired"}})", self->connect_id_));
        self->draining_ = true;  // the error goes out, then the connection ends
        if (!self->writing_) self->end_stream();
        self->read();
        return;
      }
      self->queue_text(fmt::format(R"({{"id":"{}","type":"welcome"}})", self->connect_id_));
      self->expect_ping();
      self->read();
    });
  }
  void expect_ping() {
    const auto& o = sim_->options;
    ping_deadline_.cancel();
    ping_deadline_.expires_after(std::chrono::milliseconds(o.ping_interval_ms + o.ping_timeout_ms));
    ping_deadline_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (e || self->closed_) return;
      spdlog::info("stream: kucoin client sent no ping in time; closing the connection");
      self->close_now();
    });
  }
  void on_kucoin_request(std::string_view text) {
    simdjson::dom::parser parser;
    simdjson::dom::object req;
    std::string_view type, id, topic;
    if (parser.parse(text.data(), text.size()).get_object().get(req) != simdjson::SUCCESS ||
        req["type"].get_string().get(type) != simdjson::SUCCESS)
      return queue_text(fmt::format(R"({{"id":"{}","type":"error","code":400,"data":"bad request"}})", connect_id_));
    if (req["id"].get_string().get(id) != simdjson::SUCCESS) id = "";
    const std::string echo = echoable(id);
    if (type == "ping") {
      expect_ping();
      return queue_text(fmt::format(R"({{"id":"{}","type":"pong","timestamp":{}}})", echo, wall_ms() * 1000));
    }
    if ((type != "subscribe" && type != "unsubscribe") || req["topic"].get_string().get(topic) != simdjson::SUCCESS)
      return queue_text(fmt::format(R"({{"id":"{}","type":"error","code":404,"data":"topic or type not supported"}})", echo));
    // "/market/match:BTC-USDT,ETH-USDT": one stream per symbol, as the frames name them.
    const auto colon = topic.find(':');
    const std::string prefix(topic.substr(0, colon == std::string_view::npos ? topic.size() : colon + 1));
    std::string_view list = colon == std::string_view::npos ? std::string_view() : topic.substr(colon + 1);
    while (!list.empty()) {
      const auto comma = list.find(',');
      const std::string one = prefix + std::string(list.substr(0, comma));
      if (type == "subscribe") streams_.insert(one);
      else streams_.erase(one);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    bool response = false;
    if (req["response"].get_bool().get(response) == simdjson::SUCCESS && response)
      queue_text(fmt::format(R"({{"id":"{}","type":"ack"}})", echo));
    if (type == "subscribe") register_soon();
  }
  void queue_text(std::string text) {
    if (closed_ || draining_) return;
    queue_.push_back(std::make_shared<const std::string>(std::move(text)));
    if (!writing_) write();
  }
  // The frame as this connection numbers it.
  std::string numbered(const std::string& text) {
    static constexpr std::string_view kKey = "\"sequence_num\":";
    const auto at = text.find(kKey);
    if (at == std::string::npos) return text;
    auto end = at + kKey.size();
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    return text.substr(0, at + kKey.size()) + std::to_string(next_sequence_++) + text.substr(end);
  }
  void read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->mark_closed();
        return;
      }
      if (self->coinbase_) self->on_request(beast::buffers_to_string(self->in_.data()));
      if (self->kucoin_) self->on_kucoin_request(beast::buffers_to_string(self->in_.data()));
      self->in_.consume(self->in_.size());
      self->read();
    });
  }
  void mark_closed() {
    if (closed_) return;
    closed_ = true;
    deadline_.cancel();
    ping_deadline_.cancel();
    if (!draining_ && (!(coinbase_ || kucoin_) || registered_)) sim_->on_unsubscribed();
  }
  // The drop: no more data from this side (the client reads what was sent, then the end);
  // the socket closes when the client's side does (read error).
  void end_stream() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_send, ec);
  }
  void write() {
    if (queue_.empty() || closed_) {
      writing_ = false;
      if (draining_ && !closed_) end_stream();
      return;
    }
    writing_ = true;
    auto msg = queue_.front();
    queue_.pop_front();
    ws_.text(true);
    ws_.async_write(asio::buffer(*msg), [self = shared_from_this(), msg](beast::error_code ec, std::size_t) {
      if (ec) {
        self->mark_closed();
        self->writing_ = false;
        return;
      }
      self->write();
    });
  }

 public:
  void close_now() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  websocket::stream<tls_stream> ws_;
  std::shared_ptr<SimServer::Impl> sim_;
  std::set<std::string> streams_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  beast::flat_buffer in_;
  asio::steady_timer deadline_;  // coinbase: the first subscribe's, then the end of the subscribe burst
  asio::steady_timer ping_deadline_;  // kucoin: the next ping's
  bool coinbase_, kucoin_;
  std::string connect_id_;   // kucoin: the client's connectId, echoed in the welcome
  bool registered_ = false;  // coinbase, kucoin: streaming (counted as a subscriber)
  bool writing_ = false, closed_ = false, draining_ = false;
  std::uint64_t sent_ = 0;
  std::uint64_t next_sequence_ = 0;  // coinbase: the connection's frame numbers
};


// One WebSocket API connection (/ws-api/v3): requests in, answers and, once subscribed,
// the account's user-data events out, in order through a queue.
class ApiSession : public std::enable_shared_from_this<ApiSession> {
 public:
  ApiSession(tls_stream&& s, std::shared_ptr<SimServer::Impl> sim) : ws_(std::move(s)), sim_(std::move(sim)) {}

  void accept(http::request<http::string_body> req) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->sim_->api_sessions.push_back(self);
      self->read();
    });
  }

  void event(const std::string& e) {
    if (closed_ || subscription_ < 0) return;
    const int drop = sim_->options.user_stream_drop_every;
    if (drop > 0 && ++events_ > static_cast<std::uint64_t>(drop)) {
      // This event is lost with the connection, as one in flight would be.
      spdlog::info("fault: dropping a user-data stream connection after {} events", drop);
      close_now();
      return;
    }
    const int lose = sim_->options.user_stream_lose_every;
    if (lose > 0 && ++published_ % static_cast<std::uint64_t>(lose) == 0) {
      spdlog::info("fault: user-data event not sent: {}", e);
      return;
    }
    queue(fmt::format(R"({{"subscriptionId":{},"event":{}}})", subscription_, e));
  }

  void close_now() {
    closed_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  void read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->closed_ = true;
        return;
      }
      const std::string text = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      self->handle(text);
      self->read();
    });
  }

  void handle(const std::string& text) {
    auto& sim = *sim_;
    const auto answer_error = [&](const std::string& id, int status, int code, const std::string& msg) {
      queue(fmt::format(R"({{"id":{},"status":{},"error":{{"code":{},"msg":"{}"}}}})", id, status, code, msg));
    };
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(simdjson::padded_string(text)).get(doc)) return answer_error("null", 400, -1100, "Malformed request.");
    simdjson::dom::element id_element;
    const std::string id = doc["id"].get(id_element) ? std::string("null") : simdjson::minify(id_element);
    std::string_view method;
    if (doc["method"].get_string().get(method)) return answer_error(id, 400, -1102, "Mandatory parameter 'method' was not sent.");
    if (method != "userDataStream.subscribe.signature") return answer_error(id, 400, -1100, "Unknown method.");
    // SIGNED as Binance's WebSocket API does it: every parameter but the signature, sorted
    // by name, name=value joined by &, HMAC-SHA256 with the account's secret.
    simdjson::dom::object params;
    if (doc["params"].get_object().get(params)) return answer_error(id, 400, -1102, "Mandatory parameter 'params' was not sent.");
    std::map<std::string, std::string> fields;
    std::string signature;
    for (auto [key, value] : params) {
      std::string v = value.is_string() ? std::string(std::string_view(value.get_string())) : simdjson::minify(value);
      if (key == "signature") signature = v;
      else fields[std::string(key)] = v;
    }
    std::string payload;
    for (const auto& [k, v] : fields) payload += (payload.empty() ? "" : "&") + k + "=" + v;
    const std::int64_t now = wall_ms();
    const std::int64_t ts = fields.count("timestamp") ? std::strtoll(fields["timestamp"].c_str(), nullptr, 10) : 0;
    const std::int64_t window = fields.count("recvWindow") ? std::strtoll(fields["recvWindow"].c_str(), nullptr, 10) : 5000;
    if (fields["apiKey"] != sim.options.api_key)
      return answer_error(id, 401, -2015, "Invalid API-key, IP, or permissions for action.");
    if (ts == 0 || ts >= now + 1000 || now - ts > window)
      return answer_error(id, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
    if (sim.options.refuse_user_stream ||
        !credentials::equal_constant_time(signature, credentials::hmac_sha256_hex(sim.options.api_secret, payload))) {
      spdlog::info("user-data stream: subscription refused (signature)");
      return answer_error(id, 400, -1022, "Signature for this request is not valid.");
    }
    subscription_ = static_cast<std::int64_t>(sim.next_subscription++);
    events_ = 0;
    spdlog::info("user-data stream: subscription {}", subscription_);
    queue(fmt::format(R"({{"id":{},"status":200,"result":{{"subscriptionId":{}}}}})", id, subscription_));
  }

  void queue(std::string text) {
    queue_.push_back(std::move(text));
    if (!writing_) write();
  }
  void write() {
    if (queue_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto msg = std::make_shared<std::string>(std::move(queue_.front()));
    queue_.pop_front();
    ws_.text(true);
    ws_.async_write(asio::buffer(*msg), [self = shared_from_this(), msg](beast::error_code ec, std::size_t) {
      if (ec) {
        self->closed_ = true;
        self->writing_ = false;
        return;
      }
      self->write();
    });
  }

  websocket::stream<tls_stream> ws_;
  std::shared_ptr<SimServer::Impl> sim_;
  std::deque<std::string> queue_;
  beast::flat_buffer in_;
  bool writing_ = false, closed_ = false;
  std::int64_t subscription_ = -1;
  std::uint64_t events_ = 0, published_ = 0;
};

// HTTPS: REST requests (keep-alive), or the upgrade to the stream or the WebSocket API.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& s, std::shared_ptr<SimServer::Impl> sim)
      : stream_(std::move(s), sim->tls), sim_(std::move(sim)), timer_(stream_.get_executor()) {}

  void start() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return spdlog::info("TLS handshake failed: {}", ec.message());
      self->read();
    });
  }

 private:
  void read() {
    req_ = {};
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buf_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (websocket::is_upgrade(self->req_)) {
        if (std::string(self->req_.target()).rfind("/ws-api/v3", 0) == 0)
          std::make_shared<ApiSession>(std::move(self->stream_), self->sim_)->accept(std::move(self->req_));
        else
          std::make_shared<WsSession>(std::move(self->stream_), self->sim_)->accept(std::move(self->req_));
        return;
      }
      self->respond();
    });
  }

  void respond() {
    auto& sim = *sim_;
    const auto& o = sim.options;
    ++sim.rest_requests;
    res_ = {};
    res_.version(req_.version());
    res_.keep_alive(req_.keep_alive());
    res_.set(http::field::content_type, "application/json;charset=UTF-8");
    if (const std::int64_t minute = wall_ms() / 60'000; minute != sim.weight_minute) {
      sim.weight_minute = minute;
      sim.weight_used = 0;
    }
    res_.set("X-MBX-USED-WEIGHT-1M", std::to_string(++sim.weight_used));
    const std::string target(req_.target());
    const auto qmark = target.find('?');
    const std::string path = target.substr(0, qmark);
    const std::string query = qmark == std::string::npos ? "" : target.substr(qmark + 1);
    if (o.burst_429_every > 0 && sim.burst_left == 0 && sim.rest_requests % o.burst_429_every == 0) sim.burst_left = 3;
    const bool throttled = sim.burst_left > 0;
    if (throttled) {
      --sim.burst_left;
      if (o.venue == VenueId::kucoin || o.venue == VenueId::kucoin_futures) {
        res_.result(http::status::too_many_requests);
        res_.set("gw-ratelimit-limit", "4000");
        res_.set("gw-ratelimit-remaining", "0");
        res_.set("gw-ratelimit-reset", "1000");
        res_.body() = R"({"code":"429000","msg":"Too Many Requests"})";
      } else if (o.venue == VenueId::coinbase) {
        res_.result(http::status::too_many_requests);
        res_.set(http::field::retry_after, "1");
        res_.body() = R"({"error":"rate_limit_exceeded","error_details":"Too many requests","message":"Too many requests"})";
      } else if (o.burst_as_418) {
        res_.result(static_cast<http::status>(418));
        res_.body() = R"({"code":-1003,"msg":"Way too many requests; IP(127.0.0.1) banned."})";
      } else {
        res_.result(http::status::too_many_requests);
        res_.set(http::field::retry_after, "1");
        res_.body() = R"({"code":-1003,"msg":"Too many requests; current limit of IP(127.0.0.1) request weight per 1 MINUTE is 6000."})";
      }
    } else {
      route(path, query);
      sim.publish_events();
    }
    spdlog::info("{} {} -> {}", std::string(req_.method_string()), path, res_.result_int());
    res_.prepare_payload();
    const bool new_order = !throttled &&
                           (path == "/api/v3/order" || path == "/fapi/v1/order" || path == "/api/v3/brokerage/orders" ||
                            path == "/api/v1/hf/orders" || (o.venue == VenueId::kucoin_futures && path == "/api/v1/orders")) &&
                           req_.method() == http::verb::post;
    const int delay = o.delay_ms + (new_order ? o.slow_orders_ms : 0);
    if (delay > 0) {
      timer_.expires_after(std::chrono::milliseconds(delay));
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->write(); });
    } else {
      write();
    }
  }

  // The Coinbase personality: a signed request's JWT checked first, then its answer.
  void route_coinbase(const std::string& path, const std::string& query) {
    auto& sim = *sim_;
    const std::int64_t now = wall_ms() + std::int64_t{sim.options.clock_ahead_s} * 1000;
    const std::string method(req_.method_string());
    auto reply = [&](const HttpAnswer& a) {
      res_.result(static_cast<http::status>(a.status));
      res_.body() = a.body;
    };
    if (CoinbaseApi::is_private(path)) {
      const auto auth = req_[http::field::authorization];
      const auto host = req_[http::field::host];
      if (auto refused = coinbase_auth_error({auth.data(), auth.size()}, method, {host.data(), host.size()}, path,
                                             sim.options.api_key, sim.options.api_secret,
                                             now / 1000 + sim.options.jwt_clock_ahead_s))
        return reply(*refused);
    }
    reply(sim.coinbase.answer(method, path, parse_params(query), req_.body(), now));
  }

  // KuCoin's bullet-public (spot's and futures'): a token good for one connection, and this
  // server as the stream's, at the host the client asked for (without any port).
  HttpAnswer bullet() {
    auto& sim = *sim_;
    const std::string token = fmt::format("sim-token-{}", sim.tokens_issued.size() + 1);
    sim.tokens_issued.insert(token);
    const auto host_header = req_[http::field::host];
    const std::string_view host(host_header.data(), host_header.size());
    beast::error_code ec;
    const auto port = beast::get_lowest_layer(stream_).socket().local_endpoint(ec).port();
    return {200, fmt::format(R"({{"code":"200000","data":{{"token":"{}","instanceServers":[{{"endpoint":"wss://{}:{}/",)"
                             R"("encrypt":true,"protocol":"websocket","pingInterval":{},"pingTimeout":{}}}]}}}})",
                             token, host.substr(0, host.find(':')), port, sim.options.ping_interval_ms,
                             sim.options.ping_timeout_ms)};
  }

  // The KuCoin personalities (spot's and futures'): the bullet, then a signed request's
  // headers checked first, then its answer. Every answer tells the resource pool's state
  // (gw-ratelimit-*), as KuCoin's do.
  void route_kucoin(const std::string& path, const std::string& query) {
    auto& sim = *sim_;
    const std::int64_t now = wall_ms();
    const std::string method(req_.method_string());
    auto reply = [&](const HttpAnswer& a) {
      res_.result(static_cast<http::status>(a.status));
      res_.body() = a.body;
    };
    if (const std::int64_t window = now / 30'000; window != sim.pool_window) {
      sim.pool_window = window;
      sim.pool_used = 0;
    }
    ++sim.pool_used;
    res_.set("gw-ratelimit-limit", "4000");
    res_.set("gw-ratelimit-remaining", std::to_string(std::max<std::int64_t>(0, 4000 - sim.pool_used)));
    res_.set("gw-ratelimit-reset", std::to_string(30'000 - now % 30'000));
    if (method == "POST" && path == "/api/v1/bullet-public") return reply(bullet());
    const bool futures = sim.options.venue == VenueId::kucoin_futures;
    if (futures ? KucoinFuturesApi::is_private(path) : KucoinApi::is_private(path)) {
      const auto header = [&](const char* name) {
        const auto v = req_[name];
        return std::string_view(v.data(), v.size());
      };
      const std::string target(req_.target());
      if (auto refused = kucoin_auth_error({header("KC-API-KEY"), header("KC-API-SIGN"), header("KC-API-TIMESTAMP"),
                                            header("KC-API-PASSPHRASE"), header("KC-API-KEY-VERSION")},
                                           method, target, req_.body(), sim.options.api_key, sim.options.api_secret,
                                           sim.options.api_passphrase, now))
        return reply(*refused);
    }
    reply(futures ? sim.kucoin_futures.answer(method, path, parse_params(query), req_.body(), now)
                  : sim.kucoin.answer(method, path, parse_params(query), req_.body(), now));
  }

  void route(const std::string& path, const std::string& query) {
    auto& sim = *sim_;
    if (sim.options.venue == VenueId::coinbase) return route_coinbase(path, query);
    if (sim.options.venue == VenueId::kucoin || sim.options.venue == VenueId::kucoin_futures) return route_kucoin(path, query);
    const auto method = req_.method();
    const std::int64_t now = wall_ms();
    auto answer = [&](const VenueResult<std::string>& r) {
      if (r) {
        res_.result(http::status::ok);
        res_.body() = *r;
      } else {
        res_.result(static_cast<http::status>(r.error().http_status));
        res_.body() = r.error().json();
      }
    };
    if (sim.options.venue == VenueId::binance_usdm) return route_usdm(path, query, method, now, answer);
    if (path == "/api/v3/ping") return answer(std::string("{}"));
    if (path == "/api/v3/time") return answer(fmt::format(R"({{"serverTime":{}}})", now));
    if (path == "/api/v3/exchangeInfo") return answer(sim.venue.exchange_info(parse_params(query), now));
    if (path == "/api/v3/ticker/price") return answer(sim.venue.ticker_price(parse_params(query)));
    if (path == "/api/v3/klines") return answer(klines(query, now));
    const bool known = path == "/api/v3/order" || path == "/api/v3/openOrders" || path == "/api/v3/account" ||
                       path == "/api/v3/myTrades";
    if (!known) return answer(tl::unexpected(VenueError{404, -1000, "Unknown endpoint."}));
    const auto key = req_[std::string("X-MBX-APIKEY")];
    auto params = authenticate(SignedRequest{std::string_view(key.data(), key.size()), query, req_.body()}, sim.options.api_key,
                               sim.options.api_secret, now);
    if (!params) return answer(tl::unexpected(params.error()));
    if (path == "/api/v3/order" && method == http::verb::post) return answer(sim.venue.new_order(*params, now));
    if (path == "/api/v3/order" && method == http::verb::delete_) return answer(sim.venue.cancel_order(*params, now));
    if (path == "/api/v3/order" && method == http::verb::get) return answer(sim.venue.query_order(*params));
    if (path == "/api/v3/openOrders" && method == http::verb::get) return answer(sim.venue.open_orders(*params));
    if (path == "/api/v3/account" && method == http::verb::get) return answer(sim.venue.account(now));
    if (path == "/api/v3/myTrades" && method == http::verb::get) return answer(sim.venue.my_trades(*params));
    answer(tl::unexpected(VenueError{405, -1000, "Method not allowed."}));
  }

  // GET klines (spot's and USDⓈ-M's alike): the captures' history on the sim's clock.
  VenueResult<std::string> klines(const std::string& query, std::int64_t now) {
    auto& sim = *sim_;
    const auto params = parse_params(query);
    const auto symbol = params.count("symbol") ? params.at("symbol") : std::string();
    return sim.klines.answer(params, sim.venue.trades_symbol(symbol), now, sim.klines.has(symbol) ? sim.clock_offset() : 0);
  }

  // The USDⓈ-M personality: Binance's /fapi REST (and nothing of spot's /api/v3), signed as
  // spot's is, answering from the venue's futures account.
  template <class Answer>
  void route_usdm(const std::string& path, const std::string& query, http::verb method, std::int64_t now,
                  Answer& answer) {
    auto& sim = *sim_;
    if (path == "/fapi/v1/ping") return answer(std::string("{}"));
    if (path == "/fapi/v1/time") return answer(fmt::format(R"({{"serverTime":{}}})", now));
    if (path == "/fapi/v1/exchangeInfo") return answer(sim.venue.exchange_info({}, now));  // every symbol, as fapi's
    if (path == "/fapi/v1/ticker/price") return answer(sim.venue.ticker_price(parse_params(query)));
    if (path == "/fapi/v1/klines") return answer(klines(query, now));
    const bool known = path == "/fapi/v1/order" || path == "/fapi/v1/openOrders" || path == "/fapi/v1/userTrades" ||
                       path == "/fapi/v2/balance" || path == "/fapi/v2/positionRisk" || path == "/fapi/v1/leverage" ||
                       path == "/fapi/v1/marginType" || path == "/fapi/v2/account" || path == "/fapi/v1/leverageBracket";
    if (!known) return answer(tl::unexpected(VenueError{404, -1000, "Unknown endpoint."}));
    const auto key = req_[std::string("X-MBX-APIKEY")];
    auto params = authenticate(SignedRequest{std::string_view(key.data(), key.size()), query, req_.body()},
                               sim.options.api_key, sim.options.api_secret, now);
    if (!params) return answer(tl::unexpected(params.error()));
    using V = http::verb;
    if (path == "/fapi/v1/order" && method == V::post) return answer(sim.venue.new_order(*params, now));
    if (path == "/fapi/v1/order" && method == V::delete_) return answer(sim.venue.cancel_order(*params, now));
    if (path == "/fapi/v1/order" && method == V::get) return answer(sim.venue.query_order(*params));
    if (path == "/fapi/v1/openOrders" && method == V::get) return answer(sim.venue.open_orders(*params));
    if (path == "/fapi/v1/userTrades" && method == V::get) return answer(sim.venue.my_trades(*params));
    if (path == "/fapi/v2/balance" && method == V::get) return answer(sim.venue.futures_balance(now));
    if (path == "/fapi/v2/positionRisk" && method == V::get) return answer(sim.venue.position_risk(*params, now));
    if (path == "/fapi/v1/leverage" && method == V::post) return answer(sim.venue.set_leverage(*params));
    if (path == "/fapi/v1/marginType" && method == V::post) return answer(sim.venue.set_margin_type(*params));
    if (path == "/fapi/v2/account" && method == V::get) return answer(sim.venue.futures_account(now));
    if (path == "/fapi/v1/leverageBracket" && method == V::get) return answer(sim.venue.leverage_brackets(*params));
    answer(tl::unexpected(VenueError{405, -1000, "Method not allowed."}));
  }

  void write() {
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive()) {
        beast::get_lowest_layer(self->stream_).close();
        return;
      }
      self->read();
    });
  }

  tls_stream stream_;
  std::shared_ptr<SimServer::Impl> sim_;
  asio::steady_timer timer_;

 public:
  void close_now() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
    timer_.cancel();
  }

 private:
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

void SimServer::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // the acceptor closed: stopping
    auto session = std::make_shared<HttpSession>(std::move(socket), self);
    self->http_sessions.remove_if([](const auto& w) { return w.expired(); });
    self->http_sessions.push_back(session);
    session->start();
    self->accept();
  });
}

namespace {
// Calls `f` on each session still open, forgetting those that are gone.
template <class Session, class F>
void for_each_open(std::list<std::weak_ptr<Session>>& sessions, F&& f) {
  for (auto it = sessions.begin(); it != sessions.end();) {
    if (auto s = it->lock()) {
      f(*s);
      ++it;
    } else {
      it = sessions.erase(it);
    }
  }
}
}  // namespace

// Closing every connection completes every pending operation, so the handlers that hold
// the sessions (and through them this server) are released.
void SimServer::Impl::close_all() {
  beast::error_code ec;
  acceptor.close(ec);
  for_each_open(sessions, [](WsSession& s) { s.close_now(); });
  for_each_open(http_sessions, [](HttpSession& s) { s.close_now(); });
  for_each_open(api_sessions, [](ApiSession& s) { s.close_now(); });
}

void SimServer::Impl::hand_over_held(WsSession& to) {
  while (!held.empty() && anyone_connected()) {
    auto f = std::move(held.front());
    held.pop_front();
    to.send(f);
  }
  log_if_delivered();
}

void SimServer::Impl::broadcast(const std::shared_ptr<const Frame>& f) {
  if (options.hold_while_away && (!held.empty() || !anyone_connected())) {
    held.push_back(f);
    return;
  }
  for_each_open(sessions, [&](WsSession& s) { s.send(f); });
}

void SimServer::Impl::publish_events() {
  for (const auto& e : venue.take_events()) for_each_open(api_sessions, [&](ApiSession& s) { s.event(e); });
}

// Plays the captures on a thread of its own, paced by their receive times; trades reach
// the venue (fills) and every frame the subscribers, on the io thread.
void SimServer::Impl::replay() {
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return subscribed || stopping; });
    if (stopping) return;
  }
  std::uint64_t frames = 0;
  std::vector<ParsedFrame> items;
  for (const auto& path : options.captures) {
    auto file = CaptureFile::open(path);
    if (!file) {
      spdlog::error("{}", file.error().message);
      continue;
    }
    auto decoder = make_frame_decoder(options.venue);
    std::int64_t first_ts = 0, offset_ms = 0;
    auto started = std::chrono::steady_clock::now();
    MarkSchedule schedule = options.marks;  // binance_usdm, kucoin_futures
    schedule.kucoin_futures = options.venue == VenueId::kucoin_futures;
    SimMarks marks(schedule);
    CaptureLine line;
    for (;;) {
      auto more = (*file)->next(line);
      if (!more || !*more) break;
      // History is not streamed: what was received by its end (a kline that closed then) is REST's.
      if (!line.ts_ok || (options.history_ms > 0 && line.recv_ts_ns / 1'000'000 <= stream_start_ms)) continue;
      if (first_ts == 0) {
        first_ts = options.history_ms > 0 ? stream_start_ms * 1'000'000 : line.recv_ts_ns;  // paced from the clock's start
        offset_ms = clock_offset();
      }
      const bool coinbase = options.venue == VenueId::coinbase,
                 kucoin = options.venue == VenueId::kucoin || options.venue == VenueId::kucoin_futures;
      // Coinbase frames go out numbered by each connection; Coinbase's and KuCoin's trades
      // fill orders at the sim's time.
      const std::string_view raw(line.frame, line.frame_len);
      const std::int64_t received_ms = line.recv_ts_ns / 1'000'000;
      const std::string text = coinbase ? shift_coinbase_times(raw, offset_ms)
                               : kucoin ? shift_kucoin_times(raw, received_ms, offset_ms)
                                        : shift_times(raw, received_ms, offset_ms);
      items.clear();
      decoder->decode(text.data(), text.size(), text.size(), items);
      std::vector<Trade> trades;
      for (const auto& parsed : items)
        if (auto trade = price_print(parsed)) {
          if (coinbase || kucoin) trade->trade_ts_ms = received_ms + offset_ms;
          trades.push_back(*std::move(trade));
        }
      const std::string stream = coinbase ? coinbase_channel(text)
                                 : kucoin ? kucoin_topic(text)
                                          : items.size() == 1 ? items.front().stream : std::string();
      if (kucoin)  // a REST book recorded here is what the venue's REST serves from now on
        if (auto book = recorded_book(text, items))
          asio::post(io, [self = shared_from_this(), book = std::move(*book)]() mutable {
            self->kucoin.set_book(book.first, std::move(book.second));
          });
      if (stream.empty()) continue;  // REST snapshot lines are not stream frames
      // USDⓈ-M: the marks due before this frame, at the books before it.
      std::vector<std::shared_ptr<const Frame>> marks_due;
      if (options.venue == VenueId::binance_usdm || options.venue == VenueId::kucoin_futures) {
        for (auto& m : marks.due(received_ms + offset_ms))
          marks_due.push_back(std::make_shared<const Frame>(Frame{std::move(m.stream), std::move(m.text)}));
        for (const auto& parsed : items)
          if (const auto* b = std::get_if<BookTicker>(&parsed.message))
            if (auto instrument = parse_instrument(b->symbol)) marks.on_book(instrument->symbol, b->bid_price, b->ask_price);
      }
      if (options.hold_while_away) {  // nobody there: wait, and move the pace along with the wait
        const auto waited_from = std::chrono::steady_clock::now();
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return connected > 0 || stopping; });
        if (stopping) return;
        started += std::chrono::steady_clock::now() - waited_from;
      }
      if (options.speed > 0) {
        const auto due = started + std::chrono::nanoseconds(
                                       static_cast<std::int64_t>(static_cast<double>(line.recv_ts_ns - first_ts) / options.speed));
        std::unique_lock lock(mu);
        if (cv.wait_until(lock, due, [&] { return stopping; })) return;
      } else if (std::lock_guard lock(mu); stopping) {
        return;
      }
      auto frame = std::make_shared<const Frame>(Frame{stream, text});
      frames += 1 + marks_due.size();
      asio::post(io, [self = shared_from_this(), frame, trades = std::move(trades), marks_due = std::move(marks_due)] {
        for (const auto& mark : marks_due) self->broadcast(mark);
        for (const auto& trade : trades) self->venue.on_trade(trade.symbol, trade.price, trade.qty, trade.trade_ts_ms);
        self->publish_events();
        self->broadcast(frame);
      });
    }
  }
  spdlog::info("stream: capture replayed ({} frames); REST stays up", frames);
  asio::post(io, [self = shared_from_this()] {
    self->replay_done = true;
    self->log_if_delivered();
  });
}

SimServer::SimServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
SimServer::~SimServer() {
  stop();
  if (impl_->replayer.joinable()) impl_->replayer.join();
  // Pending handlers hold the sessions, which hold the server: close everything and let
  // them finish, or none of it is ever freed.
  asio::post(impl_->io, [impl = impl_.get()] { impl->close_all(); });
  impl_->io.restart();
  impl_->io.run_for(std::chrono::seconds(2));
}

Result<std::unique_ptr<SimServer>> SimServer::start(const SimOptions& options, const net::SelfSigned& cert) {
  auto impl = std::make_shared<Impl>(options);
  impl->stream_start_ms =
      open_market(options.captures, options.venue, impl->venue, impl->klines, impl->kucoin, impl->kucoin_futures) +
      options.history_ms;
  auto ctx = net::server_context(cert);
  if (!ctx) return tl::unexpected(ctx.error());
  impl->tls = std::move(*ctx);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) return fail(fmt::format("--listen: bad address {}: {}", options.host, ec.message()));
  const tcp::endpoint at(address, options.port);
  impl->acceptor.open(at.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(at, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(fmt::format("cannot listen on {}:{}: {}", options.host, options.port, ec.message()));
  impl->accept();
  impl->replayer = std::thread([impl] { impl->replay(); });
  return std::unique_ptr<SimServer>(new SimServer(impl));
}

unsigned short SimServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void SimServer::run() { impl_->io.run(); }

void SimServer::stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->io.stop();
}

}  // namespace trader::sim
