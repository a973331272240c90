// media.hpp: inbound attachments per message kind, the resource id and download request, the
// upload decision (endpoint, file_type, msg_type, limits), the multipart body with a non-ASCII
// file name, the upload answers, and media message contents.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "feishu_lark/proto/media.hpp"

namespace fam = patchbay::plugins::feishu_family;
namespace json = boost::json;

namespace {

TEST(FeishuMedia, AttachmentsOfEachKind) {
  auto img = fam::attachments_of("image", R"({"image_key":"img_v3_abc"})");
  ASSERT_EQ(img.size(), 1u);
  EXPECT_EQ(img[0].kind, "image");
  EXPECT_EQ(img[0].id, "image:img_v3_abc");

  auto file = fam::attachments_of("file", R"({"file_key":"file_v3_1","file_name":"报告.PDF"})");
  ASSERT_EQ(file.size(), 1u);
  EXPECT_EQ(file[0].kind, "file");
  EXPECT_EQ(file[0].id, "file:file_v3_1");
  EXPECT_EQ(file[0].name, "报告.PDF");
  EXPECT_EQ(file[0].mime_type, "application/pdf");
  EXPECT_EQ(file[0].size, 0u);  // events carry no size

  auto audio = fam::attachments_of("audio", R"({"file_key":"file_a","duration":1500})");
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_EQ(audio[0].kind, "audio");
  EXPECT_EQ(audio[0].id, "file:file_a");
  EXPECT_EQ(audio[0].mime_type, "audio/opus");

  auto video = fam::attachments_of(
      "media", R"({"file_key":"file_m","image_key":"img_cover","file_name":"clip.mp4"})");
  ASSERT_EQ(video.size(), 1u);
  EXPECT_EQ(video[0].kind, "video");
  EXPECT_EQ(video[0].id, "file:file_m");
  EXPECT_EQ(video[0].mime_type, "video/mp4");

  auto sticker = fam::attachments_of("sticker", R"({"file_key":"file_s"})");
  ASSERT_EQ(sticker.size(), 1u);
  EXPECT_EQ(sticker[0].kind, "sticker");

  EXPECT_TRUE(fam::attachments_of("text", R"({"text":"hi"})").empty());
  EXPECT_TRUE(fam::attachments_of("image", "{oops").empty());
  EXPECT_TRUE(fam::attachments_of("image", R"({"image_key":""})").empty());
  EXPECT_TRUE(fam::attachments_of("share_chat", R"({"chat_id":"oc_1"})").empty());
}

TEST(FeishuMedia, PostImagesAndMediaAreAttachments) {
  const std::string post = R"({"zh_cn":{"title":"t","content":[
      [{"tag":"text","text":"look"},{"tag":"img","image_key":"img_1"}],
      [{"tag":"media","file_key":"file_2","image_key":"img_c"}],
      [{"tag":"img","image_key":"img_3"}]]}})";
  auto a = fam::attachments_of("post", post);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].id, "image:img_1");
  EXPECT_EQ(a[1].kind, "video");
  EXPECT_EQ(a[1].id, "file:file_2");
  EXPECT_EQ(a[2].id, "image:img_3");
}

