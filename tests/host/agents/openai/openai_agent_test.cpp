// The `openai` agent backend against patchbay-fake-openai spawned as a child process: streaming,
// per-thread history in a real SQLite state store and its bounds, classified failure texts for
// 429/401/500/stall/drop/errors inside the stream, cancel, and the API key never in a log line
// or an error text.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "agent_rig.hpp"
#include "fake_openai_process.hpp"
#include "kit_test_support.hpp"
#include "script_server.hpp"

namespace {
using namespace std::chrono_literals;
using agent_test::agent_rig;
using agent_test::fake_openai;
using agent_test::messages_of;

const std::string rate_limited =
    "The model is rate-limited or over its usage limit; please try again later.";

std::string options(const fake_openai& fake, const std::string& extra = "") {
  return R"({"base_url":")" + fake.base_url + R"(","model":"fake-gpt","api_key":")" + fake.key +
         R"(","system_prompt":"You are a test.","temperature":0.3,"idle_timeout_ms":5000)" + extra +
         "}";
}

struct temp_store {
  temp_store() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("pb_openai_state_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".db");
    store = patchbay::state::open_sqlite_store(path.string());
  }
  ~temp_store() {
    store->close();
    store.reset();
    std::filesystem::remove(path);
  }
  std::filesystem::path path;
  std::unique_ptr<patchbay::state::store> store;
};

TEST(OpenaiAgent, StreamsDeltasAndCompletes) {
  fake_openai fake;
  ASSERT_FALSE(fake.base_url.empty());
  agent_rig rig("openai", options(fake));
  ASSERT_TRUE(rig.agent) << rig.error;
  ASSERT_TRUE(rig.start("o-1", "hello there"));
  EXPECT_EQ(rig.rec.wait_terminal("o-1").kind, "done");
  EXPECT_EQ(rig.rec.text("o-1"), "echo: hello there");
  EXPECT_GE(rig.rec.count("o-1"), 3u);  // several deltas, then done
  EXPECT_EQ(rig.rec.terminals("o-1"), 1u);
  auto reqs = fake.chat_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].at("model").as_string(), "fake-gpt");
  EXPECT_EQ(reqs[0].at("stream").as_bool(), true);
  EXPECT_EQ(reqs[0].at("temperature").as_double(), 0.3);
  EXPECT_EQ(messages_of(reqs[0]),
            (std::vector<std::string>{"system: You are a test.", "user: hello there"}));
}

TEST(OpenaiAgent, HistoryPerThreadAcrossTurnsBoundedByTurns) {
  fake_openai fake;
  temp_store st;
  agent_rig rig("openai", options(fake, R"(,"history_turns":2)"), st.store.get(), "gpt");
  for (int i = 1; i <= 4; ++i) {
    const std::string turn = "h" + std::to_string(i);
    ASSERT_TRUE(rig.start(turn, "msg " + std::to_string(i), "thread-A"));
    ASSERT_EQ(rig.rec.wait_terminal(turn).kind, "done");
  }
  ASSERT_TRUE(rig.start("other", "elsewhere", "thread-B"));
  ASSERT_EQ(rig.rec.wait_terminal("other").kind, "done");

  auto reqs = fake.chat_requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(messages_of(reqs[1]),
            (std::vector<std::string>{"system: You are a test.", "user: msg 1",
                                      "assistant: echo: msg 1", "user: msg 2"}));
  // The fourth turn sees only the two newest exchanges.
  EXPECT_EQ(
      messages_of(reqs[3]),
      (std::vector<std::string>{"system: You are a test.", "user: msg 2", "assistant: echo: msg 2",
                                "user: msg 3", "assistant: echo: msg 3", "user: msg 4"}));
  // Another thread has its own (empty) history.
  EXPECT_EQ(messages_of(reqs[4]),
            (std::vector<std::string>{"system: You are a test.", "user: elsewhere"}));
  // Stored under the agent's instance, keyed by thread.
  auto stored = st.store->kv_get("agent:gpt", "thread-A");
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->find("msg 4"), std::string::npos);
  EXPECT_EQ(stored->find("msg 2"), std::string::npos);
}

TEST(OpenaiAgent, HistoryBoundedByBytesAndNotSavedForFailedTurns) {
  fake_openai fake;
  temp_store st;
  // One exchange ("aaaa…" + "echo: aaaa…") is ~2x the text; 60 bytes keep one short exchange.
  agent_rig rig("openai", options(fake, R"(,"history_bytes":60)"), st.store.get());
  ASSERT_TRUE(rig.start("b1", std::string(20, 'a'), "T"));
  ASSERT_EQ(rig.rec.wait_terminal("b1").kind, "done");
  ASSERT_TRUE(rig.start("b2", std::string(20, 'b'), "T"));
  ASSERT_EQ(rig.rec.wait_terminal("b2").kind, "done");
  fake.fault(R"({"kind":"status","status":500})");
  ASSERT_TRUE(rig.start("b3", "failed turn", "T"));
  ASSERT_EQ(rig.rec.wait_terminal("b3").kind, "fail");
  ASSERT_TRUE(rig.start("b4", "last", "T"));
  ASSERT_EQ(rig.rec.wait_terminal("b4").kind, "done");
  auto reqs = fake.chat_requests();
  ASSERT_EQ(reqs.size(), 4u);
  auto m = messages_of(reqs[3]);
  // Only the newest exchange fits (46 bytes); the failed turn left no trace.
  EXPECT_EQ(m,
            (std::vector<std::string>{"system: You are a test.", "user: " + std::string(20, 'b'),
                                      "assistant: echo: " + std::string(20, 'b'), "user: last"}));
}

