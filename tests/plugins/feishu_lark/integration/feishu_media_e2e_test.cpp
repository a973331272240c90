// Media both ways through the whole chain: the real feishu plugin in a real `patchbay run`, against
// the fake Feishu server (TLS), with an `http` agent served by this test. A user's image and file
// (bytes the fake holds) reach the agent as `attachments` with absolute /v1/media URLs that
// serve, with the API token, exactly those bytes and their MIME type; the agent's answers, an
// image in the data_base64 form and a file in the path form, arrive on the fake as an image and a
// file message in the user's chat with the right bytes, MD5 and name; an agent file over
// host.media.outbound.max_bytes becomes a notice naming it, in the chat, and nothing else.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"
#include "http_agent_server.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;
namespace fs = std::filesystem;

// Bytes that pass the fake's image check (PNG magic), then a pattern seeded by `seed`.
std::string png_bytes(size_t n, unsigned seed) {
  std::string s("\x89PNG\r\n\x1a\n", 8);
  for (size_t i = 0; s.size() < n; ++i) s.push_back(static_cast<char>((i * 37 + seed) & 0xff));
  return s;
}
std::string pdf_bytes(size_t n) {
  std::string s = "%PDF-1.4\n";
  for (size_t i = 0; s.size() < n; ++i) s.push_back(static_cast<char>((i * 53 + 7) & 0xff));
  return s;
}

json::object stored_file(const fake_feishu& fake, const std::string& key) {
  const json::value v = fake.call("GET", "/_fake/file?key=" + key);
  return v.is_object() ? v.as_object() : json::object{};
}

// The bot's messages of type `type` in `chat`, waiting (bounded) until there are `n`.
std::vector<json::object> wait_messages(const fake_feishu& fake, const std::string& chat,
                                        const std::string& type, size_t n) {
  std::vector<json::object> out;
  wait_for([&] {
    out.clear();
    for (auto& m : fake.bot_messages({}, chat))
      if (str(m, "msg_type") == type) out.push_back(m);
    return out.size() >= n;
  });
  return out;
}

