// The feishu plugin .so driven through its C ABI (tests/support/plugin_driver.hpp) against the
// fake Feishu server: media both ways. Inbound image and file messages become attachments with an
// empty text, fetch_attachment streams the exact bytes the fake holds into the host's file (and
// fails INVALID_INPUT past max_bytes, NOT_FOUND for a missing resource); an outbound image and a
// file with a non-ASCII name arrive on the fake with the right bytes, MD5 and name; a file over
// the platform's 30 MiB limit fails INVALID_INPUT naming the limit, before any upload.
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>

#include "fake_feishu.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"
#include "plugin_driver.hpp"

namespace {
using namespace fstest;
namespace fs = std::filesystem;

struct feishu_instance : pbdrv::instance {
  explicit feishu_instance(const fake_feishu& fake)
      : pbdrv::instance(PB_FEISHU_PLUGIN, "fs", config_json(fake, fake.apps[0], "websocket")) {}
};

bool connected(pbdrv::instance& in) {
  return wait_for([&] {
    auto s = in.host.states();
    return !s.empty() && s.back() == PB_STATE_CONNECTED;
  });
}

// A temporary directory for the host's files, removed at the end.
struct temp_dir {
  fs::path path =
      fs::temp_directory_path() / ("pb-feishu-media-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(reinterpret_cast<uintptr_t>(this)));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Bytes that look like a PNG to the fake (its image format check), then a pattern.
std::string png_bytes(size_t n) {
  std::string s("\x89PNG\r\n\x1a\n", 8);
  for (size_t i = 0; s.size() < n; ++i) s.push_back(static_cast<char>((i * 37 + 11) & 0xff));
  return s;
}
std::string pdf_bytes(size_t n) {
  std::string s = "%PDF-1.4\n";
  for (size_t i = 0; s.size() < n; ++i) s.push_back(static_cast<char>((i * 53 + 7) & 0xff));
  return s;
}

struct fetch_outcome {
  int32_t code = -1;
  std::string message, mime;
};

fetch_outcome fetch(pbdrv::instance& in, const pbdrv::inbound_record& m,
                    const pbdrv::attachment_record& a, const std::string& dest,
                    uint64_t max_bytes) {
  pb_fetch_request r{};
  r.struct_size = sizeof r;
  r.conversation_id = pbdrv::view(m.conversation_id);
  r.message_id = pbdrv::view(m.message_id);
  r.kind = pbdrv::view(a.kind);
  r.attachment_id = pbdrv::view(a.id);
  r.url = pbdrv::view(a.url);
  r.dest_path = pbdrv::view(dest);
  r.max_bytes = max_bytes;
  std::promise<fetch_outcome> p;
  EXPECT_NE(in.d->vtable->fetch_attachment, nullptr);
  in.d->vtable->fetch_attachment(
      in.inst, &r,
      [](void* ud, const pb_op_result* res) {
        fetch_outcome o;
        o.code = res->error ? res->error->code : PB_OK;
        if (res->error) o.message = pbdrv::text(res->error->message);
        o.mime = pbdrv::text(res->mime_type);
        static_cast<std::promise<fetch_outcome>*>(ud)->set_value(o);
      },
      &p);
  auto f = p.get_future();
  if (f.wait_for(30s) != std::future_status::ready) return {};
  return f.get();
}

pbdrv::op_outcome send_file(pbdrv::instance& in, const std::string& chat,
                            const std::string& reply_to, const std::string& kind,
                            const std::string& name, const std::string& mime,
                            const std::string& path, const std::string& turn = "t-media") {
  const std::string bytes = read_all(path);
  const std::string md5 = patchbay::common::md5_hex(bytes);
  pb_outbound_attachment a{};
  a.struct_size = sizeof a;
  a.kind = pbdrv::view(kind);
  a.name = pbdrv::view(name);
  a.mime_type = pbdrv::view(mime);
  a.path = pbdrv::view(path);
  a.size = fs::file_size(path);
  a.md5_hex = pbdrv::view(md5);
  pb_outbound_message m{};
  m.struct_size = sizeof m;
  m.conversation_id = pbdrv::view(chat);
  m.reply_to_message_id = pbdrv::view(reply_to);
  m.turn_id = pbdrv::view(turn);
  m.attachment = &a;
  std::promise<pbdrv::op_outcome> p;
  in.d->vtable->send(in.inst, &m, &pbdrv::instance::op_done, &p);
  return pbdrv::instance::wait(p);
}

json::object inject_file(const fake_feishu& fake, const std::string& type, const std::string& bytes,
                         json::object extra = {}) {
  extra["message_type"] = type;
  extra["chat_type"] = "p2p";
  extra["data_base64"] = patchbay::common::base64_encode(bytes);
  return fake.inject(std::move(extra));
}

json::object stored_file(const fake_feishu& fake, const std::string& key) {
  const json::value all = fake.call("GET", "/_fake/files");  // kept: the loop walks inside it
  for (const auto& f : all.as_object().at("files").as_array())
    if (str(f, "key") == key) return f.as_object();
  return {};
}

TEST(FeishuMedia, DeclaresAttachmentCapabilities) {
  const pb_plugin_descriptor* d = pbdrv::load_plugin(PB_FEISHU_PLUGIN);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->capabilities->can_attachments, PB_YES);
  EXPECT_EQ(d->capabilities->max_attachment_size, uint64_t{30} << 20);
}

TEST(FeishuMedia, InboundImageAndFileAreAttachmentsWithTheExactBytes) {
  fake_feishu fake;
  feishu_instance in(fake);
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  ASSERT_TRUE(connected(in)) << in.host.all_logs() << fake.logs();

  const std::string png = png_bytes(200'000);
  const std::string pdf = pdf_bytes(70'000);
  auto img = inject_file(fake, "image", png, json::object{{"content_type", "image/png"}});
  auto doc =
      inject_file(fake, "file", pdf,
                  json::object{{"file_name", "季度报告.pdf"}, {"content_type", "application/pdf"}});
  ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() == 2; })) << in.host.all_logs();

