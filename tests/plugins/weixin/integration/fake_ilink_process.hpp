// The fake iLink server (tools/fakes/ilink) as a child process for the Weixin integration tests,
// with its control API (/_fake/...) wrapped in blocking helpers, and the channel YAML that points
// the real plugin .so at it.
#pragma once

#include <boost/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "patchbay/kit/http_client.hpp"

namespace wxtest {
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

struct account {
  std::string account_id, bot_token, user_id;
};

class fake_ilink {
 public:
  explicit fake_ilink(std::vector<std::string> extra_args = {}) {
    dir_ = fs::temp_directory_path() /
           ("pb_wx_fake_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(dir_);
    std::vector<std::string> argv{PB_FAKE_ILINK_BIN, "--listen", "127.0.0.1:0"};
    for (auto& a : extra_args) argv.push_back(a);
    proc_ =
        std::make_unique<pbtest::child_process>(argv, std::map<std::string, std::string>{},
                                                (dir_ / "out").string(), (dir_ / "err").string());
    for (int i = 0; i < 1000; ++i) {  // generous: ~10 s
      std::string out = pbtest::read_file((dir_ / "out").string());
      auto nl = out.find('\n');
      if (nl != std::string::npos) {
        auto v = json::parse(out.substr(0, nl)).as_object();
        base_url = std::string(v.at("base_url").as_string());
        for (const auto& a : v.at("accounts").as_array())
          accounts.push_back({std::string(a.at("account_id").as_string()),
                              std::string(a.at("bot_token").as_string()),
                              std::string(a.at("user_id").as_string())});
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "the fake did not start: " << pbtest::read_file((dir_ / "err").string());
  }
  ~fake_ilink() {
    proc_.reset();
    fs::remove_all(dir_);
  }

  std::string logs() const { return pbtest::read_file((dir_ / "err").string()); }

  json::value call(const std::string& method, const std::string& path,
                   const json::object& body = {}) const {
    patchbay::kit::http_client_request req;
    req.method = method;
    req.url = base_url + path;
    req.total_timeout = 10s;
    if (method != "GET") {
      req.body = json::serialize(body);
      req.headers.emplace_back("Content-Type", "application/json");
    }
    std::string err;
    patchbay::kit::http_client_response resp;
    patchbay::kit::http_fetch_blocking(req, err, resp);
    EXPECT_EQ(err, "") << path;
    EXPECT_EQ(resp.status, 200u) << path << ": " << resp.body;
    boost::system::error_code ec;
    auto v = json::parse(resp.body, ec);
    return ec ? json::value() : v;
  }
  json::object inject(const std::string& from, const std::string& text,
                      const std::string& account = "") const {
    json::object body{{"from", from}, {"text", text}};
    if (!account.empty()) body["account"] = account;
    auto v = call("POST", "/_fake/inject", body);
    return v.is_object() ? v.as_object() : json::object{};
  }
  json::array sent() const {
    auto v = call("GET", "/_fake/sent");
    return v.is_object() ? v.at("sent").as_array() : json::array{};
  }
  json::array requests() const {
    auto v = call("GET", "/_fake/requests");
    return v.is_object() ? v.at("requests").as_array() : json::array{};
  }
  void fault(json::object f) const { call("POST", "/_fake/fault", f); }

  // Requests to paths ending in `suffix`, in arrival order.
  std::vector<json::object> requests_to(const std::string& suffix) const {
    std::vector<json::object> out;
    for (const auto& r : requests()) {
      std::string p(r.at("path").as_string());
      if (p.size() >= suffix.size() &&
          p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
        out.push_back(r.as_object());
    }
    return out;
  }
  // Polls until `pred()` holds (generous bound, ~`seconds`).
  template <class Pred>
  static bool wait_for(Pred pred, int seconds = 20) {
    for (int i = 0; i < seconds * 50; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return pred();
  }

  std::string base_url;
  std::vector<account> accounts;

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  fs::path dir_;
  std::unique_ptr<pbtest::child_process> proc_;
};

// One weixin channel (the real plugin .so) bound to `acct` of `fake`, with the echo agent.
inline std::string channel_yaml(const fake_ilink& fake, const account& acct,
                                const std::string& extra_config = "",
                                const std::string& id = "wx") {
  return "  - id: " + id +
         "\n    plugin: \"" PB_WEIXIN_PLUGIN
         "\"\n    agent: echo\n    config:\n"
         "      bot_token: \"" +
         acct.bot_token +
         "\"\n"
         "      base_url: \"" +
         fake.base_url +
         "\"\n"
         "      account_id: \"" +
         acct.account_id + "\"\n" + extra_config;
}

inline std::string str(const json::value& v, const char* key) {
  const auto* p = v.as_object().if_contains(key);
  return p && p->is_string() ? std::string(p->as_string()) : std::string();
}
inline int64_t num(const json::value& v, const char* key) {
  const auto* p = v.as_object().if_contains(key);
  if (p == nullptr) return 0;
  if (p->is_int64()) return p->as_int64();
  if (p->is_uint64()) return static_cast<int64_t>(p->as_uint64());
  return 0;
}

}  // namespace wxtest
