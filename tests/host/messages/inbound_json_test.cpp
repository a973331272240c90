// The stored (JSON) form of inbound messages round-trips every field, binary reply context
// included.
#include <gtest/gtest.h>

#include "messages/messages.hpp"
#include "patchbay/pb_messages.h"

namespace {
using namespace patchbay::messages;

TEST(InboundJson, RoundTrip) {
  inbound_message m;
  m.channel_id = "c";
  m.event_id = "e";
  m.conversation_id = "conv";
  m.conversation_kind = PB_CONVERSATION_GROUP;
  m.text = "héllo \"quoted\"\n";
  m.reply_context = std::string("\0\xff\x01", 3);
  m.mentions.push_back({"u1", "Ann", PB_YES});
  m.attachments.push_back({"image", "k1", "a.png", "image/png", "", 12345});
  pb_capabilities caps{};
  caps.struct_size = sizeof caps;
  caps.can_edit = PB_NO;
  caps.max_message_size = 4096;
  m.capabilities = caps;
  std::string err;
  auto back = inbound_from_json(to_json(m), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(back->text, m.text);
  EXPECT_EQ(back->reply_context, m.reply_context);
  EXPECT_EQ(back->mentions[0].display_name, "Ann");
  EXPECT_EQ(back->attachments[0].size, 12345u);
  ASSERT_TRUE(back->capabilities);
  EXPECT_EQ(back->capabilities->can_edit, PB_NO);
  EXPECT_FALSE(inbound_from_json("{not json", &err));
}

}  // namespace
