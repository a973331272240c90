// Test harness for fake_ilink without sockets: builds requests the way a well-behaved iLink client
// sends them (headers, base_info), runs them through the fake on a manual clock, and parses the
// answers.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <string>
#include <utility>

#include "fake_ilink.hpp"
#include "fake_request.hpp"

namespace fakes_ilink_test {

namespace json = boost::json;
using namespace patchbay::fakes::ilink;
namespace kit = patchbay::kit;

using pbfake::make_request;
using pbfake::parse_object;

// The headers of an authenticated POST (protocol note §1.3).
inline void add_bot_headers(kit::http_request& r, const std::string& token) {
  r.headers = {{"Content-Type", "application/json"},
               {"AuthorizationType", "ilink_bot_token"},
               {"X-WECHAT-UIN", "MTIzNDU="},  // base64("12345")
               {"iLink-App-Id", "bot"},
               {"iLink-App-ClientVersion", "132105"}};
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
}

inline const json::object base_info{{"channel_version", "2.4.9"}, {"bot_agent", "OpenClaw"}};

struct harness {
  explicit harness(settings s = {}, std::size_t accounts = 1)
      : fake(s, 42, [this] { return clock_ms; }) {
    fake.set_base_url("http://127.0.0.1:9");
    for (auto& a : fake.add_accounts(accounts)) this->accounts.push_back(a);
  }

  const account_creds& acct(std::size_t i = 0) const { return accounts.at(i); }

  kit::http_request bot_request(const std::string& endpoint, json::object body,
                                const std::string& token) {
    if (!body.contains("base_info")) body["base_info"] = base_info;
    auto r = make_request("POST", "/ilink/bot/" + endpoint, json::serialize(body));
    add_bot_headers(r, token);
    return r;
  }
  outcome bot(const std::string& endpoint, json::object body = {}, std::size_t account = 0) {
    return fake.handle(bot_request(endpoint, std::move(body), acct(account).bot_token));
  }
  outcome poll(const std::string& cursor, std::size_t account = 0) {
    return bot("getupdates", {{"get_updates_buf", cursor}}, account);
  }
  outcome control(const std::string& method, const std::string& target, json::object body = {}) {
    return fake.handle(
        make_request(method, target, body.empty() ? std::string() : json::serialize(body)));
  }
  json::object control_json(const std::string& method, const std::string& target,
                            json::object body = {}) {
    const auto o = control(method, target, std::move(body));
    EXPECT_EQ(o.act.response.status, 200u) << o.act.response.body;
    return parse_object(o.act.response.body);
  }
  json::object inject(json::object body = {}) {
    return control_json("POST", "/_fake/inject", std::move(body));
  }
  void fault(json::object body) { control_json("POST", "/_fake/fault", std::move(body)); }
  std::size_t sent_count() {
    return control_json("GET", "/_fake/sent").at("sent").as_array().size();
  }

  std::int64_t clock_ms = 1'700'000'000'000;
  fake_ilink fake;
  std::vector<account_creds> accounts;
};

// The JSON answer of an outcome that must be answered at once with HTTP `status`.
inline json::object answer(const outcome& o, unsigned status = 200) {
  EXPECT_EQ(o.act.what, action::kind::respond);
  EXPECT_EQ(o.act.response.status, status) << o.act.response.body;
  return parse_object(o.act.response.body);
}

inline std::int64_t int_field(const json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  return v && v->is_int64() ? v->get_int64() : -999'999;
}

}  // namespace fakes_ilink_test