  auto m0 = in.host.inbound_at(0);
  EXPECT_EQ(m0.message_id, str(img, "message_id"));
  EXPECT_EQ(m0.text, "");
  ASSERT_EQ(m0.attachments.size(), 1u);
  EXPECT_EQ(m0.attachments[0].kind, "image");
  EXPECT_EQ(m0.attachments[0].id, "image:" + str(img, "image_key"));
  EXPECT_NE(m0.raw_json.find(str(img, "image_key")), std::string::npos);

  auto m1 = in.host.inbound_at(1);
  EXPECT_EQ(m1.text, "");
  ASSERT_EQ(m1.attachments.size(), 1u);
  EXPECT_EQ(m1.attachments[0].kind, "file");
  EXPECT_EQ(m1.attachments[0].id, "file:" + str(doc, "file_key"));
  EXPECT_EQ(m1.attachments[0].name, "季度报告.pdf");
  EXPECT_EQ(m1.attachments[0].mime_type, "application/pdf");

  temp_dir dir;
  auto r0 = fetch(in, m0, m0.attachments[0], dir.file("a"), 1 << 20);
  ASSERT_EQ(r0.code, PB_OK) << r0.message;
  EXPECT_EQ(r0.mime, "image/png");
  EXPECT_EQ(read_all(dir.file("a")), png);
  auto r1 = fetch(in, m1, m1.attachments[0], dir.file("b"), pdf.size());  // exactly the cap
  ASSERT_EQ(r1.code, PB_OK) << r1.message;
  EXPECT_EQ(r1.mime, "application/pdf");
  EXPECT_EQ(read_all(dir.file("b")), pdf);
  // The download asked for the right resource type.
  auto gets = fake.requests_to("/resources/" + str(doc, "file_key"));
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(str(gets[0], "query"), "type=file");
}

TEST(FeishuMedia, FetchFailsPastTheCapAndForAMissingResource) {
  fake_feishu fake;
  feishu_instance in(fake);
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  ASSERT_TRUE(connected(in)) << in.host.all_logs();
  const std::string pdf = pdf_bytes(50'000);
  inject_file(fake, "file", pdf, json::object{{"file_name", "x.pdf"}});
  ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() == 1; })) << in.host.all_logs();
  auto m = in.host.inbound_at(0);
  ASSERT_EQ(m.attachments.size(), 1u);
  temp_dir dir;

  auto over = fetch(in, m, m.attachments[0], dir.file("over"), pdf.size() - 1);
  EXPECT_EQ(over.code, PB_ERR_INVALID_INPUT) << over.message;
  EXPECT_NE(over.message.find(std::to_string(pdf.size() - 1)), std::string::npos) << over.message;

  fake.fault(json::object{{"kind", "resource_not_found"}});
  auto gone = fetch(in, m, m.attachments[0], dir.file("gone"), 1 << 20);
  EXPECT_EQ(gone.code, PB_ERR_NOT_FOUND) << gone.message;

  pbdrv::attachment_record wrong = m.attachments[0];
  wrong.id = "file:file_v3_not-in-this-message";
  auto missing = fetch(in, m, wrong, dir.file("missing"), 1 << 20);
  EXPECT_EQ(missing.code, PB_ERR_NOT_FOUND) << missing.message;

  wrong.id = "garbage";
  EXPECT_EQ(fetch(in, m, wrong, dir.file("bad"), 1 << 20).code, PB_ERR_INVALID_INPUT);

  // After the failures the same attachment still downloads whole.
  auto ok = fetch(in, m, m.attachments[0], dir.file("ok"), 1 << 20);
  ASSERT_EQ(ok.code, PB_OK) << ok.message;
  EXPECT_EQ(read_all(dir.file("ok")), pdf);
}

