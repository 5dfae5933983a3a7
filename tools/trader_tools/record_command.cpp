// trader-tools record binance|coinbase|kucoin|kucoin-futures: records a live (or simulated) stream into a
// capture file, the same format `import` and the node's capture feed read.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <zlib.h>

#include "exchange/coinbase/subscribe.hpp"
#include "exchange/kucoin/handshake.hpp"
#include "exchange/kucoin/stream_connect.hpp"
#include "exchange/live_stream.hpp"
#include "exchange/frame_decoder.hpp"
#include "base/wall_clock.hpp"
#include "exchange/net/backoff.hpp"
#include "exchange/net/ws_client.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {

struct RecordArgs {
  std::string url, out, ca_file;
  std::uint64_t frames = 0;
  double seconds = 0;
  int idle_timeout_s = 10;
  int max_reconnects = 20;
  VenueId venue = VenueId::binance;
  std::vector<std::string> subscribe;  // frames sent after each connect (Coinbase, KuCoin)
  std::vector<std::string> book_symbols;  // KuCoin: whose REST book each connection records first (level2)
  std::vector<std::string> contract_symbols;  // KuCoin Futures: whose contract each connection records first
};

// How each connection begins: KuCoin's with a fresh token (url: its REST base), others by URL.
StreamConnector connector_for(const RecordArgs& a) {
  if (a.venue == VenueId::kucoin || a.venue == VenueId::kucoin_futures)
    return kucoin::stream_connector(
        {a.url, a.subscribe, a.book_symbols, a.contract_symbols, a.ca_file, std::chrono::seconds(a.idle_timeout_s), nullptr});
  return url_connector(a.url, a.ca_file, std::chrono::seconds(a.idle_timeout_s), a.subscribe);
}

