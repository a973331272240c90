// The `callback` agent end to end (docs/architecture.md §6, §9): a real `patchbay run` hands each
// turn to an agent served by this test, which answers 202 and later posts its thread_response
// payloads to POST /v1/turns/<turn>/responses with the turn's token. A direct API client's SSE
// stream, and a Feishu chat through the real feishu plugin and the fake Feishu server, see those
// payloads as from any streaming agent; the route's refusals (401, 404, 400, 413, 410), an agent
// that refuses the turn (500), an agent that never answers (idle and total deadlines), and the
// token kept out of the host's log.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"
#include "http_agent_server.hpp"

namespace {
using namespace std::chrono_literals;
using fstest::fake_feishu;
using fstest::str;
using pbtest::host_fixture;
namespace json = boost::json;

// What the agent's callback URLs start with: a name only the deployment resolves (the test posts
// to the host's real address, keeping the path).
constexpr const char* public_url = "http://patchbay.internal:8080";

// POST /v1/chat answered as SSE, read on a thread of its own until the stream ends.
class sse_client {
 public:
  sse_client(const std::string& base, const std::string& text, const std::string& agent) {
    worker_ = std::thread([this, base, text, agent] {
      patchbay::kit::http_client_request req;
      req.method = "POST";
      req.url = base + "/v1/chat";
      req.body = json::serialize(json::object{{"text", text}, {"agent", agent}});
      req.headers.emplace_back("Authorization", std::string("Bearer ") + pbtest::token);
      req.total_timeout = 60s;
      req.on_body_chunk = [this](std::string_view piece) {
        std::lock_guard lk(mu_);
        raw_.append(piece);
        return true;
      };
      std::string err;
      patchbay::kit::http_client_response resp;
      patchbay::kit::http_fetch_blocking(req, err, resp);
      std::lock_guard lk(mu_);
      status_ = resp.status;
      done_ = true;
    });
  }
  ~sse_client() { worker_.join(); }
  // The stream's events as "name data" lines, once it ended (bounded wait).
  std::vector<std::string> events() {
    pbfake::wait_for([&] {
      std::lock_guard lk(mu_);
      return done_;
    });
    std::lock_guard lk(mu_);
    std::vector<std::string> out;
    static const std::regex re("event: ([a-z]+)\ndata: ([^\n]*)\n\n");
    for (std::sregex_iterator it(raw_.begin(), raw_.end(), re), end; it != end; ++it)
      out.push_back((*it)[1].str() + " " + (*it)[2].str());
    return out;
  }
  unsigned status() {
    std::lock_guard lk(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  std::string raw_;
  unsigned status_ = 0;
  bool done_ = false;
  std::thread worker_;
};

std::string callback_field(const json::object& turn, const char* key) {
  const auto* cb = turn.if_contains("callback");
  return cb != nullptr && cb->is_object() ? str(*cb, key) : std::string();
}

TEST(CallbackAgent, PostedPayloadsReachTheSseClientInOrder) {
  pbtest::http_agent_server agent({}, 202);
  host_fixture h("", agent.callback_yaml("later", public_url));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  sse_client client(h.base, "think about it", "later");
  json::object turn = agent.turn(0);
  ASSERT_FALSE(turn.empty()) << h.logs();
  const std::string id = str(turn, "turn");
  EXPECT_EQ(str(turn, "text"), "think about it");
  const std::string url = callback_field(turn, "url");
  const std::string tok = callback_field(turn, "token");
  EXPECT_EQ(url, std::string(public_url) + "/v1/turns/" + id + "/responses");
  EXPECT_TRUE(std::regex_match(tok, std::regex("[0-9a-f]{64}"))) << tok;  // 256 bits

  // Refused without a change to the turn: no token, the API's token, another token, another turn.
  const std::string one = R"({"delta":"never"})";
  auto r = pbtest::post_callback(h.base, url, "", one);
  EXPECT_EQ(r.status, 401U) << r.body;
  EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(pbtest::post_callback(h.base, url, pbtest::token, one).status, 401U);
  EXPECT_EQ(pbtest::post_callback(h.base, url, std::string(64, 'a'), one).status, 401U);
  const std::string other = std::string(public_url) + "/v1/turns/api-nope-1/responses";
  EXPECT_EQ(pbtest::post_callback(h.base, other, tok, one).status, 404U);
  // Malformed bodies: 400 with a reason, nothing delivered.
  for (const std::string bad :
       {R"({"delta":)", R"({"mood":"happy"})", R"({"turn":"someone-else","delta":"x"})",
        R"([{"delta":"x"},{"done":true},{"delta":"after"}])", "[]", "42"}) {
    r = pbtest::post_callback(h.base, url, tok, bad);
    EXPECT_EQ(r.status, 400U) << bad << " -> " << r.body;
    EXPECT_NE(r.body.find("invalid_payload"), std::string::npos) << r.body;
  }

  // Over the body cap (1 MiB): 413 before the body is read.
  r = pbtest::post_callback(h.base, url, tok,
                            R"({"delta":")" + std::string(std::size_t{1} << 20, 'x') + R"("})");
  EXPECT_EQ(r.status, 413U) << r.body;

  // One object, an array, NDJSON (the last line ends the turn).
  r = pbtest::post_callback(h.base, url, tok, R"({"delta":"Hel"})");
  EXPECT_EQ(r.status, 202U) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":1})");
  r = pbtest::post_callback(h.base, url, tok,
                            R"([{"delta":"lo"},{"turn":")" + id + R"(","delta":", wor"}])");
  EXPECT_EQ(r.status, 202U) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":2})");
  r = pbtest::post_callback(
      h.base, url, tok, "{\"delta\":\"ld\"}\n\n{\"content\":\"Hello, world\"}\n{\"done\":true}\n");
  EXPECT_EQ(r.status, 202U) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":3})");

