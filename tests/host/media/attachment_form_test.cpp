// The attachment form of thread_response and of POST /v1/messages (docs/architecture.md §4), the
// stored JSON form of an attachment op, and the capability narrowing that decides whether a
// channel takes files.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/proactive_send.hpp"
#include "messages/messages.hpp"
#include "render/capabilities.hpp"
#include "turns/thread_response.hpp"

namespace {
using namespace patchbay;

TEST(AttachmentForm, ParsesEachSourceWithItsFields) {
  auto r = turns::parse_thread_response(
      R"({"turn":"t1","attachment":{"kind":"image","name":"chart.png","mime_type":"image/png",)"
      R"("url":"https://example.com/c.png","caption":"Sales","future":1}})");
  ASSERT_TRUE(r.value) << r.error;
  ASSERT_TRUE(r.value->attachment);
  const auto& a = *r.value->attachment;
  EXPECT_EQ(a.kind, "image");
  EXPECT_EQ(a.name, "chart.png");
  EXPECT_EQ(a.mime_type, "image/png");
  EXPECT_EQ(a.url, "https://example.com/c.png");
  EXPECT_EQ(a.caption, "Sales");
  EXPECT_FALSE(r.value->terminal());

  auto p = turns::parse_thread_response(
      R"({"turn":"t1","attachment":{"path":"/srv/out/r.pdf"},"done":true})");
  ASSERT_TRUE(p.value) << p.error;
  EXPECT_EQ(p.value->attachment->kind, "file");  // the default kind
  EXPECT_EQ(p.value->attachment->path, "/srv/out/r.pdf");
  EXPECT_TRUE(p.value->done);

  auto b = turns::parse_thread_response(
      R"({"turn":"t1","attachment":{"kind":"audio","data_base64":"aGk="}})");
  ASSERT_TRUE(b.value) << b.error;
  EXPECT_EQ(b.value->attachment->data_base64, "aGk=");
}

TEST(AttachmentForm, RefusesAmbiguousOrMistypedAttachments) {
  auto err = [](const std::string& attachment) {
    auto r = turns::parse_thread_response(R"({"turn":"t1","attachment":)" + attachment + "}");
    EXPECT_FALSE(r.value) << attachment;
    return r.error;
  };
  EXPECT_EQ(err(R"({"kind":"image"})"), "`attachment` needs exactly one of url, path, data_base64");
  EXPECT_EQ(err(R"({"url":"https://a/b","path":"/x"})"),
            "`attachment` needs exactly one of url, path, data_base64");
  EXPECT_EQ(err(R"({"kind":"sticker","url":"https://a/b"})"),
            "`attachment`.kind must be one of image, file, audio, video");
  EXPECT_EQ(err(R"({"url":5})"), "`attachment`.url must be a string");
  EXPECT_EQ(err(R"("https://a/b")"), "`attachment` must be an object");
}

TEST(AttachmentForm, RoundTripsThroughItsJsonForm) {
  turns::thread_response t;
  t.turn = "t9";
  t.attachment =
      messages::attachment_spec{"video", "clip.mp4", "video/mp4", "", "/srv/c.mp4", "", "a clip"};
  t.done = true;
  auto back = turns::parse_thread_response(turns::to_json(t));
  ASSERT_TRUE(back.value) << back.error;
  ASSERT_TRUE(back.value->attachment);
  EXPECT_EQ(back.value->attachment->kind, "video");
  EXPECT_EQ(back.value->attachment->name, "clip.mp4");
  EXPECT_EQ(back.value->attachment->path, "/srv/c.mp4");
  EXPECT_EQ(back.value->attachment->caption, "a clip");
  EXPECT_TRUE(back.value->done);
}

TEST(AttachmentForm, ProactiveSendTakesAttachmentsWithOrWithoutText) {
  std::string err;
  auto req = api::parse_proactive_request(
      R"({"channel":"c","conversation":"x","attachments":[{"kind":"file","data_base64":"aGk=",)"
      R"("name":"a.txt"},{"url":"https://e.com/b.png","kind":"image"}]})",
      err);
  ASSERT_TRUE(req) << err;
  ASSERT_EQ(req->attachments.size(), 2u);
  EXPECT_EQ(req->attachments[0].name, "a.txt");
  EXPECT_EQ(req->attachments[1].kind, "image");
  EXPECT_TRUE(req->text.empty());

  EXPECT_FALSE(api::parse_proactive_request(
      R"({"channel":"c","conversation":"x","attachments":[{"kind":"file"}]})", err));
  EXPECT_EQ(err, "attachments[0] needs exactly one of url, path, data_base64");
  EXPECT_FALSE(api::parse_proactive_request(R"({"channel":"c","conversation":"x"})", err));
  EXPECT_NE(err.find("`text` is required"), std::string::npos);
}

TEST(AttachmentForm, StoredOpKeepsTheFileAndATextSendStaysPlain) {
  messages::outbound_op op;
  op.send.conversation_id = "chat";
  op.send.turn_id = "t1";
  op.send.attachment = messages::outbound_attachment{"image",
                                                     "a.png",
                                                     "image/png",
                                                     "/var/lib/x/media-out/1.png",
                                                     "0cc175b9c0f1b6a831c399e269772661",
                                                     1};
  std::string err;
  auto back = messages::outbound_op_from_json(messages::to_json(op), &err);
  ASSERT_TRUE(back) << err;
  ASSERT_TRUE(back->send.attachment);
  EXPECT_EQ(back->send.attachment->path, "/var/lib/x/media-out/1.png");
  EXPECT_EQ(back->send.attachment->md5_hex, "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(back->send.attachment->size, 1u);
  EXPECT_EQ(back->send.attachment->mime_type, "image/png");

  messages::outbound_op text;
  text.send.text = "hi";
  auto plain = messages::outbound_op_from_json(messages::to_json(text), &err);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->send.attachment);
}

TEST(AttachmentForm, NarrowingDecidesWhetherAChannelTakesFiles) {
  pb_capabilities old_plugin{};  // built against minor 2: the fields are zero-filled
  EXPECT_FALSE(render::narrow(old_plugin, std::nullopt).can_attachments);
  pb_capabilities p{};
  p.can_attachments = PB_YES;
  p.max_attachment_size = 20u << 20;
  auto c = render::narrow(p, std::nullopt);
  EXPECT_TRUE(c.can_attachments);
  EXPECT_EQ(c.max_attachment_size, 20u << 20);
  pb_capabilities m{};
  m.can_attachments = PB_NO;
  m.max_attachment_size = 1u << 20;
  auto n = render::narrow(p, m);
  EXPECT_FALSE(n.can_attachments);
  EXPECT_EQ(n.max_attachment_size, 1u << 20);
}

}  // namespace