int run_record(const RecordArgs& a) {
  if (a.frames == 0 && a.seconds <= 0) return fmt::print(stderr, "error: give --frames N or --seconds S\n"), kExitError;
  const bool kucoin = a.venue == VenueId::kucoin || a.venue == VenueId::kucoin_futures;
  if (kucoin ? a.url.rfind("https://", 0) != 0 : a.url.rfind("wss://", 0) != 0)
    return fmt::print(stderr, "error: --url {}: expected {}\n", a.url,
                      kucoin ? "KuCoin's https:// REST base" : "wss://HOST[:PORT]/PATH"),
           kExitError;
  auto connect = connector_for(a);
  // A capture is raw data nothing else holds: --out is a new file, never one written over
  // (a restarted recorder would empty yesterday's), or a device or pipe (/dev/stdout).
  struct stat st{};
  const bool exists = ::stat(a.out.c_str(), &st) == 0;
  if (exists && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
    return fmt::print(stderr, "error: --out {} already exists: record writes a new capture, never over one (choose "
                              "another name)\n", a.out),
           kExitError;
  const int fd = exists ? ::open(a.out.c_str(), O_WRONLY | O_CLOEXEC)
                        : ::open(a.out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::print(stderr, "error: --out {}: cannot write it: {}\n", a.out, std::strerror(errno)), kExitError;
  gzFile out = gzdopen(fd, a.out.ends_with(".gz") ? "wb6" : "wbT");
  if (out == nullptr) {
    ::close(fd);
    return fmt::print(stderr, "error: --out {}: cannot write it\n", a.out), kExitError;
  }
  // A write that fails (a full disk) stops the recording: what follows would be lost.
  std::string write_error;
  auto cannot_write = [&](int zlib_code) {
    if (write_error.empty())
      write_error = fmt::format("cannot write {}: {}", a.out,
                                zlib_code == Z_ERRNO ? std::strerror(errno) : fmt::format("zlib error {}", zlib_code));
  };
  net::Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(10), static_cast<std::uint64_t>(wall_ns()));
  auto decoder = make_frame_decoder(a.venue);
  std::vector<ParsedFrame> items;
  std::map<std::string, std::uint64_t> last_trade_id;
  std::uint64_t frames = 0, malformed = 0, gaps = 0, reconnects = 0;
  int failures_in_row = 0;
  const auto started = std::chrono::steady_clock::now();
  auto done = [&] {
    return (a.frames > 0 && frames >= a.frames) ||
           (a.seconds > 0 && std::chrono::steady_clock::now() - started >= std::chrono::duration<double>(a.seconds));
  };
  std::string fatal;
  while (!done()) {
    bool permanent = false;
    auto ws = connect(permanent);
    if (!ws && permanent) {
      fatal = ws.error().message;
      break;
    }
    std::string why;
    if (ws) {
      fmt::print(stderr, "connected to {}\n", a.url);
      decoder->reset();
      std::uint64_t got = 0;
      while (!done()) {
        Result<std::string> frame = std::string();
        if (!ws->early_frames.empty()) {  // what came during the handshake, first
          frame = std::move(ws->early_frames.front());
          ws->early_frames.erase(ws->early_frames.begin());
        } else {
          frame = ws->ws->read();
        }
        if (!frame) {
          why = frame.error().message;
          break;
        }
        ++got;
        ++frames;
        const std::string line = fmt::format("{} {}\n", wall_ns(), *frame);
        if (gzwrite(out, line.data(), static_cast<unsigned>(line.size())) != static_cast<int>(line.size())) {
          int code = Z_ERRNO;
          gzerror(out, &code);
          cannot_write(code);
          break;
        }
        items.clear();
        decoder->decode(frame->data(), frame->size(), frame->size(), items);
        for (const auto& parsed : items) {
          if (parsed.kind == ParsedFrame::Kind::malformed) {
            ++malformed;
            fmt::print(stderr, "malformed frame {} (kept as received): {}\n", frames, parsed.error);
          } else if (auto* f = std::get_if<FeedStatus>(&parsed.message); f && f->kind == FeedStatusKind::gap) {
            ++gaps;
            fmt::print(stderr, "gap: {} {} after {}\n", f->stream, f->received_id, f->expected_id - 1);
          } else if (auto* t = std::get_if<Trade>(&parsed.message)) {
            auto& last = last_trade_id[t->symbol];
            // KuCoin's trade ids are book sequences: they rise, and skip.
            if (last != 0 && (kucoin ? t->trade_id <= last : t->trade_id != last + 1)) {
              ++gaps;
              fmt::print(stderr, "gap: {} trade id {} after {}\n", t->symbol, t->trade_id, last);
            }
            last = t->trade_id;
          }
        }
      }
      if (got > 0) {
        backoff.reset();
        failures_in_row = 0;
      }
      if (!write_error.empty()) break;
      if (done()) {
        ws->ws->close();
        break;
      }
    } else {
      why = ws.error().message;
    }
    if (++failures_in_row > a.max_reconnects) {
      fatal = fmt::format("giving up after {} failed reconnects: {}", a.max_reconnects, why);
      break;
    }
    const auto delay = backoff.next();
    ++reconnects;
    fmt::print(stderr, "disconnected: {}; reconnecting in {} ms\n", why, delay.count());
    std::this_thread::sleep_for(delay);
  }
  if (const int closed = gzclose(out); closed != Z_OK) cannot_write(closed);  // the last buffered frames go here
  // A run that failed before its first frame leaves no empty capture behind.
  if (!exists && frames == 0 && (!fatal.empty() || !write_error.empty())) ::unlink(a.out.c_str());
  if (!write_error.empty())
    return fmt::print(stderr, "error: {}: the capture holds fewer than the {} frames received\n", write_error, frames),
           kExitFailed;
  fmt::print("recorded {} frames into {}: {} reconnects, {} malformed, {} gaps\n", frames, a.out, reconnects, malformed,
             gaps);
  if (!fatal.empty()) return fmt::print(stderr, "error: {}\n", fatal), kExitError;
  return kExitOk;
}

}  // namespace

