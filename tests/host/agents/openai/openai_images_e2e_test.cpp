// The `openai` agent's `images` option end to end: a real `patchbay run` with the zoo "media"
// plugin (ABI 1.3 fetch_attachment) and an `openai` agent pointing at patchbay-fake-openai, whose
// /_fake/requests record each chat request body. With `images: true` the user message's content
// is an array: the text (naming every attachment) and one image_url part per image, a data: URL
// of the exact bytes the plugin holds, read through the host's media service; a file stays a line
// of the text; an image the media service cannot deliver in time degrades to that line with a
// log line, and the turn still completes. With `images: false` (the default) the content stays a
// plain string.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "../../../abi/plugins/media_bytes.hpp"
#include "fake_openai_process.hpp"
#include "fake_process.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"
#include "patchbay/common/base64.hpp"

namespace {
using agent_test::fake_openai;
using namespace std::chrono_literals;
namespace json = boost::json;

using zoo::media_bytes;

std::string host_yaml(const fake_openai& fake, const std::string& images) {
  return "  gpt:\n    type: openai\n    base_url: \"" + fake.base_url +
         "\"\n    model: fake-vision\n    api_key: \"${PB_IT_SECRET}\"\n    history_turns: 0\n" +
         images;
}

const char* channel_yaml = "  - id: media-ch\n    plugin: media\n    agent: gpt\n" PB_OPEN_ACCESS
                           "    config: { slow_ms: 2500 }\n";

// Emits a message with `attach` and waits until the model's echo reached the plugin.
void say(pbtest::host_fixture& h, const std::string& event, const std::string& attach,
         const std::string& text) {
  auto r = h.post("/hooks/media-ch/emit?attach=" + attach, text, false, {{"X-Event", event}});
  ASSERT_EQ(r.status, 202U) << r.body << h.logs();
  ASSERT_TRUE(pbfake::wait_for(
      [&] { return h.logs().find("text=echo: " + text) != std::string::npos; }, 20))
      << h.logs();
}

// The last message of a chat request (the user's).
json::value last_user_content(const json::object& body) {
  const auto& msgs = body.at("messages").as_array();
  EXPECT_EQ(msgs.back().at("role").as_string(), "user");
  return msgs.back().at("content");
}

TEST(OpenaiImagesE2E, ImagesGoToTheModelAsImageUrlPartsWithTheExactBytes) {
  fake_openai fake(pbtest::secret);
  ASSERT_FALSE(fake.base_url.empty());
  pbtest::host_fixture h(channel_yaml, host_yaml(fake, "    images: true\n"),
                         "  media: { max_bytes: 100000, fetch_timeout_ms: 1000 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();

  say(h, "ev-1", "img-1,doc-1", "what is this");
  auto reqs = fake.chat_requests();
  ASSERT_EQ(reqs.size(), 1U);
  json::value content = last_user_content(reqs[0]);
  ASSERT_TRUE(content.is_array()) << json::serialize(content).substr(0, 300);
  const auto& parts = content.as_array();
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(parts[0].at("type").as_string(), "text");
  const std::string text(parts[0].at("text").as_string());
  EXPECT_EQ(text.rfind("what is this\n", 0), 0U) << text;
  EXPECT_NE(text.find("[attachment: image \"cat.png\", image/png, 70000 bytes]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("[attachment: file \"\xE6\x8A\xA5\xE5\x91\x8A 1.pdf\", application/pdf"),
            std::string::npos)
      << "the file is listed, not dropped: " << text;
  EXPECT_EQ(parts[1].at("type").as_string(), "image_url");
  const std::string url(parts[1].at("image_url").at("url").as_string());
  const std::string expected =
      "data:image/png;base64," + patchbay::common::base64_encode(media_bytes("img-1", 70'000));
  EXPECT_EQ(url.size(), expected.size());
  EXPECT_TRUE(url == expected) << url.substr(0, 80);
  // The same path as GET /v1/media: the plugin fetched the image once; the file was not fetched.
  const std::string logs = h.logs();
  EXPECT_NE(logs.find("fetch img-1 -> ok"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("fetch doc-1"), std::string::npos) << logs;

  // An image the platform does not deliver within fetch_timeout_ms: listed in the text, logged,
  // and the turn completes; the other image still goes as a part.
  say(h, "ev-2", "slow-1,img-1", "and these");
  reqs = fake.chat_requests();
  ASSERT_EQ(reqs.size(), 2U);
  content = last_user_content(reqs[1]);
  ASSERT_TRUE(content.is_array());
  ASSERT_EQ(content.as_array().size(), 2U) << json::serialize(content).substr(0, 300);
  EXPECT_NE(std::string(content.as_array()[0].at("text").as_string()).find("\"slow.png\""),
            std::string::npos);
  EXPECT_TRUE(std::string(content.as_array()[1].at("image_url").at("url").as_string()) == expected);
  EXPECT_NE(h.logs().find(R"(the image \"slow.png\" is not sent to the model (HTTP 504)"),
            std::string::npos)
      << h.logs();
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(OpenaiImagesE2E, WithoutTheOptionTheContentIsText) {
  fake_openai fake(pbtest::secret);
  ASSERT_FALSE(fake.base_url.empty());
  pbtest::host_fixture h(channel_yaml, host_yaml(fake, ""));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  say(h, "ev-1", "img-1", "what is this");
  auto reqs = fake.chat_requests();
  ASSERT_EQ(reqs.size(), 1U);
  json::value content = last_user_content(reqs[0]);
  ASSERT_TRUE(content.is_string()) << json::serialize(content).substr(0, 300);
  EXPECT_EQ(std::string(content.as_string()),
            "what is this\n[attachment: image \"cat.png\", image/png, 70000 bytes]");
  EXPECT_EQ(json::serialize(reqs[0]).find("image_url"), std::string::npos);
  EXPECT_EQ(h.logs().find("fetch img-1"), std::string::npos) << "nothing was fetched";
}

}  // namespace