TEST(FeishuMedia, OutboundImageAndFileArriveWithTheirBytes) {
  fake_feishu fake;
  feishu_instance in(fake);
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  ASSERT_TRUE(connected(in)) << in.host.all_logs();
  auto ev = fake.inject_text("send me files");
  ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() == 1; }));
  const std::string chat = str(ev, "chat_id");
  const std::string user_msg = str(ev, "message_id");

  temp_dir dir;
  const std::string png = png_bytes(300'000);
  write_all(dir.file("chart.png"), png);
  auto sent_img = send_file(in, chat, user_msg, "image", "chart.png", "image/png",
                            dir.file("chart.png"), "t-img");
  ASSERT_EQ(sent_img.code, PB_OK) << sent_img.message << in.host.all_logs();

  const std::string pdf = pdf_bytes(123'457);
  const std::string name = "报告 2026.pdf";
  write_all(dir.file("r.pdf"), pdf);
  auto sent_pdf =
      send_file(in, chat, {}, "file", name, "application/pdf", dir.file("r.pdf"), "t-pdf");
  ASSERT_EQ(sent_pdf.code, PB_OK) << sent_pdf.message;

  auto msgs = fake.bot_messages({}, chat);
  ASSERT_EQ(msgs.size(), 2u);
  // The image: a reply to the user's message, its key holding exactly our bytes.
  EXPECT_EQ(str(msgs[0], "msg_type"), "image");
  EXPECT_EQ(str(msgs[0], "reply_to"), user_msg);
  EXPECT_EQ(str(msgs[0], "message_id"), sent_img.id);
  auto img_key = json::parse(str(msgs[0], "content")).at("image_key").as_string();
  auto img = stored_file(fake, std::string(img_key));
  EXPECT_EQ(str(img, "md5"), patchbay::common::md5_hex(png));
  EXPECT_EQ(num(img, "size"), static_cast<int64_t>(png.size()));
  auto img_bytes = fake.call("GET", "/_fake/file?key=" + std::string(img_key));
  EXPECT_EQ(patchbay::common::base64_decode(str(img_bytes, "data_base64")).value_or(""), png);
  // The file: sent to the chat, file_type pdf, the UTF-8 name kept, percent-encoded in the part.
  EXPECT_EQ(str(msgs[1], "msg_type"), "file");
  EXPECT_EQ(str(msgs[1], "reply_to"), "");
  auto file_key = json::parse(str(msgs[1], "content")).at("file_key").as_string();
  auto f = stored_file(fake, std::string(file_key));
  EXPECT_EQ(str(f, "md5"), patchbay::common::md5_hex(pdf));
  EXPECT_EQ(str(f, "file_type"), "pdf");
  EXPECT_EQ(str(f, "file_name"), name);
  EXPECT_EQ(str(f, "part_filename"), name);
  auto uploads = fake.requests_to("/open-apis/im/v1/files");
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_NE(json::serialize(uploads[0]).find("%E6%8A%A5%E5%91%8A%202026.pdf"), std::string::npos)
      << "the part's filename is percent-encoded";

  // A retry of the same send (same turn) re-uploads but does not post a second message.
  auto again = send_file(in, chat, {}, "file", name, "application/pdf", dir.file("r.pdf"), "t-pdf");
  ASSERT_EQ(again.code, PB_OK) << again.message;
  EXPECT_EQ(again.id, sent_pdf.id);
  EXPECT_EQ(fake.bot_messages({}, chat).size(), 2u);
}

TEST(FeishuMedia, OversizeFileIsInvalidInputBeforeAnyUpload) {
  fake_feishu fake;
  feishu_instance in(fake);
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  ASSERT_TRUE(connected(in)) << in.host.all_logs();
  auto ev = fake.inject_text("big one please");
  ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() == 1; }));
  temp_dir dir;
  const std::string path = dir.file("big.bin");
  write_all(path, "x");
  fs::resize_file(path, (uint64_t{30} << 20) + 1);  // sparse: nothing is read before the check
  pb_outbound_attachment a{};
  a.struct_size = sizeof a;
  const std::string kind = "file", name = "big.bin";
  a.kind = pbdrv::view(kind);
  a.name = pbdrv::view(name);
  a.path = pbdrv::view(path);
  a.size = fs::file_size(path);
  pb_outbound_message m{};
  m.struct_size = sizeof m;
  const std::string chat = str(ev, "chat_id"), turn = "t-big";
  m.conversation_id = pbdrv::view(chat);
  m.turn_id = pbdrv::view(turn);
  m.attachment = &a;
  std::promise<pbdrv::op_outcome> p;
  in.d->vtable->send(in.inst, &m, &pbdrv::instance::op_done, &p);
  auto r = pbdrv::instance::wait(p);
  EXPECT_EQ(r.code, PB_ERR_INVALID_INPUT) << r.message;
  EXPECT_NE(r.message.find("30 MiB"), std::string::npos) << r.message;
  EXPECT_TRUE(fake.requests_to("/open-apis/im/v1/files").empty());
  EXPECT_TRUE(fake.bot_messages({}, chat).empty());
}

TEST(FeishuMedia, EveryMessageKindReachesTheHost) {
  fake_feishu fake;
  feishu_instance in(fake);
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  ASSERT_TRUE(connected(in)) << in.host.all_logs();
  inject_file(fake, "audio", "OpusHead-ish bytes", json::object{{"file_name", "v.opus"}});
  inject_file(fake, "media", "mp4 bytes", json::object{{"file_name", "clip.mp4"}});
  fake.inject(json::object{{"message_type", "location"},
                           {"chat_type", "p2p"},
                           {"content", R"({"name":"Somewhere","latitude":"1","longitude":"2"})"}});
  ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() == 3; })) << in.host.all_logs();
  EXPECT_EQ(in.host.inbound_at(0).attachments.at(0).kind, "audio");
  EXPECT_EQ(in.host.inbound_at(1).attachments.at(0).kind, "video");
  auto loc = in.host.inbound_at(2);
  EXPECT_EQ(loc.text, "");
  EXPECT_TRUE(loc.attachments.empty());
  EXPECT_NE(loc.raw_json.find("Somewhere"), std::string::npos);
}

}  // namespace
