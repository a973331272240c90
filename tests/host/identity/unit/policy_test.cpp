// Slash-command parsing and the self-heal decision table with its user texts.
#include <gtest/gtest.h>

#include "identity/policy.hpp"

namespace {
using namespace patchbay::identity;

TEST(SlashCommand, RecognisesInitAndUnbind) {
  EXPECT_EQ(parse_command("/init"), command::init);
  EXPECT_EQ(parse_command("  /INIT \n"), command::init);
  EXPECT_EQ(parse_command("/Init@patchbay_bot"), command::init);
  EXPECT_EQ(parse_command("/unbind"), command::unbind);
  EXPECT_EQ(parse_command("\t/UnBind please"), command::unbind);
}

TEST(SlashCommand, EverythingElseIsNone) {
  for (const char* t : {"", "init", "/initialize", "/unbinding", "hello /init", "/ init", "/model",
                        "//init", "/init-now"})
    EXPECT_EQ(parse_command(t), command::none) << t;
}

TEST(SelfHeal, WhichOutcomesClearTheLocalBinding) {
  EXPECT_TRUE(needs_local_revoke(exchange_outcome::invalid_grant));
  EXPECT_TRUE(needs_local_revoke(exchange_outcome::invalid_scope));
  EXPECT_TRUE(needs_local_revoke(exchange_outcome::record_broken));
  EXPECT_FALSE(needs_local_revoke(exchange_outcome::token));
  EXPECT_FALSE(needs_local_revoke(exchange_outcome::not_bound));
  EXPECT_FALSE(needs_local_revoke(exchange_outcome::unavailable));
  EXPECT_EQ(max_local_revoke_attempts, 2);
}

TEST(SelfHeal, TextsSayClearedOnlyWhenRemoved) {
  for (auto o : {exchange_outcome::invalid_grant, exchange_outcome::invalid_scope,
                 exchange_outcome::record_broken}) {
    for (bool direct : {true, false}) {
      const std::string ok = texts::healed(o, revoke_result::removed, direct);
      EXPECT_NE(ok.find("cleared"), std::string::npos) << ok;
      EXPECT_NE(ok.find("/init will work now"), std::string::npos) << ok;
      EXPECT_EQ(ok.find("/unbind"), std::string::npos) << ok;
      EXPECT_EQ(ok.find("direct message") != std::string::npos, !direct) << ok;
      const std::string bad = texts::healed(o, revoke_result::failed, direct);
      EXPECT_NE(bad.find("clean-up failed"), std::string::npos) << bad;
      EXPECT_NE(bad.find("/unbind"), std::string::npos) << bad;
      EXPECT_EQ(bad.find("will work now"), std::string::npos) << bad;
    }
  }
  EXPECT_NE(texts::healed(exchange_outcome::invalid_scope, revoke_result::removed, true)
                .find("permission"),
            std::string::npos);
  EXPECT_NE(
      texts::healed(exchange_outcome::invalid_grant, revoke_result::removed, true).find("revoked"),
      std::string::npos);
}

TEST(Texts, CommandAnswers) {
  EXPECT_NE(texts::init_in_group().find("direct message"), std::string::npos);
  EXPECT_NE(texts::init_already_bound().find("/unbind first"), std::string::npos);
  EXPECT_NE(texts::init_link("https://x/y").find("https://x/y"), std::string::npos);
  EXPECT_NE(texts::unbind_done().find("/init"), std::string::npos);
  EXPECT_NE(texts::unbind_not_bound().find("not bound"), std::string::npos);
  EXPECT_NE(texts::unbind_failed().find("try /unbind again"), std::string::npos);
  EXPECT_NE(texts::not_bound(true).find("/init"), std::string::npos);
  EXPECT_NE(texts::not_bound(false).find("direct message"), std::string::npos);
}

}  // namespace
