#pragma once
// How to reach one of KuCoin's REST APIs (spot or futures) with a key.
#include <chrono>
#include <string>

#include "credentials/credentials.hpp"

namespace trader::kucoin {

struct RestVenueOptions {
  std::string base_url;  // https://api.kucoin.com, https://api-futures.kucoin.com, https://127.0.0.1:PORT (exchange-sim)
  std::string ca_file;   // empty: the system CA store
  credentials::ApiCredentials credentials;  // key, secret and API passphrase
  int key_version = 2;                      // KC-API-KEY-VERSION: the version the key was made with (2 or 3)
  std::chrono::milliseconds timeout{5000};
};

}  // namespace trader::kucoin
