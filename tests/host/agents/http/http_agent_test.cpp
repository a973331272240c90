// The `http` agent backend against real local servers on 127.0.0.1: the kit HTTP server
// streaming scripted NDJSON / SSE answers (script_server.hpp), a raw socket peer that cuts a
// response short, a listener that never answers, HTTPS with a certificate made at test time.
// Every case checks the turn's one terminal and its user-facing text.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <thread>

#include "agent_rig.hpp"
#include "kit_test_support.hpp"
#include "patchbay/kit/test_cert.hpp"
#include "script_server.hpp"

namespace {
using namespace std::chrono_literals;
using agent_test::agent_rig;
using agent_test::lines;
using agent_test::reply;
using agent_test::script_server;

constexpr const char* header_secret = "hdr-secret-9f2c71";

std::string options(const std::string& url, const std::string& extra = "") {
  return R"({"url":")" + url + R"(","headers":{"X-Api-Key":")" + header_secret +
         R"("},"connect_timeout_ms":2000,"first_byte_timeout_ms":5000,"idle_timeout_ms":5000)" +
         extra + "}";
}

TEST(HttpAgent, StreamsNdjsonThenDone) {
  script_server srv;
  srv.push({200, "application/x-ndjson",
            lines({R"({"delta":"Hello, "})"
                   "\n",
                   R"({"delta":"world"})"
                   "\n",
                   R"({"done":true})"
                   "\n"})});
  agent_rig rig("http", options(srv.url()));
  ASSERT_TRUE(rig.agent) << rig.error;
  ASSERT_TRUE(rig.start("turn-1", "hi there", "thread-a"));
  auto t = rig.rec.wait_terminal("turn-1");
  EXPECT_EQ(t.kind, "done");
  EXPECT_EQ(rig.rec.text("turn-1"), "Hello, world");
  EXPECT_EQ(rig.rec.terminals("turn-1"), 1u);

  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/agent");
  EXPECT_EQ(reqs[0].header("X-Api-Key"), header_secret);
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
  auto body = boost::json::parse(reqs[0].body).as_object();
  EXPECT_EQ(body.at("turn").as_string(), "turn-1");
  EXPECT_EQ(body.at("thread").as_string(), "thread-a");
  EXPECT_EQ(body.at("text").as_string(), "hi there");
  EXPECT_EQ(rig.logs.text().find(header_secret), std::string::npos);
}

TEST(HttpAgent, StreamsSseDataLinesAndForcesTheTurn) {
  script_server srv;
  srv.push({200, "text/event-stream",
            lines({": keep-alive\n\n", "data: {\"delta\":\"one \"}\n\n",
                   "event: x\ndata: {\"turn\":\"someone-else\",\"delta\":\"two\"}\n\n",
                   "data: {\"content\":\"a notice\"}\n\n", "data: {\"done\":true}\n\n"})});
  agent_rig rig("http", options(srv.url()));
  ASSERT_TRUE(rig.start("turn-sse", "x"));
  EXPECT_EQ(rig.rec.wait_terminal("turn-sse").kind, "done");
  EXPECT_EQ(rig.rec.text("turn-sse"), "one two");
  EXPECT_EQ(rig.rec.count("turn-sse"), 4u);  // 2 deltas, content, done: all under this turn
  EXPECT_EQ(rig.rec.terminals("turn-sse"), 1u);
}

TEST(HttpAgent, AgentErrorIsTheTerminal) {
  script_server srv;
  srv.push({200, "application/x-ndjson",
            lines({"{\"delta\":\"par\"}\n", "{\"error\":\"The tool crashed.\"}\n",
                   "{\"delta\":\"ignored\"}\n", "{\"done\":true}\n"})});
  agent_rig rig("http", options(srv.url()));
  ASSERT_TRUE(rig.start("turn-err", "x"));
  auto t = rig.rec.wait_terminal("turn-err");
  EXPECT_EQ(t.kind, "error");
  EXPECT_EQ(t.text, "The tool crashed.");
  std::this_thread::sleep_for(100ms);  // what followed the terminal is not read
  EXPECT_EQ(rig.rec.text("turn-err"), "par");
  EXPECT_EQ(rig.rec.terminals("turn-err"), 1u);
}