struct failure_case {
  std::string fault;  // armed before the turn ("" = none)
  std::string extra;  // more options
  std::string text;   // the expected user-facing text (prefix)
};

TEST(OpenaiAgent, FailuresBecomeClassifiedTextsAndTheKeyStaysSecret) {
  fake_openai fake;
  const std::vector<failure_case> cases = {
      {R"({"kind":"status","status":429,"code":"rate_limit_exceeded"})", "", rate_limited},
      {R"({"kind":"status","status":429,"code":"insufficient_quota"})", "",
       "The model's usage quota is used up; the operator has been notified."},
      {R"({"kind":"status","status":500})", "",
       "The model service failed (HTTP 500); please try again later."},
      {R"({"kind":"status","status":403})", "",
       "The gateway's model credentials were rejected; the operator has been notified."},
      {R"({"kind":"stall","ms":5000})", R"(,"idle_timeout_ms":300)",
       "The model did not answer in time; please try again later."},
      {R"({"kind":"delay","ms":5000})", R"(,"first_byte_timeout_ms":300)",
       "The model did not answer in time; please try again later."},
      {R"({"kind":"drop"})", "", "The model's answer was cut off; please try again."},
      {R"({"kind":"stream_error","type":"server_error","message":"overloaded"})", "",
       "The model service reported an error while answering; please try again later."},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fault);
    agent_rig rig("openai", options(fake, c.extra));
    if (!c.fault.empty()) fake.fault(c.fault);
    const std::string turn = "f" + std::to_string(i++);
    ASSERT_TRUE(rig.start(turn, "question"));
    auto t = rig.rec.wait_terminal(turn);
    EXPECT_EQ(t.kind, "fail");
    EXPECT_EQ(t.text, c.text);
    EXPECT_EQ(rig.rec.terminals(turn), 1u);
    const std::string log = rig.logs.text();
    EXPECT_EQ(log.find(fake.key), std::string::npos) << log;
    EXPECT_EQ(t.text.find(fake.key), std::string::npos);
    if (c.fault.find("\"status\"") != std::string::npos) {
      // The operator sees the status, the request id and the body excerpt.
      EXPECT_NE(log.find("answered HTTP"), std::string::npos) << log;
      EXPECT_NE(log.find("req_fake_"), std::string::npos) << log;
      EXPECT_NE(log.find("\"error\""), std::string::npos) << log;
    }
  }
}

TEST(OpenaiAgent, WrongKeyIsRejectedCredentials) {
  fake_openai fake;
  std::string opts = options(fake);
  opts.replace(opts.find(fake.key), fake.key.size(), "sk-wrong-key-123456");
  agent_rig rig("openai", opts);
  ASSERT_TRUE(rig.start("k1", "x"));
  EXPECT_EQ(rig.rec.wait_terminal("k1").text,
            "The gateway's model credentials were rejected; the operator has been notified.");
  const std::string log = rig.logs.text();
  EXPECT_NE(log.find("HTTP 401"), std::string::npos) << log;
  EXPECT_EQ(log.find("sk-wrong-key-123456"), std::string::npos) << log;
}

TEST(OpenaiAgent, UnreachableService) {
  const auto port = kit_test::unused_port();
  agent_rig rig("openai", R"({"base_url":"http://127.0.0.1:)" + std::to_string(port) +
                              R"(/v1","model":"m"})");
  ASSERT_TRUE(rig.start("u1", "x"));
  EXPECT_EQ(rig.rec.wait_terminal("u1").text,
            "The model service is unreachable; the operator has been notified.");
}

TEST(OpenaiAgent, CancelStopsTheStreamAndSavesNoHistory) {
  fake_openai fake;
  temp_store st;
  fake.control("POST", "/_fake/config", R"({"chunk_delay_ms":100,"chunks":40})");
  agent_rig rig("openai", options(fake), st.store.get());
  ASSERT_TRUE(rig.start("c1", "a long question for a slow model", "TC"));
  ASSERT_TRUE(rig.rec.wait_events("c1", 1));
  rig.agent->cancel("c1");
  const auto seen = rig.rec.count("c1");
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(rig.rec.count("c1"), seen);
  EXPECT_EQ(rig.rec.terminals("c1"), 0u);
  EXPECT_FALSE(st.store->kv_get("agent:test-agent", "TC"));
}

TEST(OpenaiAgent, ServerIgnoringStreamTrueStillAnswers) {
  agent_test::script_server srv;  // answers one chat.completion JSON, not SSE
  agent_test::reply r{200,
                      "application/json",
                      {{0ms, R"({"id":"x","object":"chat.completion","choices":[{"index":0,)"
                             R"("message":{"role":"assistant","content":"whole answer"},)"
                             R"("finish_reason":"stop"}]})"}}};
  r.stream = false;
  srv.push(r);
  agent_rig rig("openai", R"({"base_url":")" + srv.url("/v1") + R"(","model":"m"})");
  ASSERT_TRUE(rig.start("n1", "x"));
  EXPECT_EQ(rig.rec.wait_terminal("n1").kind, "done");
  EXPECT_EQ(rig.rec.text("n1"), "whole answer");
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/v1/chat/completions");
  EXPECT_EQ(reqs[0].header("Authorization"), "");  // no key configured, none sent
}

}  // namespace
