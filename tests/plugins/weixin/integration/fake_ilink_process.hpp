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

#include "fake_process.hpp"
#include "open_access.hpp"

namespace wxtest {
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

struct account {
  std::string account_id, bot_token, user_id;
};

class fake_ilink : public pbfake::fake_process {
 public:
  explicit fake_ilink(std::vector<std::string> extra_args = {})
      : fake_process(PB_FAKE_ILINK_BIN, std::move(extra_args)) {
    if (const auto* a = first_line.if_contains("accounts"); a && a->is_array())
      for (const auto& x : a->as_array())
        accounts.push_back({str(x, "account_id"), str(x, "bot_token"), str(x, "user_id")});
  }

  json::object inject(const std::string& from, const std::string& text,
                      const std::string& account = "") const {
    json::object body{{"from", from}, {"text", text}};
    if (!account.empty()) body["account"] = account;
    auto v = call("POST", "/_fake/inject", body);
    return v.is_object() ? v.as_object() : json::object{};
  }
  json::array sent() const { return list("/_fake/sent", "sent"); }
  json::array requests() const { return list("/_fake/requests", "requests"); }
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
  template <class Pred>
  static bool wait_for(Pred pred, int seconds = 20) {
    return pbfake::wait_for(pred, seconds);
  }

  std::vector<account> accounts;
};

// One weixin channel (the real plugin .so) bound to `acct` of `fake`, with the echo agent;
// `access_yaml`: its access/limits/late keys (default: open to everyone, no rate limit).
inline std::string channel_yaml(const fake_ilink& fake, const account& acct,
                                const std::string& extra_config = "", const std::string& id = "wx",
                                const std::string& access_yaml = PB_OPEN_ACCESS) {
  return "  - id: " + id + "\n    plugin: \"" PB_WEIXIN_PLUGIN "\"\n    agent: echo\n" +
         access_yaml +
         "    config:\n"
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
  return pbfake::fake_process::str(v, key);
}
inline int64_t num(const json::value& v, const char* key) {
  return pbfake::fake_process::num(v, key);
}

}  // namespace wxtest