TEST(HttpAgent, Non2xxFailsWithStatusAndASanitizedExcerpt) {
  script_server srv;
  reply r{503,
          "text/plain",
          {{0ms, std::string("upstream down; echo X-Api-Key: ") + header_secret + "\n" +
                     std::string(400, 'z')}}};
  r.stream = false;
  srv.push(r);
  agent_rig rig("http", options(srv.url()));
  ASSERT_TRUE(rig.start("turn-503", "x"));
  auto t = rig.rec.wait_terminal("turn-503");
  EXPECT_EQ(t.kind, "fail");
  EXPECT_EQ(
      t.text.rfind("the agent answered HTTP 503: upstream down; echo X-Api-Key: [redacted] z", 0),
      0u)
      << t.text;
  EXPECT_LE(t.text.size(), std::string("the agent answered HTTP 503: ").size() + 203);
  EXPECT_EQ(t.text.find(header_secret), std::string::npos);
  const std::string log = rig.logs.text();
  EXPECT_NE(log.find("HTTP 503"), std::string::npos) << log;
  EXPECT_EQ(log.find(header_secret), std::string::npos) << log;
}

TEST(HttpAgent, Non2xxEvenWhenStreamedOrEmpty) {
  script_server srv;
  srv.push({500, "application/json", lines({"{\"detail\":\"boom\"}"})});
  reply empty{404, "text/plain", {}};
  empty.stream = false;
  srv.push(empty);
  agent_rig rig("http", options(srv.url()));
  ASSERT_TRUE(rig.start("t-500", "x"));
  EXPECT_EQ(rig.rec.wait_terminal("t-500").text,
            "the agent answered HTTP 500: {\"detail\":\"boom\"}");
  ASSERT_TRUE(rig.start("t-404", "x"));
  EXPECT_EQ(rig.rec.wait_terminal("t-404").text, "the agent answered HTTP 404");
}

TEST(HttpAgent, StreamEndingWithoutTerminalFails) {
  script_server srv;
  srv.push({200, "application/x-ndjson", lines({"{\"delta\":\"half an answer\"}\n"})});
  agent_rig rig("http", options(srv.url()));
  ASSERT_TRUE(rig.start("t-cut", "x"));
  auto t = rig.rec.wait_terminal("t-cut");
  EXPECT_EQ(t.kind, "fail");
  EXPECT_EQ(t.text, "the agent's answer ended without finishing");
  EXPECT_EQ(rig.rec.text("t-cut"), "half an answer");
  EXPECT_EQ(rig.rec.terminals("t-cut"), 1u);
}

TEST(HttpAgent, UnreadableAnswerFails) {
  script_server srv;
  srv.push({200, "application/x-ndjson", lines({"{\"delta\":\"ok\"}\n", "garbage\n"})});
  agent_rig rig("http", options(srv.url()));
  ASSERT_TRUE(rig.start("t-bad", "x"));
  auto t = rig.rec.wait_terminal("t-bad");
  EXPECT_EQ(t.kind, "fail");
  EXPECT_EQ(t.text.rfind("the agent's answer could not be read: a line is not valid JSON", 0), 0u)
      << t.text;
}

// A raw TCP peer: answers one request with `response` (bytes as given), then closes.
class raw_peer {
 public:
  explicit raw_peer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~raw_peer() {
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/agent"; }

 private:
  void serve() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) return;
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string in;
    char buf[4096];
    // Read the head and the Content-Length body, then answer.
    for (;;) {
      pollfd q{c, POLLIN, 0};
      if (::poll(&q, 1, 5000) <= 0) break;
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
      const auto head_end = in.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      const auto cl = in.find("Content-Length: ");
      const std::size_t body = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
      if (in.size() >= head_end + 4 + body) break;
    }
    (void)!::write(c, response_.data(), response_.size());
    ::shutdown(c, SHUT_RDWR);
    ::close(c);
  }
  std::string response_;
  int fd_ = -1;
  unsigned short port_ = 0;
  std::thread thread_;
};

