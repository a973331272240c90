// Media both ways through the whole chain: the real weixin plugin in a real `patchbay run`,
// against the fake iLink server and its CDN, with an `http` agent served by this test. A user's
// image and file (staged encrypted on the fake CDN) reach the agent as `attachments` whose
// /v1/media URLs serve, with the API token, exactly the plaintext (the plugin decrypted it); the
// agent's answers, an image in the data_base64 form and a file in the path form, arrive on the
// fake as one media item each, decrypted by the fake to the right bytes, MD5 and name, in reply
// to the user's context token.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"
#include "http_agent_server.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

namespace {
using namespace wxtest;
using patchbay::common::base64_decode;
using patchbay::common::base64_encode;
using patchbay::common::md5_hex;
using pbtest::host_fixture;

std::string bytes(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 2654435761u + seed) >> 13);
  return s;
}
const std::string png_head("\x89PNG\r\n\x1A\n", 8);

// Stages `data` on the fake CDN (encrypted there): its encrypt_query_param, keys.
json::object stage(const fake_ilink& fake, const std::string& data) {
  auto v = fake.call("POST", "/_fake/media", {{"data_base64", base64_encode(data)}});
  return v.is_object() ? v.as_object() : json::object{};
}
json::object inject_items(const fake_ilink& fake, const std::string& from, json::array items) {
  auto v = fake.call("POST", "/_fake/inject", {{"from", from}, {"item_list", std::move(items)}});
  return v.is_object() ? v.as_object() : json::object{};
}

// What the fake delivered to `user` that carries media.
std::vector<json::object> media_sent_to(const fake_ilink& fake, const std::string& user) {
  std::vector<json::object> out;
  for (const auto& s : fake.sent()) {
    const auto* m = s.as_object().if_contains("media");
    if (str(s, "to") == user && m && m->is_array() && !m->as_array().empty())
      out.push_back(s.as_object());
  }
  return out;
}

