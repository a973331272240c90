// The front stage that answers a message without content (commands/unreadable.hpp): empty,
// blank (also Unicode spaces) and mention-only messages get the host's answer; text, another
// user's mention, or an attachment go on to the next stage.
#include <gtest/gtest.h>

#include "commands/unreadable.hpp"
#include "patchbay/pb_messages.h"

namespace {
using namespace patchbay;

std::optional<turns::front_verdict> verdict(const messages::inbound_message& m) {
  const std::string channel = "fs", platform = "feishu";
  return commands::unreadable_stage()(turns::front_input{channel, platform, m});
}

messages::inbound_message msg(std::string text) {
  messages::inbound_message m;
  m.text = std::move(text);
  return m;
}

TEST(UnreadableStage, AnswersMessagesWithoutContent) {
  auto with_bot = [](std::string text) {
    auto m = msg(std::move(text));
    m.mentions.push_back({"ou_bot", "Patchbay Bot", 1});
    return m;
  };
  for (const auto& m : {msg(""), msg("  \n\t"), msg("\xC2\xA0\xE3\x80\x80\xE2\x80\x8B"),
                        with_bot("@_user_1"), with_bot("@Patchbay Bot  "), with_bot("@ou_bot")}) {
    auto v = verdict(m);
    ASSERT_TRUE(v) << "text: " << m.text;
    EXPECT_EQ(v->what, turns::front_verdict::kind::host_answer);
    EXPECT_EQ(v->text, "I can't read this kind of message yet.");
  }
}

TEST(UnreadableStage, LetsContentThrough) {
  EXPECT_FALSE(verdict(msg("hi")));
  EXPECT_FALSE(verdict(msg("@_user_1")));  // a placeholder without a mention of this bot
  auto other = msg("@bob");
  other.mentions.push_back({"ou_bob", "bob", 0});
  EXPECT_FALSE(verdict(other));
  auto image = msg("");
  image.attachments.push_back({"image", "img_1", "", "image/png", "", 0});
  EXPECT_FALSE(verdict(image));  // an attachment is content
}

}  // namespace
