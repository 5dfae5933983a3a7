#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/node/venue_gateway.hpp"
#include "credentials/credentials.hpp"
#include "exchange/binance/rest_venue.hpp"
#include "exchange/coinbase/rest_venue.hpp"
#include "exchange/kucoin/futures_rest_venue.hpp"
#include "exchange/kucoin/rest_venue.hpp"

namespace trader::node {

Result<std::unique_ptr<Venue>> make_venue(const NodeConfig::Venue& v, OrderMode mode) {
  Result<credentials::ApiCredentials> keys = [&]() -> Result<credentials::ApiCredentials> {
    if (v.key_file.empty()) return credentials::from_env(v.key_env.c_str(), v.secret_env.c_str(), v.passphrase_env.c_str());
    auto passphrase = credentials::read_passphrase("TRADER_KEYS_PASSPHRASE", "passphrase for the venue key file: ");
    if (!passphrase) return tl::unexpected(passphrase.error());
    return credentials::load_key_file(v.key_file, *passphrase);
  }();
  if (!keys)
    return fail(fmt::format("order.mode = \"{}\" needs {}'s API keys: {}", name(mode), venue_name(v.id), keys.error().message));
  spdlog::info("{} orders to {} signed with API key {} (fingerprint)", name(mode), venue_name(v.id), keys->fingerprint());
  auto made = [&]() -> Result<std::unique_ptr<Venue>> {
    if (v.id == VenueId::kucoin || v.id == VenueId::kucoin_futures) {
      kucoin::RestVenueOptions options;
      options.base_url = v.rest_url;
      options.ca_file = v.ca_file;
      options.credentials = std::move(*keys);
      options.key_version = static_cast<int>(v.key_version);
      options.timeout = std::chrono::milliseconds(v.timeout_ms);
      if (v.id == VenueId::kucoin_futures) return kucoin::FuturesRestVenue::create(std::move(options));
      return kucoin::RestVenue::create(std::move(options));
    }
    if (v.id == VenueId::coinbase) {
      coinbase::RestVenueOptions options;
      options.base_url = v.rest_url;
      options.public_url = v.public_url;
      options.ca_file = v.ca_file;
      options.credentials = std::move(*keys);
      options.timeout = std::chrono::milliseconds(v.timeout_ms);
      return coinbase::RestVenue::create(std::move(options));
    }
    binance::RestVenueOptions options;
    options.market = v.id == VenueId::binance_usdm ? binance::Market::usdm : binance::Market::spot;
    options.base_url = v.rest_url;
    options.ca_file = v.ca_file;
    options.credentials = std::move(*keys);
    options.recv_window_ms = v.recv_window_ms;
    options.timeout = std::chrono::milliseconds(v.timeout_ms);
    options.ws_api_url = v.ws_api_url;
    return binance::RestVenue::create(std::move(options));
  }();
  if (!made) return fail(fmt::format("venue.rest_url {}: {}", v.rest_url, made.error().message));
  return std::move(*made);
}

Result<std::unique_ptr<Venue>> make_history_venue(const NodeConfig& config) {
  binance::RestVenueOptions options;
  // A USDⓈ-M session's history is USDⓈ-M's klines (/fapi/v1/klines), not spot's.
  options.market = config.feed_venue() == VenueId::binance_usdm ? binance::Market::usdm : binance::Market::spot;
  options.base_url = config.history.rest_url;
  options.ca_file = config.history.ca_file;
  options.timeout = std::chrono::milliseconds(config.venue.timeout_ms);
  auto venue = binance::RestVenue::create(std::move(options));
  if (!venue) return fail(fmt::format("history.rest_url {}: {}", config.history.rest_url, venue.error().message));
  return std::unique_ptr<Venue>(std::move(*venue));
}

}  // namespace trader::node
