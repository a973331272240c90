// Weixin media both ways, the real plugin .so on the minimal host (tests/support/plugin_driver.hpp)
// against the fake iLink server and its CDN (tools/fakes/ilink): inbound image and file items
// become attachments whose fetch gives the exact plaintext (both inbound key spellings, the image
// hex key winning, full_url and <cdn>/download), a fetch past the cap is INVALID_INPUT; outbound
// image and file arrive on the fake's CDN decrypted with the key the message declared and the
// right MD5 (also through <cdn>/upload when the server gives no full URL); CDN 5xx and a missing
// x-encrypted-param are retried, a 4xx is final, an oversize file is refused before any call.
#include <filesystem>
#include <fstream>

#include "fake_ilink_process.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"
#include "plugin_driver.hpp"

namespace {
using namespace wxtest;
using patchbay::common::base64_decode;
using patchbay::common::base64_encode;
using patchbay::common::md5_hex;

struct instance : pbdrv::instance {
  explicit instance(const std::string& config) : pbdrv::instance(PB_WEIXIN_PLUGIN, "wx", config) {}
};

std::string config_for(const fake_ilink& fake, const account& a, const std::string& extra = "") {
  return R"({"bot_token":")" + a.bot_token + R"(","base_url":")" + fake.base_url +
         R"(","account_id":")" + a.account_id + R"(","cdn_base_url":")" + fake.base_url + "/c2c\"" +
         extra + "}";
}

std::string bytes(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 2654435761u + seed) >> 13);
  return s;
}

const std::string png_head("\x89PNG\r\n\x1A\n", 8);

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() /
           ("wx-media-it-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  std::string file(const std::string& name, const std::string& content) const {
    const fs::path p = path / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
};

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Stages `data` on the fake CDN (POST /_fake/media): its encrypt_query_param, full_url, keys.
json::object stage(const fake_ilink& fake, const std::string& data) {
  auto v = fake.call("POST", "/_fake/media", {{"data_base64", base64_encode(data)}});
  return v.is_object() ? v.as_object() : json::object{};
}

json::object inject_items(const fake_ilink& fake, const std::string& from, json::array items) {
  auto v = fake.call("POST", "/_fake/inject", {{"from", from}, {"item_list", std::move(items)}});
  return v.is_object() ? v.as_object() : json::object{};
}

// A user who wrote to the bot (so sends have a context_token): returns the inbound record.
pbdrv::inbound_record user_wrote(const fake_ilink& fake, instance& in, const std::string& user) {
  const size_t before = in.host.inbound_count();
  fake.inject(user, "send me something");
  EXPECT_TRUE(fake_ilink::wait_for([&] { return in.host.inbound_count() > before; }));
  return in.host.inbound_at(before);
}

// An outbound attachment as the host hands it over (the strings live as long as this object).
struct outbound_file {
  std::string kind, name, mime, path, md5;
  uint64_t size = 0;
  pb_outbound_attachment abi{};
  outbound_file(std::string k, std::string n, std::string m, std::string p, const std::string& data,
                std::string md5_hex)
      : kind(std::move(k)),
        name(std::move(n)),
        mime(std::move(m)),
        path(std::move(p)),
        md5(std::move(md5_hex)),
        size(data.size()) {
    abi.struct_size = sizeof abi;
    abi.kind = pbdrv::view(kind);
    abi.name = pbdrv::view(name);
    abi.mime_type = pbdrv::view(mime);
    abi.path = pbdrv::view(path);
    abi.size = size;
    abi.md5_hex = pbdrv::view(md5);
  }
  outbound_file(const outbound_file&) = delete;
  outbound_file& operator=(const outbound_file&) = delete;
};

