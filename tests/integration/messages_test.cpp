// POST /v1/messages (proactive sends) in a real host with the "good" test plugin: chunking,
// retries, the caller's error, and the failure notice's route order with dedupe and swallowing.
#include "host_fixture.hpp"
#include "open_access.hpp"

namespace {
using namespace pbtest;

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

const char* channels =
    "  - id: ch\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS "    config: {}\n";

TEST(Messages, SendsChunksAndAnswersWithTheMessageIds) {
  host_fixture h(channels);
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  auto r = h.post("/v1/messages",
                  R"({"channel":"ch","conversation":"chat-A","text":"scheduled report"})");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find(R"("parts":1)"), std::string::npos) << r.body;
  EXPECT_NE(h.wait_for_log("send chat-A token=no text=scheduled report").find("send chat-A"),
            std::string::npos);
  // 5000 characters over the plugin's 2000 limit: several marked parts, in order.
  std::string long_text;
  for (int i = 0; i < 500; ++i) long_text += "word" + std::to_string(i % 10) + " ";
  r = h.post("/v1/messages",
             R"({"channel":"ch","conversation":"chat-B","text":")" + long_text + R"("})");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find(R"("parts":2)"), std::string::npos) << r.body;
  std::string log = h.wait_for_log("[part 2/2");
  EXPECT_EQ(count(log, "send chat-B"), 2u) << log;
}

TEST(Messages, RejectsBadRequests) {
  host_fixture h(channels);
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  EXPECT_EQ(
      h.post("/v1/messages", R"({"channel":"ch","conversation":"c","text":"x"})", false).status,
      401u);
  EXPECT_EQ(h.post("/v1/messages", "not json").status, 400u);
  EXPECT_EQ(h.post("/v1/messages", R"({"channel":"ch","text":"x"})").status, 400u);
  EXPECT_EQ(h.post("/v1/messages", R"({"channel":"ch","conversation":"c","text":""})").status,
            400u);
  EXPECT_EQ(
      h.post("/v1/messages", R"({"channel":"ch","conversation":"c","text":"x","bcc":1})").status,
      400u);
  EXPECT_EQ(h.post("/v1/messages", R"({"channel":"nope","conversation":"c","text":"x"})").status,
            404u);
}

TEST(Messages, TransientFailureIsRetried) {
  host_fixture h("  - id: ch\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS
                 "    config: {rate_limit_first_send: true}\n");
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  auto r = h.post("/v1/messages", R"({"channel":"ch","conversation":"chat-R","text":"again"})");
  EXPECT_EQ(r.status, 200u) << r.body;
  std::string log = h.logs();
  EXPECT_NE(log.find("send chat-R token=no text=again -> rate_limited"), std::string::npos) << log;
}

TEST(Messages, StructuralFailureNoticeGoesToLastRouteFirstAndCallerSeesItsOwnError) {
  host_fixture h(channels);
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  // The user reaches the bot in chat-hook (an inbound message through the webhook).
  ASSERT_EQ(h.post("/hooks/ch/emit", "hi", false, {{"X-Event", "in-1"}}).status, 202u);
  h.wait_for_log("send chat-hook");
  auto r =
      h.post("/v1/messages",
             R"({"channel":"ch","conversation":"reject-1","text":"weekly","user":"user-hook",)"
             R"("job":"weekly digest","fallbacks":[{"channel":"CH","conversation":"CHAT-HOOK"},)"
             R"({"channel":"ch","conversation":"chat-fallback"}]})");
  EXPECT_EQ(r.status, 502u) << r.body;
  EXPECT_NE(r.body.find(R"("code":"rejected")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("cross-tenant route refused"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("failure_notice":"attempting")"), std::string::npos) << r.body;
  std::string log = h.wait_for_log("failure notice delivered via ch chat-hook");
  EXPECT_NE(log.find("text=A message for you could not be delivered (weekly digest). Reason: "
                     "cross-tenant route refused."),
            std::string::npos)
      << log;
  // First success wins; the equal fallback is not tried again, the others not at all.
  EXPECT_EQ(log.find("send chat-fallback"), std::string::npos) << log;
  EXPECT_EQ(log.find("send CHAT-HOOK"), std::string::npos) << log;
}

TEST(Messages, EveryFailedNoticeRouteIsLoggedAndTheNextTried) {
  host_fixture h(channels);
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  auto r = h.post(
      "/v1/messages",
      R"({"channel":"ch","conversation":"reject-1","text":"alert","fallbacks":[)"
      R"({"channel":"gone","conversation":"x"},{"channel":"ch","conversation":"reject-2"},)"
      R"({"channel":"ch","conversation":"Reject-1"},{"channel":"ch","conversation":"chat-ok"}]})");
  EXPECT_EQ(r.status, 502u) << r.body;
  // JSON log lines: the channel each line is about is a field of its own.
  std::string log = h.wait_for_log("failure notice delivered to chat-ok");
  auto line_with = [&](std::string_view text) {
    auto at = log.find(text);
    if (at == std::string::npos) return std::string();
    auto start = log.rfind('\n', at);
    start = start == std::string::npos ? 0 : start + 1;
    return log.substr(start, log.find('\n', at) - start);
  };
  EXPECT_NE(line_with("failure notice delivered to chat-ok").find(R"("channel":"ch")"),
            std::string::npos)
      << log;
  EXPECT_NE(line_with("failure notice skipped: channel not running").find(R"("channel":"gone")"),
            std::string::npos)
      << log;
  EXPECT_NE(line_with("failure notice to reject-2 failed").find(R"("channel":"ch")"),
            std::string::npos)
      << log;
  // reject-1 (the primary, equal to Reject-1) is tried once for the message and once for the
  // notice at the fallback's position, not again at the end.
  EXPECT_EQ(count(log, "send Reject-1"), 1u) << log;
  EXPECT_EQ(count(log, "send reject-1"), 1u) << log;
}

}  // namespace
