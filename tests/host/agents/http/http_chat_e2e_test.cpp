// End to end: `patchbay chat` against a real `patchbay run` whose agent is an `http` backend
// pointing at a test-local server (script_server.hpp). The header value comes from ${ENV} in the
// YAML and must never show in the host's log.
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "host_fixture.hpp"
#include "script_server.hpp"

namespace {
using namespace std::chrono_literals;
using agent_test::lines;
using agent_test::reply;
using agent_test::script_server;

using pbtest::chat;
using pbtest::chat_result;

std::string agents_yaml(const script_server& srv) {
  return "  web:\n"
         "    type: http\n"
         "    url: \"" +
         srv.url("/agent") +
         "\"\n"
         "    headers: { X-Agent-Key: \"${PB_IT_SECRET}\" }\n"
         "    idle_timeout_ms: 5000\n";
}

TEST(HttpAgentChat, StreamsTheAnswerAndFailsClearlyOn503) {
  script_server srv;
  srv.push({200, "application/x-ndjson",
            lines({"{\"delta\":\"Hello \"}\n", "{\"delta\":\"from http\"}\n", "{\"done\":true}\n"},
                  20ms)});
  reply down{503, "text/plain", {{0ms, "maintenance window"}}};
  down.stream = false;
  srv.push(down);
  pbtest::host_fixture h("", agents_yaml(srv));
  ASSERT_FALSE(h.base.empty()) << h.logs();

  auto ok = chat(h.base, {"--agent", "web", "--thread", "e2e", "hi"});
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_EQ(ok.out, "Hello from http\n");
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].header("X-Agent-Key"), pbtest::secret);  // ${ENV} reached the request
  EXPECT_NE(reqs[0].body.find("\"text\":\"hi\""), std::string::npos) << reqs[0].body;
  EXPECT_NE(reqs[0].body.find("\"thread\":\"api:e2e\""), std::string::npos) << reqs[0].body;

  auto failed = chat(h.base, {"--agent", "web", "again"});
  EXPECT_EQ(failed.rc, 1);
  EXPECT_NE(failed.err.find("the agent answered HTTP 503: maintenance window"), std::string::npos)
      << failed.err;
  EXPECT_EQ(h.logs().find(pbtest::secret), std::string::npos);
}

}  // namespace
