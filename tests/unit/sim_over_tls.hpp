#pragma once
// exchange-sim in-process over TLS on loopback, for unit tests of the venue path.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "exchange/binance/rest_venue.hpp"
#include "exchange/net/tls.hpp"
#include "exchange/sim/sim_server.hpp"

namespace trader::test {

// exchange-sim serving over TLS on loopback for the account ("k", "s"), and a Binance REST
// venue signed for it; stopped and cleaned up at the end of the test.
class SimOverTls {
 public:
  SimOverTls(const std::string& name, sim::SimOptions options, binance::Market market = binance::Market::spot)
      : dir_(std::filesystem::temp_directory_path() / name) {
    auto cert = net::make_self_signed();
    REQUIRE(cert.has_value());
    std::filesystem::create_directories(dir_);
    { std::ofstream(dir_ + "/sim.pem") << cert->cert_pem; }
    options.api_key = "k";
    options.api_secret = "s";
    auto server = sim::SimServer::start(options, *cert);
    REQUIRE(server.has_value());
    server_ = std::move(*server);
    serving_ = std::thread([this] { server_->run(); });
    binance::RestVenueOptions vo;
    vo.market = market;
    vo.base_url = "https://127.0.0.1:" + std::to_string(server_->port());
    vo.ca_file = dir_ + "/sim.pem";
    vo.credentials = {"k", "s"};
    auto venue = binance::RestVenue::create(vo);
    REQUIRE(venue.has_value());
    venue_ = std::move(*venue);
  }
  ~SimOverTls() {
    server_->stop();
    serving_.join();
    std::filesystem::remove_all(dir_);
  }
  binance::RestVenue& venue() { return *venue_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }
  std::string ca_file() const { return dir_ + "/sim.pem"; }

 private:
  std::string dir_;
  std::unique_ptr<sim::SimServer> server_;
  std::thread serving_;
  std::unique_ptr<binance::RestVenue> venue_;
};

}  // namespace trader::test
