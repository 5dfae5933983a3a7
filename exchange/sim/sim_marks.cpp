#include "exchange/sim/sim_marks.hpp"

#include <fmt/format.h>

#include "exchange/binance/stream_url.hpp"
#include "messages/fixed_point.hpp"

namespace trader::sim {

void SimMarks::on_book(const std::string& symbol, std::int64_t bid, std::int64_t ask) {
  if (bid > 0 && ask > 0) mid_[symbol] = static_cast<std::int64_t>((static_cast<__int128>(bid) + ask) / 2);
}

std::vector<MarkFrame> SimMarks::due(std::int64_t now_ms) {
  std::vector<MarkFrame> out;
  const std::int64_t every = schedule_.every_ms > 0 ? schedule_.every_ms : 1000;
  const std::int64_t boundary = now_ms - now_ms % every;
  if (last_ms_ == 0 || boundary <= last_ms_) {
    if (last_ms_ == 0) last_ms_ = boundary;
    return out;
  }
  // A quiet stretch of the capture publishes one mark per boundary, as the venue would.
  for (std::int64_t t = last_ms_ + every; t <= boundary; t += every) {
    const std::int64_t interval = schedule_.funding_interval_ms;
    const std::int64_t next_funding = interval > 0 ? t - t % interval + interval : 0;
    for (const auto& [symbol, mid] : mid_) {
      if (schedule_.kucoin_futures) {
        kucoin_futures_frames(symbol, mid, t, next_funding, out);
        continue;
      }
      std::string stream = binance::stream_name(symbol, "markPrice@1s");  // what a subscriber asked for
      const std::string price = format_fixed(mid);
      std::string text = fmt::format(R"({{"stream":"{}","data":{{"e":"markPriceUpdate","E":{},"s":"{}","p":"{}",)"
                                     R"("i":"{}","P":"{}","r":"{}","T":{}}}}})",
                                     stream, t, symbol, price, price, price, format_fixed(schedule_.funding_rate),
                                     next_funding);
      out.push_back({std::move(stream), std::move(text)});
    }
  }
  last_ms_ = boundary;
  return out;
}

void SimMarks::kucoin_futures_frames(const std::string& symbol, std::int64_t mid, std::int64_t t, std::int64_t next_funding,
                                     std::vector<MarkFrame>& out) const {
  const std::string instrument = "/contract/instrument:" + symbol;
  const std::string rate = format_fixed(schedule_.funding_rate);
  const std::int64_t interval = schedule_.funding_interval_ms;
  if (interval > 0 && next_funding - interval == t)  // a funding time: settled before its mark
    out.push_back({"/contract/announcement:" + symbol,
                   fmt::format(R"({{"topic":"/contract/announcement","type":"message","subject":"funding.begin","data":)"
                               R"({{"symbol":"{}","fundingTime":{},"fundingRate":{},"timestamp":{}}}}})",
                               symbol, t, rate, t)});
  if (t % 60'000 == 0)
    out.push_back({instrument, fmt::format(R"({{"topic":"{}","type":"message","subject":"funding.rate","data":)"
                                           R"({{"granularity":60000,"fundingRate":{},"timestamp":{}}}}})",
                                           instrument, rate, t)});
  const std::string price = format_fixed(mid);
  out.push_back({instrument, fmt::format(R"({{"topic":"{}","type":"message","subject":"mark.index.price","data":)"
                                         R"({{"markPrice":{},"indexPrice":{},"granularity":{},"timestamp":{}}}}})",
                                         instrument, price, price, schedule_.every_ms, t)});
}

}  // namespace trader::sim