TEST(FeishuMedia, ResourceIdAndDownloadRequest) {
  auto r = fam::parse_resource_id("image:img_v3_abc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, "image");
  EXPECT_EQ(r->key, "img_v3_abc");
  EXPECT_FALSE(fam::parse_resource_id("image:"));
  EXPECT_FALSE(fam::parse_resource_id("sticker:k"));
  EXPECT_FALSE(fam::parse_resource_id("nokey"));
  auto req = fam::resource_request("om_1/../x", {"file", "file_v3 1"});
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/open-apis/im/v1/messages/om_1%2F..%2Fx/resources/file_v3%201?type=file");
  EXPECT_TRUE(req.with_token);
}

TEST(FeishuMedia, MimeHelpers) {
  EXPECT_EQ(fam::mime_from_name("a.JPG"), "image/jpeg");
  EXPECT_EQ(fam::mime_from_name("noext"), "");
  EXPECT_EQ(fam::media_type_of(" Image/PNG ; charset=binary"), "image/png");
}

TEST(FeishuMedia, UploadPlans) {
  auto png = fam::plan_upload("image", "", "image/png", 1000);
  ASSERT_TRUE(png.error.ok());
  EXPECT_TRUE(png.plan.image);
  EXPECT_EQ(png.plan.msg_type, "image");

  // An image the image endpoint does not take, or one over 10 MiB, goes as a file.
  auto svg = fam::plan_upload("image", "d.svg", "image/svg+xml", 1000);
  EXPECT_FALSE(svg.plan.image);
  EXPECT_EQ(svg.plan.msg_type, "file");
  EXPECT_EQ(svg.plan.file_type, "stream");
  auto big = fam::plan_upload("image", "big.png", "image/png", fam::media_limit::image_bytes + 1);
  ASSERT_TRUE(big.error.ok());
  EXPECT_FALSE(big.plan.image);
  EXPECT_EQ(big.plan.file_name, "big.png");

  struct c {
    const char* kind;
    const char* name;
    const char* mime;
    const char* file_type;
    const char* msg_type;
  };
  for (const auto& x :
       {c{"file", "r.pdf", "", "pdf", "file"}, c{"file", "r.docx", "", "doc", "file"},
        c{"file", "t.xlsx", "", "xls", "file"}, c{"file", "s.pptx", "", "ppt", "file"},
        c{"file", "a.zip", "application/zip", "stream", "file"},
        c{"audio", "v.opus", "audio/opus", "opus", "audio"},
        c{"audio", "v.mp3", "audio/mpeg", "stream", "file"},
        c{"video", "m.mp4", "video/mp4", "mp4", "media"},
        c{"video", "m.mov", "video/quicktime", "stream", "file"},
        c{"file", "m.mp4", "video/mp4", "stream", "file"}}) {
    auto d = fam::plan_upload(x.kind, x.name, x.mime, 10);
    ASSERT_TRUE(d.error.ok()) << x.name;
    EXPECT_EQ(d.plan.file_type, x.file_type) << x.name;
    EXPECT_EQ(d.plan.msg_type, x.msg_type) << x.name;
    EXPECT_EQ(d.plan.limit, fam::media_limit::file_bytes);
  }
  // A nameless file gets one from its type.
  EXPECT_EQ(fam::plan_upload("file", "", "application/pdf", 10).plan.file_name, "file.pdf");

  auto over = fam::plan_upload("file", "huge.bin", "", fam::media_limit::file_bytes + 1);
  EXPECT_EQ(over.error.code, PB_ERR_INVALID_INPUT);
  EXPECT_NE(over.error.message.find("30 MiB"), std::string::npos) << over.error.message;
  auto empty = fam::plan_upload("file", "e.txt", "", 0);
  EXPECT_EQ(empty.error.code, PB_ERR_INVALID_INPUT);
}

TEST(FeishuMedia, MultipartBodyWithANonAsciiName) {
  auto d = fam::plan_upload("file", "报告 v1.pdf", "", 5);
  const std::string boundary = fam::multipart_boundary("seed");
  EXPECT_EQ(boundary.size(), 40u);
  auto req = fam::upload_request(d.plan, "application/pdf", std::string("%PDF\0", 5), boundary);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/open-apis/im/v1/files");
  EXPECT_EQ(req.content_type, "multipart/form-data; boundary=" + boundary);
  const std::string expected =
      "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file_type\"\r\n\r\npdf\r\n--" +
      boundary + "\r\nContent-Disposition: form-data; name=\"file_name\"\r\n\r\n报告 v1.pdf\r\n--" +
      boundary +
      "\r\nContent-Disposition: form-data; name=\"file\"; "
      "filename=\"%E6%8A%A5%E5%91%8A%20v1.pdf\"\r\nContent-Type: application/pdf\r\n\r\n" +
      std::string("%PDF\0", 5) + "\r\n--" + boundary + "--\r\n";
  EXPECT_EQ(req.body, expected);

  auto img = fam::upload_request(fam::plan_upload("image", "", "image/png", 3).plan, "image/png",
                                 "abc", boundary);
  EXPECT_EQ(img.target, "/open-apis/im/v1/images");
  EXPECT_NE(img.body.find("name=\"image_type\"\r\n\r\nmessage\r\n"), std::string::npos);
  EXPECT_NE(
      img.body.find("name=\"image\"; filename=\"image\"\r\nContent-Type: image/png\r\n\r\nabc"),
      std::string::npos);
  EXPECT_EQ(fam::multipart_filename("a\"b.txt"), "a\\\"b.txt");
}

TEST(FeishuMedia, UploadAnswers) {
  auto img_plan = fam::plan_upload("image", "", "image/png", 3).plan;
  auto ok = fam::parse_upload_response(
      img_plan, 200, R"({"code":0,"msg":"success","data":{"image_key":"img_9"}})");
  ASSERT_TRUE(ok.error.ok()) << ok.error.message;
  EXPECT_EQ(ok.key, "img_9");
  auto file_plan = fam::plan_upload("file", "a.pdf", "", 3).plan;
  auto f = fam::parse_upload_response(file_plan, 200, R"({"code":0,"data":{"file_key":"file_9"}})");
  EXPECT_EQ(f.key, "file_9");
  auto nokey = fam::parse_upload_response(file_plan, 200, R"({"code":0,"data":{}})");
  EXPECT_EQ(nokey.error.code, PB_ERR_RETRYABLE);
  auto limited = fam::parse_upload_response(file_plan, 429, R"({"code":99991400,"msg":"x"})", "2");
  EXPECT_EQ(limited.error.code, PB_ERR_RATE_LIMITED);
  EXPECT_EQ(limited.error.retry_after_ms, 2000);
}

TEST(FeishuMedia, ResourceErrorsAreClassified) {
  auto e404 = fam::classify_api_error(fam::api_op::resource, 404, 0, "", "");
  EXPECT_EQ(e404.code, PB_ERR_NOT_FOUND);
  auto code = fam::classify_api_error(fam::api_op::resource, 400, 234003, "not in msg", "");
  EXPECT_EQ(code.code, PB_ERR_NOT_FOUND);
  auto card = fam::classify_api_error(fam::api_op::resource, 400, 234043, "", "");
  EXPECT_EQ(card.code, PB_ERR_UNSUPPORTED);
}

TEST(FeishuMedia, MediaMessageContent) {
  EXPECT_EQ(fam::media_message("image", "img_1").content, R"({"image_key":"img_1"})");
  auto m = fam::media_message("media", "file_1");
  EXPECT_EQ(m.msg_type, "media");
  EXPECT_EQ(m.content, R"({"file_key":"file_1"})");
}

}  // namespace
