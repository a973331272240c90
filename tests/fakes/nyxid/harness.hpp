// Unit-test harness for patchbay_fake_nyxid_core: a fake_nyxid on a settable clock, driven with
// kit::http_request values (no sockets), and the helpers the tests share.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>

#include "fake_nyxid.hpp"
#include "fake_request.hpp"

namespace fakes_nyxid_test {

namespace json = boost::json;
namespace nx = patchbay::fakes::nyxid;
namespace kit = patchbay::kit;

inline json::object obj(const std::string& text) { return pbfake::parse_object(text); }
using pbfake::str;

struct harness {
  std::int64_t now_ms = 1'800'000'000'000;
  nx::fake_nyxid fake{nx::startup_options{"", "http://127.0.0.1:9/hooks/nyx"}, 42,
                      [this] { return now_ms; }};

  harness() { fake.set_base_url("http://127.0.0.1:7777"); }

  nx::action call(std::string method, std::string target, std::string body = {},
                  kit::http_headers headers = {}) {
    return fake.handle(pbfake::make_request(std::move(method), std::move(target), std::move(body),
                                            std::move(headers)));
  }
  // A JSON answer (asserting an immediate one).
  std::pair<unsigned, json::object> req(std::string method, std::string target,
                                        std::string body = {}, kit::http_headers headers = {}) {
    auto a = call(std::move(method), std::move(target), std::move(body), std::move(headers));
    EXPECT_EQ(a.what, nx::action::kind::respond);
    return {a.response.status, a.response.body.empty() ? json::object{} : obj(a.response.body)};
  }
  // Injects a message; returns the delivery (its body carries the reply token).
  nx::delivery inject(const json::object& body = {}) {
    auto a = call("POST", "/_fake/inject", json::serialize(body));
    EXPECT_EQ(a.what, nx::action::kind::deliver) << a.response.body;
    fake.delivered(a.ticket, "", 202, "{\"status\":\"accepted\"}");
    return a.callback;
  }
  std::pair<unsigned, json::object> reply(const std::string& bearer, const std::string& message_id,
                                          const std::string& text = "hello") {
    return req("POST", "/api/v1/channel-relay/reply",
               json::serialize(json::object{{"message_id", message_id},
                                            {"reply", json::object{{"text", text}}}}),
               {{"Authorization", "Bearer " + bearer}});
  }
  std::pair<unsigned, json::object> update(const std::string& bearer,
                                           const std::string& platform_message_id,
                                           const std::string& text = "edited") {
    return req("POST", "/api/v1/channel-relay/reply/update",
               json::serialize(json::object{{"message_id", platform_message_id},
                                            {"reply", json::object{{"text", text}}}}),
               {{"Authorization", "Bearer " + bearer}});
  }
};

inline std::string reply_token_of(const nx::delivery& d) { return str(obj(d.body), "reply_token"); }
inline std::string message_id_of(const nx::delivery& d) { return d.message_id; }

}  // namespace fakes_nyxid_test
