// The host's HTTP API as the host serves it (api_server_options + make_api_handler on the kit
// server), over loopback with raw sockets: /v1/* refused on the header alone without the token
// (no body read, no 100 Continue), the body limit chosen by path, the reserve that keeps /healthz
// and /hooks/ answering for a client over its limit, and /hooks/<id> answering 503 for a
// configured channel that does not run and 404 for an unknown one.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "api/routes.hpp"
#include "api/server_options.hpp"
#include "kit_test_support.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "plugin/instance_directory.hpp"
#include "state/store.hpp"

namespace {
using namespace patchbay;
using namespace std::chrono_literals;
using kit_test::raw_client;

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

bool has_header(const std::string& response, const std::string& line) {
  const auto head = response.substr(0, response.find("\r\n\r\n")) + "\r\n";
  return head.find("\r\n" + line + "\r\n") != std::string::npos;
}

struct ApiHttp : ::testing::Test {
  kit::io_runtime rt{2};
  plugin::status_board board;
  plugin::instance_directory channels;
  std::unique_ptr<state::store> store = state::open_sqlite_store(":memory:");
  api::api_context ctx{board, {"s3cret"}, std::chrono::steady_clock::now(), nullptr, &channels,
                       &rt,   store.get()};
  std::unique_ptr<kit::http_server> server;
  unsigned short port = 0;

  void start(config::host_config host = {}) {
    host.listen = "127.0.0.1:0";
    server = std::make_unique<kit::http_server>(rt, api::api_server_options(ctx, host),
                                                api::make_api_handler(ctx));
    server->start();
    port = kit_test::port_of(server->local_endpoint());
  }
  void TearDown() override {
    if (server) server->stop(0ms);
    server.reset();
    rt.stop();
  }
  std::string request(const std::string& head, const std::string& body = "",
                      const char* source = nullptr) {
    raw_client c(port, source);
    c.send(head + body);
    return c.read_response(5s);
  }
};

TEST_F(ApiHttp, UnauthenticatedLargePostsAreRefusedOnTheirHeaders) {
  start();
  std::vector<std::unique_ptr<raw_client>> clients;
  for (int i = 0; i < 30; ++i) {
    clients.push_back(std::make_unique<raw_client>(port));
    // 12 MiB announced, never sent.
    ASSERT_TRUE(clients.back()->send(
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 12582912\r\nExpect: 100-continue\r\n" +
        std::string(i % 3 == 0 ? "Authorization: Bearer wrong\r\n" : "") + "\r\n"));
  }
  for (auto& c : clients) {
    const auto r = c->read_response(5s);
    EXPECT_EQ(status_line(r), "HTTP/1.1 401 Unauthorized") << r;
    EXPECT_EQ(r.find("100 Continue"), std::string::npos) << r;
    EXPECT_TRUE(has_header(r, "Connection: close")) << r;
    EXPECT_TRUE(has_header(r, "WWW-Authenticate: Bearer")) << r;
  }
  // A valid token (lower-case scheme, two spaces: RFC 7235) passes the screen and gets its
  // 100 Continue.
  raw_client ok(port);
  ASSERT_TRUE(
      ok.send("POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n"
              "Expect: 100-continue\r\nAuthorization: bearer  s3cret\r\n\r\n"));
  EXPECT_NE(ok.read_until("\r\n\r\n", 5s).find("100 Continue"), std::string::npos);
  ASSERT_TRUE(ok.send("not json"));
  EXPECT_EQ(status_line(ok.read_response(5s)), "HTTP/1.1 400 Bad Request");
}

TEST_F(ApiHttp, BodyLimitIsChosenByPathNotTarget) {
  start();
  const std::string body(2 << 20, 'x');  // over the 1 MiB default, under /v1/messages' limit
  auto post = [&](const std::string& target) {
    return request("POST " + target +
                       " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n",
                   body);
  };
  // Read whole and refused as JSON (400), not cut at 1 MiB (413), with or without a query.
  EXPECT_EQ(status_line(post("/v1/messages")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line(post("/v1/messages?x=1")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line(post("/v1/chat?x=/v1/messages")), "HTTP/1.1 413 Payload Too Large");
}

TEST_F(ApiHttp, HooksAnswer503ForAConfiguredChannelNotRunningAnd404ForOthers) {
  channels.expect("lark");
  start();
  auto r =
      request("POST /hooks/lark/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n", "{}");
  EXPECT_EQ(status_line(r), "HTTP/1.1 503 Service Unavailable") << r;
  EXPECT_TRUE(has_header(r, "Retry-After: 5")) << r;
  EXPECT_NE(r.find("channel_not_running"), std::string::npos) << r;
  r = request("POST /hooks/nosuch/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n", "{}");
  EXPECT_EQ(status_line(r), "HTTP/1.1 404 Not Found") << r;
  // No longer configured: 404.
  channels.remove("lark");
  r = request("POST /hooks/lark/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n", "{}");
  EXPECT_EQ(status_line(r), "HTTP/1.1 404 Not Found") << r;
}

TEST_F(ApiHttp, ClientOverItsLimitStillReachesHealthAndHooks) {
  channels.expect("lark");
  config::host_config host;
  host.http.max_connections_per_client = 3;
  host.http.reserve_connections = 4;
  start(host);
  // Three keep-alive connections hold the client's whole quota.
  std::vector<std::unique_ptr<raw_client>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<raw_client>(port));
    ASSERT_TRUE(held.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_EQ(status_line(held.back()->read_response(5s)), "HTTP/1.1 200 OK");
  }
  EXPECT_EQ(status_line(request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line(request("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")),
            "HTTP/1.1 503 Service Unavailable");  // (answered by the route: start-up)
  auto hook = request("POST /hooks/lark/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_NE(hook.find("channel_not_running"), std::string::npos) << hook;
  auto other =
      request("GET /v1/channels HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\r\n");
  EXPECT_EQ(status_line(other), "HTTP/1.1 503 Service Unavailable") << other;
  EXPECT_NE(other.find("too many connections"), std::string::npos) << other;
  // From another address the same request is served.
  EXPECT_EQ(status_line(request(
                "GET /v1/channels HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\r\n", "",
                "127.0.0.2")),
            "HTTP/1.1 200 OK");
}

}  // namespace
