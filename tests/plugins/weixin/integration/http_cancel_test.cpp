// The kit's http_cancel (added for the Weixin long poll): a request held by a real loopback
// server completes with "cancelled" as soon as it is cancelled, long before its deadlines; one
// cancelled before it starts never reaches the server.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace {
using namespace std::chrono_literals;
namespace kit = patchbay::kit;

struct holding_server {
  kit::io_runtime rt{1};
  std::mutex mu;
  std::vector<std::shared_ptr<kit::http_exchange>> held;
  std::atomic<int> seen{0};
  std::unique_ptr<kit::http_server> server;
  holding_server() {
    kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    server =
        std::make_unique<kit::http_server>(rt, o, [this](std::shared_ptr<kit::http_exchange> x) {
          ++seen;
          std::lock_guard lock(mu);
          held.push_back(std::move(x));  // never answered while the test runs
        });
    server->start();
  }
  ~holding_server() {
    {
      std::lock_guard lock(mu);
      held.clear();
    }
    server->stop(0ms);
    rt.stop();
  }
  std::string url() const { return "http://" + server->local_endpoint() + "/poll"; }
};

TEST(HttpCancel, CancelsAHeldRequestAtOnce) {
  holding_server srv;
  kit::io_runtime client{1};
  kit::http_client_request req;
  req.method = "POST";
  req.url = srv.url();
  req.first_byte_timeout = 60s;
  req.total_timeout = 120s;
  auto cancel = std::make_shared<kit::http_cancel>();
  req.cancel = cancel;
  std::promise<std::string> result;
  kit::http_fetch(client, req,
                  [&](std::string err, kit::http_client_response) { result.set_value(err); });
  for (int i = 0; i < 500 && srv.seen == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(srv.seen, 1);
  cancel->cancel();
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);  // the deadlines are a minute away
  EXPECT_EQ(f.get(), "cancelled");
  EXPECT_TRUE(cancel->cancelled());
  cancel->cancel();  // idempotent
}

TEST(HttpCancel, CancelledBeforeItStartsNeverConnects) {
  holding_server srv;
  kit::io_runtime client{1};
  kit::http_client_request req;
  req.url = srv.url();
  req.cancel = std::make_shared<kit::http_cancel>();
  req.cancel->cancel();
  std::promise<std::string> result;
  kit::http_fetch(client, req,
                  [&](std::string err, kit::http_client_response) { result.set_value(err); });
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), "cancelled");
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(srv.seen, 0);
}

TEST(HttpCancel, CancelAfterCompletionIsHarmless) {
  kit::io_runtime rt{1};
  kit::http_server_options o;
  o.listen = "127.0.0.1:0";
  kit::http_server server(rt, o, [](std::shared_ptr<kit::http_exchange> x) {
    x->respond(kit::http_response{200, "application/json", {}, "{}"});
  });
  server.start();
  kit::http_client_request req;
  req.url = "http://" + server.local_endpoint() + "/";
  req.cancel = std::make_shared<kit::http_cancel>();
  std::string err = "unset";
  kit::http_client_response resp;
  kit::http_fetch_blocking(req, err, resp);
  EXPECT_EQ(err, "");
  EXPECT_EQ(resp.status, 200u);
  req.cancel->cancel();
  server.stop(0ms);
  rt.stop();
}

}  // namespace