TEST(HttpAgent, ConnectionClosedMidBodyFails) {
  raw_peer peer(
      "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n"
      "{\"delta\":\"only this\"}\n");
  agent_rig rig("http", options(peer.url()));
  ASSERT_TRUE(rig.start("t-eof", "x"));
  auto t = rig.rec.wait_terminal("t-eof");
  EXPECT_EQ(t.text, "the agent's answer ended without finishing");
  EXPECT_EQ(rig.rec.text("t-eof"), "only this");
}

TEST(HttpAgent, StalledStreamHitsTheIdleDeadline) {
  script_server srv;
  reply r{200, "application/x-ndjson", lines({"{\"delta\":\"thinking...\"}\n"})};
  r.end = false;  // then nothing, connection open
  srv.push(r);
  agent_rig rig("http", options(srv.url(), R"(,"idle_timeout_ms":500)"));
  ASSERT_TRUE(rig.start("t-stall", "x"));
  auto t = rig.rec.wait_terminal("t-stall");
  EXPECT_EQ(t.kind, "fail");
  EXPECT_EQ(t.text, "the agent stopped answering (nothing received for 500 ms)");
  EXPECT_EQ(rig.rec.text("t-stall"), "thinking...");
}

TEST(HttpAgent, SilentServerHitsTheFirstByteDeadline) {
  script_server srv;
  reply r;
  r.answer = false;
  srv.push(r);
  agent_rig rig("http", options(srv.url(), R"(,"first_byte_timeout_ms":300)"));
  ASSERT_TRUE(rig.start("t-silent", "x"));
  EXPECT_EQ(rig.rec.wait_terminal("t-silent").text,
            "the agent did not start answering in time (nothing within 300 ms)");
}

TEST(HttpAgent, RefusedConnectionIsUnreachable) {
  const auto port = kit_test::unused_port();
  agent_rig rig("http", options("http://127.0.0.1:" + std::to_string(port) + "/x"));
  ASSERT_TRUE(rig.start("t-refused", "x"));
  EXPECT_EQ(rig.rec.wait_terminal("t-refused").text,
            "the agent is unreachable (connection refused)");
}

TEST(HttpAgent, CancelAbortsTheRequestAndSendsNothingMore) {
  script_server srv;
  std::vector<std::string> many;
  for (int i = 0; i < 100; ++i) many.push_back("{\"delta\":\"x\"}\n");
  srv.push({200, "application/x-ndjson", lines(many, 50ms)});
  agent_rig rig("http", options(srv.url()));
  ASSERT_TRUE(rig.start("t-cancel", "x"));
  ASSERT_TRUE(rig.rec.wait_events("t-cancel", 1));
  rig.agent->cancel("t-cancel");
  // The server sees the client go away (the request was aborted, not left running).
  EXPECT_TRUE(kit_test::wait_until([&] { return srv.peers_gone() == 1; }, 10s));
  const auto seen = rig.rec.count("t-cancel");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(rig.rec.count("t-cancel"), seen);  // nothing more
  EXPECT_LT(seen, 100u);                       // it was cut short
  EXPECT_EQ(rig.rec.terminals("t-cancel"), 0u);
}

TEST(HttpAgent, CancelWhileWaitingForTheFirstByte) {
  script_server srv;
  reply r;
  r.answer = false;
  srv.push(r);
  agent_rig rig("http", options(srv.url(), R"(,"first_byte_timeout_ms":400)"));
  ASSERT_TRUE(rig.start("t-wait", "x"));
  ASSERT_TRUE(kit_test::wait_until([&] { return srv.requests().size() == 1; }));
  rig.agent->cancel("t-wait");
  std::this_thread::sleep_for(800ms);  // past the first-byte deadline: still nothing
  EXPECT_EQ(rig.rec.count("t-wait"), 0u);
}

