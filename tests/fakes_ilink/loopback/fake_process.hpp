// Runs patchbay-fake-ilink as a child process on 127.0.0.1:0, reads its first stdout line, and
// talks to it with the kit HTTP client (kit_test::fetch). Stops it with SIGTERM.
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

#include "child_process.hpp"
#include "kit_test_support.hpp"

namespace fakes_ilink_loopback {

namespace json = boost::json;
namespace kit = patchbay::kit;
using namespace std::chrono_literals;

inline json::object parse_object(const std::string& text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << text.substr(0, 500);
    return {};
  }
  return std::move(v.get_object());
}

class fake_process {
 public:
  explicit fake_process(std::vector<std::string> args) {
    char tmpl[] = "/tmp/pb-fake-ilink-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::vector<std::string> argv{PB_FAKE_ILINK_BIN, "--listen", "127.0.0.1:0", "--seed", "7"};
    argv.insert(argv.end(), args.begin(), args.end());
    child_ = std::make_unique<pbtest::child_process>(argv, std::map<std::string, std::string>{},
                                                     dir_ + "/out", dir_ + "/err");
    std::string out;
    kit_test::wait_until(
        [&] {
          out = pbtest::read_file(dir_ + "/out");
          return out.find('\n') != std::string::npos || child_->wait(0ms) != -1;
        },
        20s);
    const auto nl = out.find('\n');
    if (nl == std::string::npos) {
      ADD_FAILURE() << "no first line from the fake; stderr: " << pbtest::read_file(dir_ + "/err");
      return;
    }
    first = parse_object(out.substr(0, nl));
    base_url = std::string(first.at("base_url").as_string());
  }
  ~fake_process() {
    if (child_ && child_->wait(0ms) == -1) child_->signal(SIGTERM);
    if (child_) child_->wait(10s);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  fake_process(const fake_process&) = delete;
  fake_process& operator=(const fake_process&) = delete;

  // Exit code after SIGTERM (-1 if it did not exit within the bound).
  int terminate() {
    child_->signal(SIGTERM);
    return child_->wait(10s);
  }
  pid_t pid() const { return child_->pid(); }
  std::string stderr_text() const { return pbtest::read_file(dir_ + "/err"); }

  const json::object& account(std::size_t i = 0) const {
    return first.at("accounts").as_array().at(i).as_object();
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
    kit::http_client_request r;
    r.method = "POST";
    r.url = base_url + "/ilink/bot/" + endpoint;
    r.body = json::serialize(body);
    r.headers = {{"Content-Type", "application/json"},
                 {"AuthorizationType", "ilink_bot_token"},
                 {"X-WECHAT-UIN", "MzkxMjM0NTY3"},  // base64("391234567")
                 {"iLink-App-Id", "bot"},
                 {"iLink-App-ClientVersion", "132105"},
                 {"Authorization", "Bearer " + token}};
    r.connect_timeout = 5s;
    r.first_byte_timeout = wait;
    r.idle_timeout = wait;
    r.total_timeout = wait + 5s;
    return r;
  }
  kit::http_client_request control_request(const std::string& method, const std::string& target,
                                           json::object body = {}) const {
    kit::http_client_request r;
    r.method = method;
    r.url = base_url + target;
    if (method == "POST") r.body = json::serialize(body);
    r.headers = {{"Content-Type", "application/json"}};
    r.connect_timeout = 5s;
    r.first_byte_timeout = r.idle_timeout = 10s;
    r.total_timeout = 15s;
    return r;
  }

  json::object first;
  std::string base_url;

 private:
  std::string dir_;
  std::unique_ptr<pbtest::child_process> child_;
};

}  // namespace fakes_ilink_loopback
