// fake_feishu's media endpoints without sockets: the multipart reader, the upload checks (fields,
// types, sizes, empty files, image formats), the media message rules (known key of the right
// kind; audio = opus, media = mp4), the resource download of a user's staged file, its type check
// and the not-found fault.
#include "harness.hpp"

#include "media_store.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

namespace {
using namespace fakes_feishu_test;

const std::string boundary = "XyZbOuNdArY";

std::string form(const std::vector<std::pair<std::string, std::string>>& fields,
                 const std::string& file_field, const std::string& filename,
                 const std::string& data) {
  std::string b;
  for (const auto& [k, v] : fields)
    b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v +
         "\r\n";
  if (!file_field.empty())
    b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + file_field +
         "\"; filename=\"" + filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
         data + "\r\n";
  return b + "--" + boundary + "--\r\n";
}

struct media_harness : harness {
  std::string tok = token();
  kit::http_headers headers() {
    auto h = auth(tok);
    h.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
    return h;
  }
  json::object post(const std::string& path, const std::string& body, unsigned status) {
    auto o = call("POST", path, body, headers());
    EXPECT_EQ(o.response.status, status) << o.response.body;
    return obj(o.response.body);
  }
};

const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "pixels";

TEST(FakeFeishuMedia, MultipartReader) {
  std::vector<feishu::form_part> parts;
  ASSERT_EQ(feishu::parse_multipart("multipart/form-data; boundary=\"" + boundary + "\"",
                                    form({{"a", "1"}}, "f", "%E6%8A%A5.pdf", "x\r\ny"), parts),
            "");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "a");
  EXPECT_EQ(parts[0].data, "1");
  EXPECT_TRUE(parts[1].has_filename);
  EXPECT_EQ(parts[1].data, "x\r\ny");
  EXPECT_EQ(feishu::percent_decode(parts[1].filename), "报.pdf");
  parts.clear();
  EXPECT_NE(feishu::parse_multipart("application/json", "{}", parts), "");
  EXPECT_NE(feishu::parse_multipart("multipart/form-data; boundary=" + boundary,
                                    "--" + boundary +
                                        "\r\nContent-Disposition: form-data; "
                                        "name=\"a\"\r\n\r\nunterminated",
                                    parts),
            "");
}