void add_record_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<RecordArgs>();
  auto* rec = app.add_subcommand("record", "Record a market stream into a capture file");
  rec->require_subcommand(1);
  // The options both venues take.
  auto common = [&](CLI::App* cmd) {
    cmd->add_option("--out", a->out, "capture file to write (.gz: gzip)")->required();
    cmd->add_option("--ca-file", a->ca_file, "trust this CA (PEM) instead of the system store (the simulator's certificate)");
    cmd->add_option("--frames", a->frames, "stop after N frames");
    cmd->add_option("--seconds", a->seconds, "stop after S seconds");
    cmd->add_option("--idle-timeout", a->idle_timeout_s, "seconds without a frame before reconnecting")->capture_default_str();
    cmd->add_option("--max-reconnects", a->max_reconnects, "give up after N reconnects in a row without data")
        ->capture_default_str();
  };
  auto* binance = rec->add_subcommand("binance", "Record a Binance combined stream (wss://.../stream?streams=a/b)");
  binance->add_option("--url", a->url, "e.g. wss://stream.binance.com:9443/stream?streams=btcusdt@trade/btcusdt@bookTicker")
      ->required();
  common(binance);
  binance->callback([a, &exit_code] { exit_code = run_record(*a); });

  auto* coinbase = rec->add_subcommand(
      "coinbase", "Record Coinbase's Advanced Trade WebSocket, subscribing by message to each channel for the products");
  a->url = "wss://advanced-trade-ws.coinbase.com";
  coinbase->add_option("--url", a->url, "the WebSocket")->capture_default_str();
  auto products = std::make_shared<std::vector<std::string>>();
  auto channels = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"market_trades", "heartbeats"});
  coinbase->add_option("--products", *products, "e.g. BTC-USD ETH-USD")->required();
  coinbase->add_option("--channels", *channels, "market_trades, ticker, ticker_batch, level2, candles, heartbeats")
      ->check(CLI::IsMember({"market_trades", "ticker", "ticker_batch", "level2", "candles", "heartbeats"}))
      ->capture_default_str();
  common(coinbase);
  coinbase->callback([a, products, channels, &exit_code] {
    a->venue = VenueId::coinbase;
    a->subscribe = coinbase::subscribe_frames(*products, *channels);
    exit_code = run_record(*a);
  });

  auto* kucoin = rec->add_subcommand(
      "kucoin", "Record KuCoin's spot WebSocket: a fresh token from the REST base for each connection, then "
                "subscriptions by topic, pinged on KuCoin's interval");
  auto kucoin_url = std::make_shared<std::string>("https://api.kucoin.com");
  kucoin->add_option("--url", *kucoin_url, "KuCoin's REST base, where each connection's token comes from")
      ->capture_default_str();
  auto symbols = std::make_shared<std::vector<std::string>>();
  auto topics = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"match"});
  kucoin->add_option("--symbols", *symbols, "e.g. BTC-USDT ETH-USDT")->required();
  kucoin->add_option("--channels", *topics, "match, ticker, level2 (each connection records the REST book first)")
      ->check(CLI::IsMember(kucoin::known_channels(VenueId::kucoin)))
      ->capture_default_str();
  common(kucoin);
  kucoin->callback([a, kucoin_url, symbols, topics, &exit_code] {
    a->venue = VenueId::kucoin;
    a->url = *kucoin_url;
    a->subscribe = kucoin::subscribe_frames(*symbols, *topics, 1);
    a->book_symbols = kucoin::book_symbols(*symbols, *topics);
    exit_code = run_record(*a);
  });

  auto* futures = rec->add_subcommand(
      "kucoin-futures", "Record KuCoin Futures' WebSocket (a bullet-public token per connection; each contract first)");
  auto futures_url = std::make_shared<std::string>("https://api-futures.kucoin.com");
  futures->add_option("--url", *futures_url, "KuCoin Futures' REST base, where each connection's token comes from")
      ->capture_default_str();
  auto contracts = std::make_shared<std::vector<std::string>>();
  auto futures_topics =
      std::make_shared<std::vector<std::string>>(std::vector<std::string>{"execution", "tickerV2", "instrument"});
  futures->add_option("--symbols", *contracts, "e.g. XBTUSDTM ETHUSDTM")->required();
  futures->add_option("--channels", *futures_topics, kucoin::known_channel_list(VenueId::kucoin_futures))
      ->check(CLI::IsMember(kucoin::known_channels(VenueId::kucoin_futures)))
      ->capture_default_str();
  common(futures);
  futures->callback([a, futures_url, contracts, futures_topics, &exit_code] {
    a->venue = VenueId::kucoin_futures;
    a->url = *futures_url;
    std::vector<std::string> instruments;
    for (const auto& symbol : *contracts) instruments.push_back(instrument_name(VenueId::kucoin_futures, symbol));
    a->subscribe = kucoin::subscribe_frames(instruments, *futures_topics, 1);
    a->contract_symbols = kucoin::contract_symbols(instruments);
    exit_code = run_record(*a);
  });
}

}  // namespace trader::tools