TEST(HttpAgent, StopAbortsEverythingSilentlyAndRefusesNewTurns) {
  script_server srv;
  std::vector<std::string> many(100, "{\"delta\":\"y\"}\n");
  srv.push({200, "application/x-ndjson", lines(many, 50ms)});
  srv.push({200, "application/x-ndjson", lines(many, 50ms)});
  agent_rig rig("http", options(srv.url()));
  ASSERT_TRUE(rig.start("s1", "x"));
  ASSERT_TRUE(rig.start("s2", "x"));
  ASSERT_TRUE(rig.rec.wait_events("s1", 1));
  ASSERT_TRUE(rig.rec.wait_events("s2", 1));
  rig.agent->stop();
  EXPECT_TRUE(kit_test::wait_until([&] { return srv.peers_gone() == 2; }, 10s));
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(rig.rec.terminals("s1") + rig.rec.terminals("s2"), 0u);
  std::string err;
  EXPECT_FALSE(rig.agent->start("s3", R"({"turn":"s3","text":"x"})", err));
  EXPECT_NE(err.find("stopping"), std::string::npos);
}

TEST(HttpAgent, MaxInFlightRefusesTheExtraTurn) {
  script_server srv;
  reply slow{200, "application/x-ndjson",
             lines({"{\"delta\":\"a\"}\n", "{\"done\":true}\n"}, 300ms)};
  srv.push(slow);
  srv.push(slow);
  agent_rig rig("http", options(srv.url(), R"(,"max_in_flight":1)"));
  ASSERT_TRUE(rig.start("m1", "x"));
  std::string err;
  EXPECT_FALSE(rig.agent->start("m2", R"({"turn":"m2","text":"x"})", err));
  EXPECT_NE(err.find("busy"), std::string::npos) << err;
  EXPECT_EQ(rig.rec.wait_terminal("m1").kind, "done");
  // Its slot is free again once the first request completed.
  ASSERT_TRUE(kit_test::wait_until([&] {
    std::string e;
    return rig.agent->start("m3", R"({"turn":"m3","text":"x"})", e);
  }));
  EXPECT_EQ(rig.rec.wait_terminal("m3").kind, "done");
}

TEST(HttpAgent, HttpsWithACaFile) {
  const auto dir =
      std::filesystem::path(testing::TempDir()) / ("pb_http_tls_" + std::to_string(::getpid()));
  auto certs = patchbay::kit::make_test_certs(dir.string());
  script_server srv(certs.cert_file, certs.key_file);
  srv.push({200, "application/x-ndjson", lines({"{\"delta\":\"secure\",\"done\":true}\n"})});
  srv.push({200, "application/x-ndjson", lines({"{\"done\":true}\n"})});
  {
    agent_rig rig("http",
                  options(srv.url("/agent", true), R"(,"ca_file":")" + certs.ca_file + "\""));
    ASSERT_TRUE(rig.agent) << rig.error;
    ASSERT_TRUE(rig.start("tls-1", "x"));
    EXPECT_EQ(rig.rec.wait_terminal("tls-1").kind, "done");
    EXPECT_EQ(rig.rec.text("tls-1"), "secure");
  }
  {
    agent_rig rig("http", options(srv.url("/agent", true)));  // system trust store only
    ASSERT_TRUE(rig.start("tls-2", "x"));
    auto t = rig.rec.wait_terminal("tls-2");
    EXPECT_EQ(t.text.rfind("the agent's TLS connection failed (", 0), 0u) << t.text;
    EXPECT_NE(t.text.find("verify"), std::string::npos) << t.text;
  }
  std::filesystem::remove_all(dir);
}

TEST(HttpAgent, BadOptionsAreRefusedWithoutQuotingValues) {
  agent_rig no_url("http", R"({"headers":{"Authorization":"Bearer abc"}})");
  EXPECT_FALSE(no_url.agent);
  EXPECT_NE(no_url.error.find("option 'url' is required"), std::string::npos) << no_url.error;
  agent_rig typo("http", R"({"url":"http://127.0.0.1:1/","idle_timout_ms":5})");
  EXPECT_FALSE(typo.agent);
  EXPECT_NE(typo.error.find("unknown option 'idle_timout_ms'"), std::string::npos) << typo.error;
  agent_rig bad_ca("http", R"({"url":"https://127.0.0.1:1/","ca_file":"/nonexistent/ca.pem"})");
  EXPECT_FALSE(bad_ca.agent);
  EXPECT_EQ(bad_ca.error.find("/nonexistent"), std::string::npos);
}

}  // namespace
