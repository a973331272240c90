// /hooks/<channel-id>: inbound HTTP handed to the channel's plugin (ABI minor 1) in a real host,
// over a real socket, without the API bearer token; an accepted webhook becomes a turn.
#include "host_fixture.hpp"
#include "open_access.hpp"

namespace {
using namespace pbtest;

const char* channels = "  - id: hooked\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS
                       "    config: {}\n"
                       "  - id: old\n    plugin: zoo_minor0\n    agent: echo\n" PB_OPEN_ACCESS;

TEST(Hooks, RoutedToThePluginWithoutTheApiToken) {
  host_fixture h(channels);
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  auto r = h.post("/hooks/hooked/echo?x=1", "body-bytes", false, {{"X-Test", "t"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "POST x=1 body-bytes x=t");
  EXPECT_EQ(h.post("/hooks/hooked/unknown", "", false).status, 404u);
  EXPECT_EQ(h.post("/hooks/nosuch", "", false).status, 404u);
  EXPECT_EQ(h.post("/hooks/", "", false).status, 404u);
  // A plugin built for ABI 1.0 runs and takes no HTTP.
  EXPECT_EQ(h.post("/hooks/old/anything", "", false).status, 404u);
}

TEST(Hooks, AcceptedWebhookBecomesATurnAndADuplicateDoesNot) {
  host_fixture h(channels);
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  EXPECT_EQ(h.post("/hooks/hooked/emit", "ping from hook", false, {{"X-Event", "w-1"}}).status,
            202u);
  EXPECT_EQ(h.post("/hooks/hooked/emit", "ping from hook", false, {{"X-Event", "w-1"}}).status,
            200u);
  std::string log = h.wait_for_log("text=ping from hook");
  EXPECT_NE(log.find("send chat-hook"), std::string::npos) << log;
}

}  // namespace