  const std::vector<std::string> want{
      R"(output {"text":"Hel"})",
      R"(output {"text":"lo"})",
      R"(output {"text":", wor"})",
      R"(output {"text":"ld"})",
      R"(output {"text":"Hello, world","content":true,"ephemeral":false})",
      "complete {}"};
  EXPECT_EQ(client.events(), want);
  EXPECT_EQ(client.status(), 200U);

  // The turn ended: its token is spent.
  r = pbtest::post_callback(h.base, url, tok, R"({"delta":"late"})");
  EXPECT_EQ(r.status, 410U) << r.body;
  EXPECT_EQ(pbtest::post_callback(h.base, url, std::string(64, 'b'), one).status, 401U);
  // The token never reaches the host's log (debug level, JSON).
  const std::string log = h.logs();
  EXPECT_NE(log.find(id), std::string::npos);  // the log is there and names the turn
  EXPECT_EQ(log.find(tok), std::string::npos) << log;
}

TEST(CallbackAgent, ChannelTurnEndsWithTheAnswerOnFeishu) {
  pbtest::http_agent_server agent({}, 202);
  fake_feishu fake;
  ASSERT_FALSE(fake.apps.empty()) << fake.logs();
  host_fixture h(fstest::channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket",
                                      "      render: text\n", "later"),
                 agent.callback_yaml("later", public_url));
  ASSERT_TRUE(fstest::connected(h, "fs")) << h.logs() << fake.logs();
  auto in = fake.inject_text("what is the answer?");
  const std::string mid = str(in, "message_id");
  json::object turn = agent.turn(0);
  ASSERT_FALSE(turn.empty()) << h.logs();
  EXPECT_EQ(str(turn, "text"), "what is the answer?");
  EXPECT_EQ(str(turn, "message"), mid);
  const std::string url = callback_field(turn, "url"), tok = callback_field(turn, "token");
  // Later, in two posts: a delta, then the rest with the terminal.
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(pbtest::post_callback(h.base, url, tok, R"({"delta":"The answer "})").status, 202U);
  EXPECT_EQ(pbtest::post_callback(h.base, url, tok, R"([{"delta":"is 42."},{"done":true}])").status,
            202U);
  std::string shown;
  EXPECT_TRUE(pbfake::wait_for([&] {
    shown.clear();
    for (const auto& m : fake.bot_messages(mid)) shown += str(m, "text");
    return shown == "The answer is 42.";
  })) << shown
      << h.logs();
  EXPECT_EQ(pbtest::post_callback(h.base, url, tok, R"({"delta":"more"})").status, 410U);
  EXPECT_EQ(h.logs().find(tok), std::string::npos);
}

TEST(CallbackAgent, AgentRefusingTheTurnEndsItWithTheErrorNotice) {
  pbtest::http_agent_server agent({}, 500, R"({"error":"queue full"})");
  host_fixture h("", agent.callback_yaml("later", public_url));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  auto r = pbtest::chat(h.base, {"--agent", "later", "hello"});
  EXPECT_EQ(r.rc, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("HTTP 500"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("queue full"), std::string::npos) << r.err;  // the excerpt
  json::object turn = agent.turn(0);
  EXPECT_EQ(pbtest::post_callback(h.base, callback_field(turn, "url"),
                                  callback_field(turn, "token"), R"({"done":true})")
                .status,
            410U);
}

TEST(CallbackAgent, UnreachableAgentEndsTheTurn) {
  // Nothing listens on port 1: the turn ends at once with the error, not after the deadlines.
  host_fixture h("", "  later: { type: callback, url: \"http://127.0.0.1:1/turn\", public_url: \"" +
                         std::string(public_url) + "\", accept_timeout_ms: 3000 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  auto r = pbtest::chat(h.base, {"--agent", "later", "hello"});
  EXPECT_EQ(r.rc, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("unreachable"), std::string::npos) << r.err;
}

TEST(CallbackAgent, SilentAgentHitsTheIdleTimeoutAndLatePostsAreGone) {
  pbtest::http_agent_server agent({}, 202);
  host_fixture h("", agent.callback_yaml("later", public_url, ", idle_timeout_ms: 600"));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  auto r = pbtest::chat(h.base, {"--agent", "later", "hello"});
  EXPECT_EQ(r.rc, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("did not answer in time"), std::string::npos) << r.err;
  json::object turn = agent.turn(0);
  const std::string tok = callback_field(turn, "token");
  EXPECT_EQ(
      pbtest::post_callback(h.base, callback_field(turn, "url"), tok, R"({"delta":"x"})").status,
      410U);
  EXPECT_EQ(h.logs().find(tok), std::string::npos);
}

TEST(CallbackAgent, AnswerTimeoutEndsATurnThatKeepsTalking) {
  // Payloads every 200 ms keep the idle deadline (1 s) away; the total one (1.5 s) ends the turn.
  pbtest::http_agent_server agent({}, 202);
  host_fixture h("", agent.callback_yaml("later", public_url,
                                         ", idle_timeout_ms: 1000, answer_timeout_ms: 1500"));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  sse_client client(h.base, "hello", "later");
  json::object turn = agent.turn(0);
  const std::string url = callback_field(turn, "url"), tok = callback_field(turn, "token");
  unsigned last = 202;
  for (int i = 0; i < 100 && last == 202; ++i) {
    last = pbtest::post_callback(h.base, url, tok, R"({"delta":"."})").status;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(last, 410U);
  auto events = client.events();
  ASSERT_FALSE(events.empty());
  EXPECT_NE(events.back().find("did not answer in time"), std::string::npos) << events.back();
  EXPECT_GE(events.size(), 3U);  // some deltas went through before the deadline
}

}  // namespace
