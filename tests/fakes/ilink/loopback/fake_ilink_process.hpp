// Runs patchbay-fake-ilink as a child process on 127.0.0.1:0, reads its first stdout line, and
// talks to it with the kit HTTP client (kit_test::fetch). Stops it with SIGTERM. The process
// handling is pbfake::fake_process (tests/support/fake_process.hpp).
#pragma once

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fake_process.hpp"  // tests/support: pbfake::fake_process
#include "kit_test_support.hpp"

namespace fakes_ilink_loopback {

namespace json = boost::json;
namespace kit = patchbay::kit;
using namespace std::chrono_literals;

using pbfake::parse_object;

// pbfake::fake_process with --seed 7, stopped with SIGTERM at the end, plus iLink requests.
class fake_process : public pbfake::fake_process {
 public:
  explicit fake_process(std::vector<std::string> args)
      : pbfake::fake_process(PB_FAKE_ILINK_BIN, with_seed(std::move(args))) {}
  ~fake_process() { terminate(); }

  const json::object& account(std::size_t i = 0) const {
    return first_line.at("accounts").as_array().at(i).as_object();
  }
  std::string token(std::size_t i = 0) const {
    return std::string(account(i).at("bot_token").as_string());
  }
  std::string account_id(std::size_t i = 0) const {
    return std::string(account(i).at("account_id").as_string());
  }

  // An iLink bot API request as the plugin sends it (headers of the protocol note §1.3).
  kit::http_client_request bot_request(const std::string& endpoint, json::object body,
                                       const std::string& token,
                                       std::chrono::milliseconds wait = 30s) const {
    if (!body.contains("base_info"))
      body["base_info"] = json::object{{"channel_version", "2.4.9"}, {"bot_agent", "OpenClaw"}};
    return request("POST", "/ilink/bot/" + endpoint, json::serialize(body),
                   {{"Content-Type", "application/json"},
                    {"AuthorizationType", "ilink_bot_token"},
                    {"X-WECHAT-UIN", "MzkxMjM0NTY3"},  // base64("391234567")
                    {"iLink-App-Id", "bot"},
                    {"iLink-App-ClientVersion", "132105"},
                    {"Authorization", "Bearer " + token}},
                   wait);
  }
  kit::http_client_request control_request(const std::string& method, const std::string& target,
                                           json::object body = {}) const {
    return request(method, target, method == "POST" ? json::serialize(body) : std::string(),
                   {{"Content-Type", "application/json"}}, 10s);
  }

 private:
  static std::vector<std::string> with_seed(std::vector<std::string> args) {
    args.insert(args.begin(), {"--seed", "7"});
    return args;
  }
};

}  // namespace fakes_ilink_loopback