TEST(WeixinMedia, InboundImageAndFileAreFetchedWithTheExactBytes) {
  fake_ilink fake({"--hold-ms", "300"});
  instance in(config_for(fake, fake.accounts[0]));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  temp_dir dir;
  const std::string image = png_head + bytes(70'000, 1);
  const std::string doc = bytes(12'345, 2);
  const std::string photo = bytes(999, 3);
  auto img = stage(fake, image);
  auto file = stage(fake, doc);
  auto hexkeyed = stage(fake, photo);
  // image: media.aes_key = base64 of the 16 raw bytes, by encrypt_query_param (<cdn>/download);
  // file: base64 of the 32-char hex string, by full_url; a second image whose image_item.aeskey
  // (hex) must win over a wrong media.aes_key.
  json::array items{
      json::object{{"type", 1}, {"text_item", {{"text", "two files"}}}},
      json::object{{"type", 2},
                   {"image_item",
                    {{"media",
                      {{"encrypt_query_param", img.at("encrypt_query_param")},
                       {"aes_key", img.at("aes_key_raw_base64")},
                       {"encrypt_type", 1}}}}}},
      json::object{{"type", 4},
                   {"file_item",
                    {{"media",
                      {{"full_url", std::string(file.at("full_url").as_string()) + "&via=full_url"},
                       {"aes_key", file.at("aes_key_hex_base64")},
                       {"encrypt_type", 1}}},
                     {"file_name", "notes.txt"},
                     {"len", std::to_string(doc.size())}}}},
      json::object{{"type", 2},
                   {"image_item",
                    {{"aeskey", hexkeyed.at("aeskey")},
                     {"media",
                      {{"encrypt_query_param", hexkeyed.at("encrypt_query_param")},
                       {"aes_key", img.at("aes_key_raw_base64")}}}}}}};
  inject_items(fake, "kim@im.wechat", std::move(items));
  ASSERT_TRUE(fake_ilink::wait_for([&] { return in.host.inbound_count() == 1; }));
  const auto rec = in.host.inbound_at(0);
  EXPECT_EQ(rec.text, "two files");
  ASSERT_EQ(rec.attachments.size(), 3u);
  EXPECT_EQ(rec.attachments[0].kind, "image");
  EXPECT_EQ(rec.attachments[1].kind, "file");
  EXPECT_EQ(rec.attachments[1].name, "notes.txt");
  EXPECT_EQ(rec.attachments[1].mime_type, "text/plain");
  EXPECT_EQ(rec.attachments[1].size, doc.size());
  for (const auto& a : rec.attachments) {
    EXPECT_EQ(a.id.find(fake.accounts[0].bot_token), std::string::npos) << "no credential in ids";
  }

  const std::string out_img = (dir.path / "img").string();
  auto r = in.fetch(rec.attachments[0], out_img, 100 << 20, rec.conversation_id, rec.message_id);
  ASSERT_EQ(r.code, PB_OK) << r.message << in.host.all_logs();
  EXPECT_EQ(read_all(out_img), image);
  EXPECT_EQ(r.mime_type, "image/png");
  const std::string out_doc = (dir.path / "doc").string();
  r = in.fetch(rec.attachments[1], out_doc, 100 << 20);
  ASSERT_EQ(r.code, PB_OK) << r.message;
  EXPECT_EQ(read_all(out_doc), doc);
  const std::string out_photo = (dir.path / "photo").string();
  r = in.fetch(rec.attachments[2], out_photo, 100 << 20);
  ASSERT_EQ(r.code, PB_OK) << r.message;
  EXPECT_EQ(read_all(out_photo), photo);
  // CDN downloads carry no bot credential.
  for (const auto& q : fake.requests_to("/c2c/download"))
    EXPECT_EQ(json::serialize(q).find(fake.accounts[0].bot_token), std::string::npos);
  // The file went by its full_url, the images by <cdn_base_url>/download.
  const auto downloads = fake.requests_to("/c2c/download");
  ASSERT_EQ(downloads.size(), 3u);
  int by_full_url = 0;
  for (const auto& q : downloads)
    by_full_url += json::serialize(q).find("via=full_url") != std::string::npos ? 1 : 0;
  EXPECT_EQ(by_full_url, 1);
}

TEST(WeixinMedia, MediaOnlyMessageHasEmptyTextAndFetchPastTheCapIsInvalidInput) {
  fake_ilink fake({"--hold-ms", "300"});
  instance in(config_for(fake, fake.accounts[0]));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  temp_dir dir;
  const std::string doc = bytes(5'000, 4);
  auto file = stage(fake, doc);
  inject_items(fake, "kim@im.wechat",
               json::array{json::object{{"type", 4},
                                        {"file_item",
                                         {{"media",
                                           {{"encrypt_query_param", file.at("encrypt_query_param")},
                                            {"aes_key", file.at("aes_key_hex_base64")}}},
                                          {"file_name", "big.bin"},
                                          {"len", "5000"}}}}});
  ASSERT_TRUE(fake_ilink::wait_for([&] { return in.host.inbound_count() == 1; }));
  const auto rec = in.host.inbound_at(0);
  EXPECT_EQ(rec.text, "");
  ASSERT_EQ(rec.attachments.size(), 1u);
  const std::string out = (dir.path / "out").string();
  auto r = in.fetch(rec.attachments[0], out, 4'999);
  EXPECT_EQ(r.code, PB_ERR_INVALID_INPUT) << r.message;
  EXPECT_NE(r.message.find("too large"), std::string::npos) << r.message;
  r = in.fetch(rec.attachments[0], out, 5'000);  // exactly the cap fits
  EXPECT_EQ(r.code, PB_OK) << r.message;
  EXPECT_EQ(read_all(out), doc);
  pbdrv::attachment_record bogus{"file", "not-a-handle", "", "", "", 0};
  EXPECT_EQ(in.fetch(bogus, out, 1000).code, PB_ERR_UNSUPPORTED);
}

TEST(WeixinMedia, OutboundImageAndFileArriveDecryptedWithTheRightMd5) {
  fake_ilink fake({"--hold-ms", "300"});
  instance in(config_for(fake, fake.accounts[0]));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  temp_dir dir;
  const auto rec = user_wrote(fake, in, "kim@im.wechat");
  const std::string image = png_head + bytes(40'000, 5);
  const std::string doc = bytes(100'001, 6);
  const std::string ipath = dir.file("pic.png", image);
  const std::string dpath = dir.file("report.pdf", doc);
  outbound_file a("image", "pic.png", "image/png", ipath, image, md5_hex(image));
  auto r = in.send_attachment("kim@im.wechat", a.abi, "turn-img", rec.reply_context);
  ASSERT_EQ(r.code, PB_OK) << r.message << in.host.all_logs();
  outbound_file b("file", "report.pdf", "application/pdf", dpath, doc, md5_hex(doc));
  r = in.send_attachment("kim@im.wechat", b.abi, "turn-doc", rec.reply_context);
  ASSERT_EQ(r.code, PB_OK) << r.message << in.host.all_logs();

  // getuploadurl got the announced sizes, MD5 and key; the fake checked filesize == cipher size.
  auto ups = fake.requests_to("getuploadurl");
  ASSERT_EQ(ups.size(), 2u);
  EXPECT_EQ(num(ups[0].at("body"), "media_type"), 1);
  EXPECT_EQ(num(ups[1].at("body"), "media_type"), 3);
  EXPECT_EQ(num(ups[1].at("body"), "rawsize"), static_cast<int64_t>(doc.size()));
  EXPECT_EQ(num(ups[1].at("body"), "filesize"), static_cast<int64_t>((doc.size() / 16 + 1) * 16));
  EXPECT_EQ(str(ups[1].at("body"), "rawfilemd5"), md5_hex(doc));
  EXPECT_EQ(str(ups[1].at("body"), "to_user_id"), "kim@im.wechat");

  // What the user saw: each sendmessage carried one media item that decrypts (with the key the
  // message declared) to the exact bytes.
  auto sent = fake.sent();
  ASSERT_EQ(sent.size(), 2u);
  const auto& m0 = sent[0].at("media").as_array();
  const auto& m1 = sent[1].at("media").as_array();
  ASSERT_EQ(m0.size(), 1u);
  ASSERT_EQ(m1.size(), 1u);
  EXPECT_EQ(num(sent[0], "item_type"), 2);
  EXPECT_EQ(str(m0[0], "kind"), "image");
  EXPECT_EQ(str(m0[0], "md5"), md5_hex(image));
  EXPECT_EQ(*base64_decode(str(m0[0], "data_base64")), image);
  EXPECT_EQ(num(sent[1], "item_type"), 4);
  EXPECT_EQ(str(m1[0], "kind"), "file");
  EXPECT_EQ(str(m1[0], "file_name"), "report.pdf");
  EXPECT_EQ(str(m1[0], "md5"), md5_hex(doc));
  EXPECT_EQ(num(m1[0], "size"), static_cast<int64_t>(doc.size()));
  EXPECT_EQ(str(sent[1], "context_token"), rec.reply_context);
  // The CDN upload carried no bot credential.
  for (const auto& q : fake.requests_to("/c2c/upload"))
    EXPECT_EQ(json::serialize(q).find(fake.accounts[0].bot_token), std::string::npos);

  // The same operation again (the host's retry) keeps its client_id; another one does not.
  r = in.send_attachment("kim@im.wechat", b.abi, "turn-doc", rec.reply_context);
  ASSERT_EQ(r.code, PB_OK) << r.message;
  sent = fake.sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(str(sent[2], "client_id"), str(sent[1], "client_id"));
  EXPECT_NE(str(sent[0], "client_id"), str(sent[1], "client_id"));
}

TEST(WeixinMedia, UploadWithoutAFullUrlGoesToTheConfiguredCdn) {
  fake_ilink fake({"--hold-ms", "300"});
  fake.call("POST", "/_fake/config", {{"upload_full_url", false}});
  instance in(config_for(fake, fake.accounts[0]));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  temp_dir dir;
  const auto rec = user_wrote(fake, in, "kim@im.wechat");
  const std::string doc = bytes(3'000, 7);
  outbound_file a("file", "a.bin", "", dir.file("a.bin", doc), doc, md5_hex(doc));
  auto r = in.send_attachment("kim@im.wechat", a.abi, "t-cdn", rec.reply_context);
  ASSERT_EQ(r.code, PB_OK) << r.message << in.host.all_logs();
  auto ups = fake.requests_to("/c2c/upload");
  ASSERT_EQ(ups.size(), 1u);
  EXPECT_NE(json::serialize(ups[0]).find("filekey"), std::string::npos);
  ASSERT_EQ(fake.sent().size(), 1u);
  EXPECT_EQ(str(fake.sent()[0].at("media").as_array()[0], "md5"), md5_hex(doc));
}

TEST(WeixinMedia, CdnServerErrorsAndAMissingParamAreRetriedThenSucceed) {
  fake_ilink fake({"--hold-ms", "300"});
  instance in(config_for(fake, fake.accounts[0]));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  temp_dir dir;
  const auto rec = user_wrote(fake, in, "kim@im.wechat");
  fake.fault({{"kind", "http_status"}, {"path", "/c2c/upload"}, {"status", 502}});
  fake.fault({{"kind", "cdn_no_param"}});
  const std::string doc = bytes(2'000, 8);
  outbound_file a("file", "r.bin", "", dir.file("r.bin", doc), doc, md5_hex(doc));
  auto r = in.send_attachment("kim@im.wechat", a.abi, "t-retry", rec.reply_context);
  ASSERT_EQ(r.code, PB_OK) << r.message << in.host.all_logs();
  EXPECT_EQ(fake.requests_to("/c2c/upload").size(), 3u);
  ASSERT_EQ(fake.sent().size(), 1u);
  EXPECT_EQ(str(fake.sent()[0].at("media").as_array()[0], "md5"), md5_hex(doc));

  // Three failures: given up, retryable, nothing sent.
  fake.fault({{"kind", "http_status"}, {"path", "/c2c/upload"}, {"status", 503}, {"count", 3}});
  r = in.send_attachment("kim@im.wechat", a.abi, "t-retry-2", rec.reply_context);
  EXPECT_EQ(r.code, PB_ERR_RETRYABLE) << r.message;
  EXPECT_EQ(fake.requests_to("/c2c/upload").size(), 6u);
  EXPECT_EQ(fake.sent().size(), 1u);
}

TEST(WeixinMedia, Cdn4xxIsFinalAndOversizeIsRefusedBeforeAnyCall) {
  fake_ilink fake({"--hold-ms", "300"});
  instance in(config_for(fake, fake.accounts[0], R"(,"max_media_bytes":10000)"));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  temp_dir dir;
  const auto rec = user_wrote(fake, in, "kim@im.wechat");
  fake.fault({{"kind", "http_status"},
              {"path", "/c2c/upload"},
              {"status", 400},
              {"body", "file rejected by policy"}});
  const std::string doc = bytes(2'000, 9);
  outbound_file a("file", "x.bin", "", dir.file("x.bin", doc), doc, md5_hex(doc));
  auto r = in.send_attachment("kim@im.wechat", a.abi, "t-4xx", rec.reply_context);
  EXPECT_EQ(r.code, PB_ERR_REJECTED) << r.message;
  EXPECT_NE(r.message.find("file rejected by policy"), std::string::npos) << r.message;
  EXPECT_EQ(fake.requests_to("/c2c/upload").size(), 1u);
  EXPECT_TRUE(fake.sent().empty());

  const std::string big = bytes(10'001, 10);
  outbound_file b("file", "big.bin", "", dir.file("big.bin", big), big, md5_hex(big));
  r = in.send_attachment("kim@im.wechat", b.abi, "t-big", rec.reply_context);
  EXPECT_EQ(r.code, PB_ERR_INVALID_INPUT) << r.message;
  EXPECT_NE(r.message.find("too large"), std::string::npos) << r.message;
  EXPECT_EQ(fake.requests_to("getuploadurl").size(), 1u);  // only the 4xx one

  // A file whose bytes differ from the announced MD5 is refused too.
  outbound_file c("file", "x.bin", "", dir.file("y.bin", doc), doc, std::string(32, '0'));
  EXPECT_EQ(in.send_attachment("kim@im.wechat", c.abi, "t-md5", rec.reply_context).code,
            PB_ERR_INVALID_INPUT);
}

TEST(WeixinMedia, CapabilitiesDeclareAttachments) {
  const pb_plugin_descriptor* d = pbdrv::load_plugin(PB_WEIXIN_PLUGIN);
  ASSERT_NE(d, nullptr);
  ASSERT_GE(d->capabilities->struct_size, PB_SIZE_THROUGH(pb_capabilities, max_attachment_size));
  EXPECT_EQ(d->capabilities->can_attachments, PB_YES);
  EXPECT_EQ(d->capabilities->max_attachment_size, 100ull << 20);
}

}  // namespace
