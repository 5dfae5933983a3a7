#include <doctest/doctest.h>

#include "exchange/kucoin/handshake.hpp"

using namespace trader;

TEST_CASE("kucoin bullet: the token and the first server, or KuCoin's reason") {
  auto b = kucoin::parse_bullet(R"({"code":"200000","data":{"token":"2neAiuYvAU61ZDXANAGAsiL4-iAExhsBXZxftpOeh_55i3Ysy2q2LEsEWU64mdzUOPusi34M_wGoSf7iNyEWJ2gZJLp3fgqGGvpzdfennGL3R06_0gIS-diYB9J6i9GjsxUuhPw3Blq6rhZlGykT3Vp1phUafnulOOpts-MEmEF-3bpfetLOAjzQ04YZ_8fRJBvJHl5Vs9Y=.28mIdGU0xg5pJ6TpPYIhjg==",
      "instanceServers":[{"endpoint":"wss://ws-api-spot.kucoin.com/","encrypt":true,"protocol":"websocket","pingInterval":18000,"pingTimeout":10000}]}})");
  REQUIRE_MESSAGE(b.has_value(), (b ? "" : b.error().message));
  CHECK(b->endpoint == "wss://ws-api-spot.kucoin.com/");
  CHECK(b->ping_interval_ms == 18000);
  CHECK(b->ping_timeout_ms == 10000);
  // The token is a query value: its '=' and '+' are escaped.
  CHECK(kucoin::connect_url(*b, "c-7") ==
        "wss://ws-api-spot.kucoin.com/?token=" + b->token.substr(0, b->token.size() - 26) +
            "%3D.28mIdGU0xg5pJ6TpPYIhjg%3D%3D&connectId=c-7");
  for (const auto& [answer, says] : std::vector<std::pair<std::string, std::string>>{
           {R"({"code":"429000","msg":"Too many requests in a short period of time"})",
            "kucoin bullet: code 429000: Too many requests in a short period of time"},
           {R"({"code":"200000","data":{"instanceServers":[]}})", "no \"data.token\""},
           {R"({"code":"200000","data":{"token":"t","instanceServers":[]}})", "no \"data.instanceServers\""},
           {R"({"code":"200000","data":{"token":"t","instanceServers":[{"endpoint":"http://x","pingInterval":1,"pingTimeout":1}]}})",
            "not a wss:// URL"},
           {R"({"code":"200000","data":{"token":"t","instanceServers":[{"endpoint":"wss://x","pingInterval":0,"pingTimeout":1}]}})",
            "must be positive ms"},
           {"<html>", "not JSON"}}) {
    auto bad = kucoin::parse_bullet(answer);
    CAPTURE(answer);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find(says) != std::string::npos);
  }
}

TEST_CASE("kucoin subscriptions: one request per topic of up to 100 symbols, numbered, and pings") {
  const auto frames = kucoin::subscribe_frames({"BTC-USDT@kucoin", "ETH-USDT@kucoin"}, {"match", "level2"}, 5);
  CHECK(frames == std::vector<std::string>{
                      R"({"id":"5","type":"subscribe","topic":"/market/match:BTC-USDT,ETH-USDT","privateChannel":false,"response":true})",
                      R"({"id":"6","type":"subscribe","topic":"/market/level2:BTC-USDT,ETH-USDT","privateChannel":false,"response":true})"});
  std::vector<std::string> many;
  for (int i = 0; i < 150; ++i) many.push_back("C" + std::to_string(i) + "-USDT@kucoin");
  const auto split = kucoin::subscribe_frames(many, {"match"}, 1);
  REQUIRE(split.size() == 2);
  CHECK(split[0].find("C99-USDT\"") != std::string::npos);
  CHECK(split[1].find("/market/match:C100-USDT,") != std::string::npos);
  CHECK(kucoin::ping_frame(9) == R"({"id":"9","type":"ping"})");
}

TEST_CASE("kucoin futures subscriptions: contractMarket and contract topics, each contract fetched, no spot books") {
  const std::vector<std::string> perps{"XBTUSDTM@kucoin_futures", "ETHUSDTM@kucoin_futures"};
  const auto frames = kucoin::subscribe_frames(perps, {"execution", "tickerV2", "instrument", "announcement"}, 1);
  REQUIRE(frames.size() == 4);
  CHECK(frames[0].find(R"("topic":"/contractMarket/execution:XBTUSDTM,ETHUSDTM")") != std::string::npos);
  CHECK(frames[1].find(R"("topic":"/contractMarket/tickerV2:XBTUSDTM,ETHUSDTM")") != std::string::npos);
  CHECK(frames[2].find(R"("topic":"/contract/instrument:XBTUSDTM,ETHUSDTM")") != std::string::npos);
  CHECK(frames[3].find(R"("topic":"/contract/announcement:XBTUSDTM,ETHUSDTM")") != std::string::npos);
  CHECK(kucoin::contract_symbols(perps) == std::vector<std::string>{"XBTUSDTM", "ETHUSDTM"});
  CHECK(kucoin::book_symbols(perps, {"level2"}).empty());
  CHECK(kucoin::contract_symbols({"BTC-USDT@kucoin"}).empty());  // spot has no contracts
}
