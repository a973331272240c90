// End to end: `patchbay chat` against the real host and its built-in echo agent, as a user runs
// it: stdout, stderr and exit codes for success, agent failure, bad input, missing token,
// unreachable host, and a host shutting down mid-turn.
#include <gtest/gtest.h>
#include <signal.h>

#include "child_process.hpp"
#include "host_fixture.hpp"

namespace {
using namespace std::chrono_literals;
using pbtest::host_fixture;

using pbtest::chat;
using pbtest::chat_result;

TEST(Chat, StreamsTheEchoAnswerAndExitsZero) {
  host_fixture h("", "  echo: { type: echo, delay_ms: 5, chunks: 3 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  auto r = chat(h.base, {"hello, patchbay"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "hello, patchbay\n");
  EXPECT_EQ(r.err, "");
  // The same thread twice: turns run one after the other.
  EXPECT_EQ(chat(h.base, {"--thread", "t-1", "one"}).out, "one\n");
  EXPECT_EQ(chat(h.base, {"--thread", "t-1", "two"}).out, "two\n");
}

TEST(Chat, AgentErrorGoesToStderrWithExitOne) {
  host_fixture h("", "  echo: { type: echo, delay_ms: 5, chunks: 4 }\n");
  auto r = chat(h.base, {"fail: this one"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "fai\n");  // the first delta (of 4) was streamed before the error
  EXPECT_NE(r.err.find("told to fail"), std::string::npos) << r.err;
}

TEST(Chat, BadRequestsAndAuth) {
  host_fixture h("");
  auto bad_agent = chat(h.base, {"--agent", "nope", "hi"});
  EXPECT_EQ(bad_agent.rc, 1);
  EXPECT_NE(bad_agent.err.find("unknown agent 'nope'"), std::string::npos) << bad_agent.err;
  auto no_token = chat(h.base, {"hi"}, {});
  EXPECT_EQ(no_token.rc, 1);
  EXPECT_NE(no_token.err.find("401"), std::string::npos) << no_token.err;
  auto wrong = chat(h.base, {"--token", "wrong", "hi"}, {});
  EXPECT_EQ(wrong.rc, 1);
  EXPECT_EQ(chat(h.base, {}).rc, 2);
}

TEST(Chat, UnreachableHostIsExitThree) {
  auto r = chat("http://127.0.0.1:1", {"hi"});
  EXPECT_EQ(r.rc, 3);
  EXPECT_NE(r.err.find("cannot reach"), std::string::npos);
}

TEST(Chat, SilentAgentEndsWithATimeoutErrorNotAHang) {
  // The echo agent sends its first piece, then nothing for a minute: host.turn_timeout_ms ends
  // the turn with an error the user sees.
  host_fixture h("", "  echo: { type: echo, delay_ms: 60000, chunks: 3 }\n",
                 "  turn_timeout_ms: 1000\n");
  auto r = chat(h.base, {"are you there"});
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_EQ(r.out, "are \n");
  EXPECT_NE(r.err.find("did not answer in time"), std::string::npos) << r.err;
}

TEST(Chat, StreamCarriesKeepAliveComments) {
  host_fixture h("", "  echo: { type: echo, delay_ms: 700, chunks: 2 }\n",
                 "  sse_keepalive_ms: 100\n");
  patchbay::kit::http_client_request req;
  req.method = "POST";
  req.url = h.base + "/v1/chat";
  req.body = R"({"text":"slow answer"})";
  req.headers.emplace_back("Authorization", std::string("Bearer ") + pbtest::token);
  req.total_timeout = 10s;
  std::string raw;
  req.on_body_chunk = [&](std::string_view piece) {
    raw.append(piece);
    return true;
  };
  std::string err;
  patchbay::kit::http_client_response resp;
  patchbay::kit::http_fetch_blocking(req, err, resp);
  EXPECT_EQ(err, "");
  EXPECT_EQ(resp.status, 200u);
  EXPECT_EQ(std::string(resp.header("Content-Type")), "text/event-stream");
  EXPECT_NE(raw.find(": keep-alive\n\n"), std::string::npos) << raw;
  EXPECT_NE(raw.find("event: complete"), std::string::npos) << raw;
}

TEST(Chat, ShutdownMidTurnEndsItWithAnErrorNotSilence) {
  host_fixture h("", "  echo: { type: echo, delay_ms: 1000, chunks: 30 }\n");
  char tmpl[] = "/tmp/pbchatXXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  pbtest::child_process client({PB_PATCHBAY_BIN, "chat", "--url", h.base, "a long answer"},
                               {{"PATCHBAY_TOKEN", pbtest::token}}, dir + "/out", dir + "/err");
  // Wait until the first delta arrived, then stop the host.
  for (int i = 0; i < 500 && pbtest::read_file(dir + "/out").empty(); ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_FALSE(pbtest::read_file(dir + "/out").empty());
  h.proc->signal(SIGTERM);
  EXPECT_EQ(client.wait(20s), 1);
  EXPECT_NE(pbtest::read_file(dir + "/err").find("shutting down"), std::string::npos)
      << pbtest::read_file(dir + "/err");
  EXPECT_EQ(h.proc->wait(20s), 0) << h.logs();
  std::filesystem::remove_all(dir);
}

}  // namespace
