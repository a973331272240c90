// Drives fake_feishu (tools/fakes/feishu) without sockets: requests in, answers and ws_commands
// out, on a manual clock.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>

#include "fake_feishu.hpp"
#include "fake_request.hpp"
#include "feishu_lark/proto/pbbp2.hpp"
#include "feishu_lark/proto/ws_frames.hpp"

namespace fakes_feishu_test {

namespace json = boost::json;
namespace kit = patchbay::kit;
namespace feishu = patchbay::fakes::feishu;
namespace ff = patchbay::plugins::feishu_family;
namespace pbbp2 = patchbay::plugins::feishu_family::pbbp2;

inline json::object obj(const std::string& text) { return pbfake::parse_object(text); }

struct harness {
  std::int64_t clock = 0;
  feishu::fake_feishu fake{feishu::settings{}, 42, [this] { return clock; }};
  feishu::app_creds app;

  explicit harness(std::size_t apps = 1) {
    fake.set_base_urls("https://127.0.0.1:1", "wss://127.0.0.1:1");
    app = fake.add_apps(apps).at(0);
  }

  feishu::outcome call(const std::string& method, const std::string& target,
                       const std::string& body = {}, kit::http_headers headers = {}) {
    return fake.handle(pbfake::make_request(method, target, body, std::move(headers)));
  }
  json::object control(const std::string& method, const std::string& path, json::object body = {},
                       unsigned status = 200) {
    auto o = call(method, path, method == "POST" ? json::serialize(body) : std::string());
    EXPECT_EQ(o.response.status, status) << o.response.body;
    last_commands = std::move(o.commands);
    return obj(o.response.body);
  }
  std::string token() {
    auto o =
        call("POST", "/open-apis/auth/v3/tenant_access_token/internal",
             json::serialize(json::object{{"app_id", app.app_id}, {"app_secret", app.app_secret}}));
    return std::string(obj(o.response.body).at("tenant_access_token").as_string());
  }
  kit::http_headers auth(const std::string& t) { return {{"Authorization", "Bearer " + t}}; }

  // Discovery + upgrade + open; returns the connection id.
  std::uint64_t connect() {
    auto d =
        call("POST", "/callback/ws/endpoint",
             json::serialize(json::object{{"AppID", app.app_id}, {"AppSecret", app.app_secret}}));
    const std::string url(obj(d.response.body).at("data").at("URL").as_string());
    const auto o = call("GET", url.substr(url.find("/ws/v2")));
    EXPECT_EQ(o.what, feishu::outcome::kind::upgrade) << o.response.body;
    last_commands = fake.on_open(o.conn);
    return o.conn;
  }

  std::vector<pbbp2::frame> frames(const std::vector<feishu::ws_command>& cmds) {
    std::vector<pbbp2::frame> out;
    for (const auto& c : cmds) {
      if (c.what != feishu::ws_command::kind::send) continue;
      pbbp2::frame f;
      EXPECT_EQ(pbbp2::decode(c.bytes, f), pbbp2::decode_error::none);
      out.push_back(std::move(f));
    }
    return out;
  }
  // Acks `f` as node-sdk does ({"code":200}, a negative biz_rt).
  std::vector<feishu::ws_command> ack(std::uint64_t conn, const pbbp2::frame& f, int code = 200) {
    return fake.on_frame(conn, pbbp2::encode(ff::make_ack(f, code, -3)));
  }

  std::vector<feishu::ws_command> last_commands;
};

}  // namespace fakes_feishu_test