TEST(FakeFeishuMedia, UploadChecks) {
  media_harness h;
  auto img =
      h.post("/open-apis/im/v1/images", form({{"image_type", "message"}}, "image", "a", png), 200);
  EXPECT_EQ(img.at("code").as_int64(), 0);
  EXPECT_EQ(std::string(img.at("data").at("image_key").as_string()).rfind("img_v3_", 0), 0u);
  EXPECT_EQ(
      h.post("/open-apis/im/v1/images", form({{"image_type", "cover"}}, "image", "a", png), 400)
          .at("code")
          .as_int64(),
      234001);
  EXPECT_EQ(h.post("/open-apis/im/v1/images",
                   form({{"image_type", "message"}}, "image", "a", "not an image"), 400)
                .at("code")
                .as_int64(),
            234011);
  EXPECT_EQ(h.post("/open-apis/im/v1/images",
                   form({{"image_type", "message"}}, "image", "a",
                        png + std::string(std::size_t{10} << 20, 'x')),
                   400)
                .at("code")
                .as_int64(),
            234006);
  auto f = h.post("/open-apis/im/v1/files",
                  form({{"file_type", "pdf"}, {"file_name", "报告.pdf"}}, "file",
                       "%E6%8A%A5%E5%91%8A.pdf", "%PDF"),
                  200);
  const std::string key(f.at("data").at("file_key").as_string());
  for (const auto& bad : {form({{"file_type", "docx"}, {"file_name", "a"}}, "file", "a", "x"),
                          form({{"file_type", "pdf"}}, "file", "a", "x"),
                          form({{"file_type", "pdf"}, {"file_name", "a"}}, "file", "a", ""),
                          form({{"file_type", "pdf"}, {"file_name", "a"}}, "", "", "")})
    EXPECT_EQ(h.post("/open-apis/im/v1/files", bad, 400).at("code").as_int64(), 234001);
  EXPECT_EQ(h.post("/open-apis/im/v1/files",
                   form({{"file_type", "stream"}, {"file_name", "big"}}, "file", "big",
                        std::string((std::size_t{30} << 20) + 1, 'x')),
                   400)
                .at("code")
                .as_int64(),
            234006);
  auto files = h.control("GET", "/_fake/files").at("files").as_array();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].at("file_name").as_string(), "报告.pdf");
  EXPECT_EQ(files[1].at("part_filename").as_string(), "报告.pdf");
  EXPECT_EQ(files[1].at("md5").as_string(), patchbay::common::md5_hex("%PDF"));
  EXPECT_EQ(files[1].at("size").to_number<int64_t>(), 4);
  // The request log keeps the parts' headers, not the bytes.
  auto reqs = h.control("GET", "/_fake/requests").at("requests").as_array();
  bool summarized = false;
  for (const auto& r : reqs)
    if (r.at("path").as_string() == "/open-apis/im/v1/files" && r.at("body").is_string() &&
        std::string(r.at("body").as_string()).find("<4 bytes>") != std::string::npos)
      summarized = true;
  EXPECT_TRUE(summarized);

  // Media messages name a key of this app, of the right kind.
  auto chat = h.control("POST", "/_fake/inject", json::object{{"text", "hi"}});
  auto send = [&](const std::string& type, const json::object& content) {
    auto o = h.call("POST", "/open-apis/im/v1/messages?receive_id_type=chat_id",
                    json::serialize(json::object{{"receive_id", chat.at("chat_id")},
                                                 {"msg_type", type},
                                                 {"content", json::serialize(content)}}),
                    h.auth(h.tok));
    return obj(o.response.body).at("code").as_int64();
  };
  EXPECT_EQ(send("file", {{"file_key", key}}), 0);
  EXPECT_EQ(send("image", {{"image_key", img.at("data").at("image_key")}}), 0);
  EXPECT_EQ(send("image", {{"image_key", "img_unknown"}}), 230001);
  EXPECT_EQ(send("image", {{"image_key", key}}), 230055);  // a file key
  EXPECT_EQ(send("audio", {{"file_key", key}}), 230055);   // not an opus upload
  EXPECT_EQ(send("media", {{"file_key", key}}), 230055);   // not an mp4 upload
}

TEST(FakeFeishuMedia, ResourceOfAUsersFile) {
  media_harness h;
  auto inj = h.control("POST", "/_fake/inject",
                       json::object{{"message_type", "file"},
                                    {"file_name", "x.bin"},
                                    {"data_base64", patchbay::common::base64_encode("BYTES")}});
  const std::string mid(inj.at("message_id").as_string());
  const std::string key(inj.at("file_key").as_string());
  const std::string path = "/open-apis/im/v1/messages/" + mid + "/resources/" + key;
  auto ok = h.call("GET", path + "?type=file", {}, h.auth(h.tok));
  EXPECT_EQ(ok.response.status, 200u);
  EXPECT_EQ(ok.response.body, "BYTES");
  EXPECT_EQ(h.call("GET", path + "?type=image", {}, h.auth(h.tok)).response.status, 400u);
  EXPECT_EQ(h.call("GET", path + "x?type=file", {}, h.auth(h.tok)).response.status, 400u);
  h.control("POST", "/_fake/fault", json::object{{"kind", "resource_not_found"}});
  auto gone = h.call("GET", path + "?type=file", {}, h.auth(h.tok));
  EXPECT_EQ(gone.response.status, 404u);
  EXPECT_EQ(obj(gone.response.body).at("code").as_int64(), 234003);
  EXPECT_EQ(h.call("GET", path + "?type=file", {}, h.auth(h.tok)).response.status, 200u);
}

}  // namespace
