// http_server against the probes that held, kept as tests: 1,024 event streams at ~17 KB each stay
// bounded (connections and unsent bytes), 500 slowloris connections are cut at the header timeout
// while /healthz answers, odd request targets are served verbatim or refused with 400.
#include "kit_test_support.hpp"

#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace patchbay::kit;
using kit_test::raw_client;
using kit_test::test_server;
using kit_test::wait_until;

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

std::string get_once(unsigned short port, const std::string& target) {
  raw_client c(port);
  c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
  return c.read_response(5s);
}

TEST(KitHttpProbes, ThousandEventStreamsStayBounded) {
  const std::string event = "data: " + std::string(17 << 10, 'e') + "\n\n";
  std::mutex mtx;
  std::vector<std::shared_ptr<http_stream>> streams;
  http_server_options opt;
  opt.max_connections = 1024;
  opt.reserve_connections = 4;
  opt.priority_paths = {"/healthz"};
  opt.max_stream_buffer_bytes = 256 << 10;
  test_server srv(
      [&](std::shared_ptr<http_exchange> ex) {
        if (ex->request().path == "/healthz") return ex->respond({});
        auto s = ex->start_stream(200, "text/event-stream");
        s->write(event);
        std::lock_guard lock(mtx);
        streams.push_back(std::move(s));
      },
      opt);

  std::vector<std::unique_ptr<raw_client>> clients;
  for (int i = 0; i < 1024; ++i) {
    clients.push_back(std::make_unique<raw_client>(srv.port));
    ASSERT_TRUE(clients.back()->send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")) << i;
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const auto got = clients[i]->read_until("\n\n", 10s);
    ASSERT_EQ(got.rfind("HTTP/1.1 200 OK", 0), 0U) << i << ": " << got.substr(0, 200);
    ASSERT_GE(got.size(), event.size()) << i;
  }
  {
    std::lock_guard lock(mtx);
    ASSERT_EQ(streams.size(), 1024U);
  }
  // The 1,025th stream is refused; /healthz still answers from the reserve.
  EXPECT_EQ(status_line(get_once(srv.port, "/events")), "HTTP/1.1 503 Service Unavailable");
  EXPECT_EQ(status_line(get_once(srv.port, "/healthz")), "HTTP/1.1 200 OK");

  // A client that stops reading: its stream's unsent bytes stop at the limit (write refused),
  // whatever the application pushes.
  std::shared_ptr<http_stream> first;
  {
    std::lock_guard lock(mtx);
    first = streams.front();
  }
  std::size_t accepted = 0;
  bool refused = false;
  for (int i = 0; i < 20'000 && !refused; ++i) {
    if (first->write(event)) {
      accepted += event.size();
    } else {
      refused = true;
    }
  }
  EXPECT_TRUE(refused) << accepted << " bytes accepted for a client that does not read";
  std::lock_guard lock(mtx);
  for (auto& s : streams) s->close();
}

TEST(KitHttpProbes, SlowlorisConnectionsAreCutAtTheHeaderTimeoutWhileHealthzAnswers) {
  http_server_options opt;
  opt.header_timeout = 400ms;
  test_server srv([](std::shared_ptr<http_exchange> ex) { ex->respond({}); }, opt);
  std::vector<std::unique_ptr<raw_client>> slow;
  for (int i = 0; i < 500; ++i) {
    slow.push_back(std::make_unique<raw_client>(srv.port));
    ASSERT_TRUE(slow.back()->send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));  // never finished
  }
  EXPECT_EQ(status_line(get_once(srv.port, "/healthz")), "HTTP/1.1 200 OK");
  for (auto& c : slow) EXPECT_TRUE(c->wait_closed(5s));
  EXPECT_EQ(status_line(get_once(srv.port, "/healthz")), "HTTP/1.1 200 OK");
}

TEST(KitHttpProbes, OddTargetsAreHandedOverVerbatimOrRefused) {
  std::mutex mtx;
  std::vector<std::string> paths;
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    {
      std::lock_guard lock(mtx);
      paths.push_back(ex->request().path);
    }
    ex->respond({});
  });
  const std::vector<std::string> verbatim = {
      "//", "/..%2f..%2fetc/passwd", "/a/../../b", "/%00", "/" + std::string(8000, 'a'),
      "*",  "http://elsewhere/x"};
  for (const auto& target : verbatim) {
    EXPECT_EQ(status_line(get_once(srv.port, target)), "HTTP/1.1 200 OK") << target.substr(0, 40);
  }
  {
    std::lock_guard lock(mtx);
    ASSERT_EQ(paths.size(), verbatim.size());
    for (std::size_t i = 0; i < verbatim.size(); ++i) EXPECT_EQ(paths[i], verbatim[i]);
  }
  for (const std::string& target :
       std::vector<std::string>{"/sp ace", "/tab\there", std::string("/nul\0x", 6)}) {
    raw_client c(srv.port);
    c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_line(c.read_response(5s)), "HTTP/1.1 400 Bad Request") << target;
  }
  EXPECT_EQ(status_line(get_once(srv.port, "/fine")), "HTTP/1.1 200 OK");
}

}  // namespace