struct WeixinMediaE2E : ::testing::Test {
  fs::path allowed = fs::temp_directory_path() / ("pb_wx_media_e2e_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(allowed); }
  void TearDown() override { fs::remove_all(allowed); }
};

TEST_F(WeixinMediaE2E, UserMediaReachTheAgentAndTheAgentsFilesReachTheUser) {
  const std::string user_png = png_head + bytes(50'000, 1);
  const std::string user_doc = bytes(12'345, 2);
  const std::string agent_png = png_head + bytes(30'000, 3);
  const std::string agent_pdf = "%PDF-1.4\n" + bytes(20'001, 4);
  std::ofstream(allowed / "report.pdf", std::ios::binary) << agent_pdf;
  // The agent answers an image with an image (inline bytes), a file with a file (a path).
  pbtest::http_agent_server agent([&](const json::object& turn) -> std::vector<json::object> {
    const auto* atts = turn.if_contains("attachments");
    std::string kind = atts && !atts->as_array().empty() ? str(atts->as_array()[0], "kind") : "";
    if (kind == "image")
      return {json::object{
          {"attachment",
           {{"kind", "image"}, {"name", "reply.png"}, {"data_base64", base64_encode(agent_png)}}},
          {"done", true}}};
    return {json::object{
        {"attachment", {{"kind", "file"}, {"path", (allowed / "report.pdf").string()}}},
        {"done", true}}};
  });
  fake_ilink fake({"--hold-ms", "300"});
  ASSERT_FALSE(fake.accounts.empty());
  const auto& acct = fake.accounts[0];
  const std::string channel =
      "  - id: wx\n    plugin: \"" PB_WEIXIN_PLUGIN "\"\n    agent: probe\n" PB_OPEN_ACCESS
      "    config:\n      bot_token: \"" +
      acct.bot_token + "\"\n      base_url: \"" + fake.base_url + "\"\n      cdn_base_url: \"" +
      fake.base_url + "/c2c\"\n      account_id: \"" + acct.account_id + "\"\n";
  host_fixture h(channel, agent.yaml(),
                 "  media:\n    outbound:\n      allowed_paths: [\"" + allowed.string() + "\"]\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }))
      << h.logs();
  const std::string user = "kim@im.wechat";

  // The user's image (key: base64 of the 16 raw bytes).
  auto img = stage(fake, user_png);
  auto in0 = inject_items(
      fake, user,
      json::array{json::object{{"type", 2},
                               {"image_item",
                                {{"media",
                                  {{"encrypt_query_param", img.at("encrypt_query_param")},
                                   {"aes_key", img.at("aes_key_raw_base64")},
                                   {"encrypt_type", 1}}}}}}});
  json::object t0 = agent.turn(0);
  ASSERT_TRUE(t0.contains("attachments")) << json::serialize(t0) << h.logs();
  EXPECT_EQ(str(t0, "text"), "");
  const auto& a0 = t0.at("attachments").as_array();
  ASSERT_EQ(a0.size(), 1U);
  EXPECT_EQ(str(a0[0], "kind"), "image");
  const std::string img_url = str(a0[0], "url");
  ASSERT_EQ(img_url.rfind(h.base + "/v1/media/", 0), 0U) << img_url;
  EXPECT_EQ(pbtest::fetch_url(img_url, "").status, 401U);
  auto got = pbtest::fetch_url(img_url, pbtest::token);
  ASSERT_EQ(got.status, 200U) << got.body << h.logs();
  EXPECT_TRUE(got.body == user_png) << "size " << got.body.size();
  EXPECT_EQ(got.header("Content-Type"), "image/png");

  // The agent's image: one image item the fake decrypts to exactly its bytes.
  std::vector<json::object> sent;
  ASSERT_TRUE(fake_ilink::wait_for([&] { return (sent = media_sent_to(fake, user)).size() >= 1; }))
      << h.logs() << fake.logs();
  const auto& m0 = sent[0].at("media").as_array();
  ASSERT_EQ(m0.size(), 1U);
  EXPECT_EQ(num(sent[0], "item_type"), 2);
  EXPECT_EQ(str(m0[0], "kind"), "image");
  EXPECT_EQ(str(m0[0], "md5"), md5_hex(agent_png));
  EXPECT_EQ(base64_decode(str(m0[0], "data_base64")).value_or(""), agent_png);
  EXPECT_EQ(str(sent[0], "context_token"), str(in0, "context_token"));

  // The user's file (key: base64 of the hex string).
  auto doc = stage(fake, user_doc);
  inject_items(fake, user,
               json::array{json::object{{"type", 4},
                                        {"file_item",
                                         {{"media",
                                           {{"encrypt_query_param", doc.at("encrypt_query_param")},
                                            {"aes_key", doc.at("aes_key_hex_base64")},
                                            {"encrypt_type", 1}}},
                                          {"file_name", "notes.txt"},
                                          {"len", std::to_string(user_doc.size())}}}}});
  json::object t1 = agent.turn(1);
  ASSERT_TRUE(t1.contains("attachments")) << json::serialize(t1) << h.logs();
  const auto& a1 = t1.at("attachments").as_array();
  ASSERT_EQ(a1.size(), 1U);
  EXPECT_EQ(str(a1[0], "kind"), "file");
  EXPECT_EQ(str(a1[0], "name"), "notes.txt");
  got = pbtest::fetch_url(str(a1[0], "url"), pbtest::token);
  ASSERT_EQ(got.status, 200U) << got.body << h.logs();
  EXPECT_TRUE(got.body == user_doc) << "size " << got.body.size();
  EXPECT_EQ(got.header("Content-Type"), "text/plain");

  // The agent's file: a file item with its name, size and MD5.
  ASSERT_TRUE(fake_ilink::wait_for([&] { return (sent = media_sent_to(fake, user)).size() >= 2; }))
      << h.logs() << fake.logs();
  ASSERT_EQ(sent.size(), 2U);
  const auto& m1 = sent[1].at("media").as_array();
  ASSERT_EQ(m1.size(), 1U);
  EXPECT_EQ(num(sent[1], "item_type"), 4);
  EXPECT_EQ(str(m1[0], "kind"), "file");
  EXPECT_EQ(str(m1[0], "file_name"), "report.pdf");
  EXPECT_EQ(str(m1[0], "md5"), md5_hex(agent_pdf));
  EXPECT_EQ(num(m1[0], "size"), static_cast<int64_t>(agent_pdf.size()));
  EXPECT_EQ(base64_decode(str(m1[0], "data_base64")).value_or(""), agent_pdf);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

}  // namespace