struct FeishuMediaE2E : ::testing::Test {
  fs::path allowed = fs::temp_directory_path() / ("pb_fs_media_e2e_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(allowed); }
  void TearDown() override { fs::remove_all(allowed); }
};

TEST_F(FeishuMediaE2E, UserMediaReachTheAgentAndTheAgentsFilesReachTheChat) {
  const std::string user_png = png_bytes(30'000, 11);
  const std::string user_pdf = pdf_bytes(45'000);
  const std::string agent_png = png_bytes(20'000, 91);
  const std::string agent_pdf = pdf_bytes(12'345);
  std::ofstream(allowed / "report.pdf", std::ios::binary) << agent_pdf;
  // The agent answers an image with an image (inline bytes), a file with a file (a path), and
  // "big" with a file over the host's outbound limit.
  pbtest::http_agent_server agent([&](const json::object& turn) -> std::vector<json::object> {
    const auto* atts = turn.if_contains("attachments");
    std::string kind = atts && !atts->as_array().empty() ? str(atts->as_array()[0], "kind") : "";
    json::object a;
    if (kind == "image")
      a = {{"kind", "image"},
           {"name", "reply.png"},
           {"data_base64", patchbay::common::base64_encode(agent_png)}};
    else if (kind == "file")
      a = {{"kind", "file"}, {"path", (allowed / "report.pdf").string()}};
    else
      a = {{"name", "huge.bin"},
           {"data_base64", patchbay::common::base64_encode(std::string(60'000, 'z'))}};
    return {json::object{{"attachment", a}, {"done", true}}};
  });
  fake_feishu fake;
  ASSERT_FALSE(fake.apps.empty()) << fake.logs();
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", "", "probe"),
                 agent.yaml(),
                 "  media:\n    outbound:\n      max_bytes: 50000\n      allowed_paths: [\"" +
                     allowed.string() + "\"]\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs") == "connected"; }))
      << h.logs() << fake.logs();

  // The user's image.
  auto img = fake.inject(json::object{{"message_type", "image"},
                                      {"chat_type", "p2p"},
                                      {"content_type", "image/png"},
                                      {"data_base64", patchbay::common::base64_encode(user_png)}});
  const std::string chat = str(img, "chat_id");
  json::object t0 = agent.turn(0);
  ASSERT_TRUE(t0.contains("attachments")) << json::serialize(t0) << h.logs();
  EXPECT_EQ(str(t0, "message"), str(img, "message_id"));
  const auto& a0 = t0.at("attachments").as_array();
  ASSERT_EQ(a0.size(), 1U);
  EXPECT_EQ(str(a0[0], "kind"), "image");
  const std::string img_url = str(a0[0], "url");
  ASSERT_EQ(img_url.rfind(h.base + "/v1/media/", 0), 0U) << img_url;
  EXPECT_EQ(pbtest::fetch_url(img_url, "").status, 401U);  // the API token is required
  auto got = pbtest::fetch_url(img_url, pbtest::token);
  ASSERT_EQ(got.status, 200U) << got.body << h.logs();
  EXPECT_TRUE(got.body == user_png) << "size " << got.body.size();
  EXPECT_EQ(got.header("Content-Type"), "image/png");

  // The agent's image: an image message in the user's chat holding exactly its bytes.
  auto images = wait_messages(fake, chat, "image", 1);
  ASSERT_EQ(images.size(), 1U) << h.logs() << fake.logs();
  const std::string img_key(json::parse(str(images[0], "content")).at("image_key").as_string());
  auto stored = stored_file(fake, img_key);
  EXPECT_EQ(str(stored, "md5"), patchbay::common::md5_hex(agent_png));
  EXPECT_EQ(patchbay::common::base64_decode(str(stored, "data_base64")).value_or(""), agent_png);

  // The user's file, with a non-ASCII name, in the same chat.
  auto doc = fake.inject(json::object{{"message_type", "file"},
                                      {"chat_type", "p2p"},
                                      {"chat_id", chat},
                                      {"file_name", "季度报告.pdf"},
                                      {"content_type", "application/pdf"},
                                      {"data_base64", patchbay::common::base64_encode(user_pdf)}});
  json::object t1 = agent.turn(1);
  ASSERT_TRUE(t1.contains("attachments")) << json::serialize(t1) << h.logs();
  EXPECT_EQ(str(t1, "message"), str(doc, "message_id"));
  const auto& a1 = t1.at("attachments").as_array();
  ASSERT_EQ(a1.size(), 1U);
  EXPECT_EQ(str(a1[0], "kind"), "file");
  EXPECT_EQ(str(a1[0], "name"), "季度报告.pdf");
  got = pbtest::fetch_url(str(a1[0], "url"), pbtest::token);
  ASSERT_EQ(got.status, 200U) << got.body << h.logs();
  EXPECT_TRUE(got.body == user_pdf) << "size " << got.body.size();
  EXPECT_EQ(got.header("Content-Type"), "application/pdf");

  // The agent's file (path form): a file message with its name and bytes.
  auto files = wait_messages(fake, chat, "file", 1);
  ASSERT_EQ(files.size(), 1U) << h.logs() << fake.logs();
  const std::string file_key(json::parse(str(files[0], "content")).at("file_key").as_string());
  stored = stored_file(fake, file_key);
  EXPECT_EQ(str(stored, "md5"), patchbay::common::md5_hex(agent_pdf));
  EXPECT_EQ(str(stored, "file_name"), "report.pdf");
  EXPECT_EQ(num(stored, "size"), static_cast<int64_t>(agent_pdf.size()));

  // Over the host's outbound limit: a notice naming the file, nothing uploaded.
  fake.inject_text("big", json::object{{"chat_id", chat}});
  std::string notice;
  ASSERT_TRUE(wait_for([&] {
    for (const auto& m : fake.bot_messages({}, chat))
      if (str(m, "text").find("huge.bin") != std::string::npos) notice = str(m, "text");
    return !notice.empty();
  })) << h.logs();
  EXPECT_NE(notice.find("Could not send the file huge.bin: it is 58.6 KB, larger than the limit"),
            std::string::npos)
      << notice;
  EXPECT_EQ(fake.requests_to("/open-apis/im/v1/files").size(), 1U) << "only report.pdf";
  EXPECT_EQ(wait_messages(fake, chat, "file", 1).size(), 1U);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

}  // namespace
