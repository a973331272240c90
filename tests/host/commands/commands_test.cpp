// The built-in chat commands without sockets: the parser (prefix, names, case, "@bot" suffix,
// leading bot mentions and platform placeholders, unknown commands), the authorisation table,
// and the dispatcher's verdicts against a recording stand-in for the turn service.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "commands/authorize.hpp"
#include "commands/dispatcher.hpp"
#include "commands/parser.hpp"
#include "patchbay/pb_messages.h"

namespace {
using namespace patchbay;
using commands::command;
using turns::front_verdict;

messages::inbound_message msg(std::string text, int32_t kind = PB_CONVERSATION_DIRECT) {
  messages::inbound_message m;
  m.channel_id = "fs";
  m.conversation_id = "oc_1";
  m.conversation_kind = kind;
  m.sender_id = "ou_alice";
  m.text = std::move(text);
  return m;
}

messages::inbound_message group_msg(std::string text) {
  auto m = msg(std::move(text), PB_CONVERSATION_GROUP);
  m.mentions.push_back({"ou_bot", "Patchbay Bot", PB_YES});
  m.mentions.push_back({"ou_bob", "bob", PB_NO});  // what the plugins report for anyone else
  return m;
}

std::optional<command> what(const config::commands_config& cfg, const messages::inbound_message& m,
                            bool identity = false) {
  auto p = commands::parse(cfg, identity, m);
  return p ? std::optional<command>(p->what) : std::nullopt;
}

TEST(CommandsParser, DefaultNamesPrefixCaseSuffixAndArguments) {
  const config::commands_config cfg;
  EXPECT_EQ(what(cfg, msg("/help")), command::help);
  EXPECT_EQ(what(cfg, msg("  /NEW  ")), command::new_thread);
  EXPECT_EQ(what(cfg, msg("/stop@patchbay_bot")), command::stop);
  EXPECT_EQ(what(cfg, msg("/whoami please")), command::whoami);
  EXPECT_EQ(commands::parse(cfg, false, msg("/whoami  please now "))->args, "please now");
  // Not commands: unknown words, text first, no prefix, a bare prefix, a longer word.
  EXPECT_EQ(what(cfg, msg("/foo")), std::nullopt);
  EXPECT_EQ(what(cfg, msg("please /stop")), std::nullopt);
  EXPECT_EQ(what(cfg, msg("stop")), std::nullopt);
  EXPECT_EQ(what(cfg, msg("/")), std::nullopt);
  EXPECT_EQ(what(cfg, msg("/stopping")), std::nullopt);
  EXPECT_EQ(what(cfg, msg("")), std::nullopt);
}

TEST(CommandsParser, ConfiguredPrefixAndNamesReplaceTheDefaults) {
  config::commands_config cfg;
  cfg.prefix = "!!";
  cfg.stop = "halt";
  EXPECT_EQ(what(cfg, msg("!!halt")), command::stop);
  EXPECT_EQ(what(cfg, msg("!!stop")), std::nullopt);
  EXPECT_EQ(what(cfg, msg("/halt")), std::nullopt);
  EXPECT_EQ(what(cfg, msg("!!help")), command::help);
}

TEST(CommandsParser, IdentityCommandsOnlyWithIdentityAndDisabledLeavesOnlyThem) {
  config::commands_config cfg;
  EXPECT_EQ(what(cfg, msg("/init")), std::nullopt);
  EXPECT_EQ(what(cfg, msg("/init"), true), command::init);
  EXPECT_EQ(what(cfg, msg("/Unbind"), true), command::unbind);
  cfg.enabled = false;
  EXPECT_EQ(what(cfg, msg("/help"), true), std::nullopt);
  EXPECT_EQ(what(cfg, msg("/stop"), true), std::nullopt);
  EXPECT_EQ(what(cfg, msg("/init"), true), command::init);
}

TEST(CommandsParser, LeadingMentionsOfThisBotAreStrippedInGroups) {
  const config::commands_config cfg;
  EXPECT_EQ(what(cfg, group_msg("@Patchbay Bot /stop")), command::stop);
  EXPECT_EQ(what(cfg, group_msg("@ou_bot /whoami")), command::whoami);
  EXPECT_EQ(what(cfg, group_msg("@_user_1 /help")), command::help);  // Feishu's placeholder
  EXPECT_EQ(what(cfg, group_msg("@_user_1 @Patchbay Bot  /new")), command::new_thread);
  // Someone else's mention first: not a command for this bot.
  EXPECT_EQ(what(cfg, group_msg("@bob /stop")), std::nullopt);
  // A placeholder only counts when the message mentions this bot (another user or bot is PB_NO,
  // or unspecified from a plugin that cannot tell).
  for (int32_t not_self : {static_cast<int32_t>(PB_NO), static_cast<int32_t>(PB_UNSPECIFIED)}) {
    auto m = msg("@_user_1 /stop", PB_CONVERSATION_GROUP);
    m.mentions.push_back({"ou_bob", "bob", not_self});
    EXPECT_EQ(what(cfg, m), std::nullopt) << not_self;
    m.text = "@bob /stop";
    EXPECT_EQ(what(cfg, m), std::nullopt) << not_self;
  }
  // A name must be a whole word.
  EXPECT_EQ(
      std::string(commands::strip_bot_mentions("@Patchbay Botty /stop", group_msg("").mentions)),
      "@Patchbay Botty /stop");
}

TEST(CommandsAuthorisation, OnlyTheAskerOrAnAdminMayStop) {
  config::commands_config cfg;
  cfg.admins = {"ou_admin"};
  struct row {
    const char *asker, *turn_sender;
    bool allowed;
  };
  for (const row& r : std::vector<row>{{"ou_alice", "ou_alice", true},
                                       {"ou_bob", "ou_alice", false},
                                       {"ou_admin", "ou_alice", true},
                                       {"ou_admin", "ou_admin", true},
                                       {"", "", false},
                                       {"ou_bob", "", false}})
    EXPECT_EQ(commands::may_stop(cfg, r.asker, r.turn_sender), r.allowed)
        << r.asker << " stopping " << r.turn_sender;
  EXPECT_TRUE(commands::is_admin(cfg, "ou_admin"));
  EXPECT_FALSE(commands::is_admin(cfg, "ou_alice"));
  EXPECT_FALSE(commands::is_admin(cfg, ""));
}

// The turn service as the dispatcher sees it: running turns by sender, new threads recorded.
struct recording_host final : commands::host_ops {
  std::vector<std::string> running_senders;
  std::vector<std::string> stopped, new_threads;
  commands::stop_report stop_running(
      const messages::inbound_message&,
      const std::function<bool(const std::string&)>& may_stop) override {
    commands::stop_report r;
    for (const auto& s : running_senders) {
      if (may_stop(s)) {
        stopped.push_back(s);
        ++r.stopped;
      } else {
        ++r.refused;
      }
    }
    return r;
  }
  void start_new_thread(const messages::inbound_message& m) override {
    new_threads.push_back(m.conversation_id);
  }
};

struct CommandsDispatch : ::testing::Test {
  config::commands_config cfg;
  recording_host host;
  std::string channel = "fs", platform = "feishu";
  std::optional<front_verdict> run(const messages::inbound_message& m,
                                   std::string_view identity_agent = {}) {
    return commands::dispatch(commands::request{channel, platform, m, cfg, identity_agent}, host);
  }
};

TEST_F(CommandsDispatch, HelpAndWhoamiAreHostAnswers) {
  cfg.admins = {"ou_alice"};
  auto help = run(msg("/help"));
  ASSERT_TRUE(help);
  EXPECT_EQ(help->what, front_verdict::kind::host_answer);
  EXPECT_NE(help->text.find("/stop"), std::string::npos);
  EXPECT_EQ(help->text.find("/init"), std::string::npos);  // no identity on this channel
  auto who = run(group_msg("@Patchbay Bot /whoami"));
  ASSERT_TRUE(who);
  EXPECT_EQ(who->what, front_verdict::kind::host_answer);
  for (const char* part : {"Channel: fs (platform feishu)", "Conversation: oc_1 (group)",
                           "Sender: ou_alice", "Admin: yes"})
    EXPECT_NE(who->text.find(part), std::string::npos) << part << "\n" << who->text;
  EXPECT_TRUE(host.stopped.empty());
  EXPECT_TRUE(host.new_threads.empty());
}

TEST_F(CommandsDispatch, StopAnswersByWhatItCouldStop) {
  EXPECT_EQ(run(msg("/stop"))->text, commands::texts::nothing_to_stop());
  host.running_senders = {"ou_bob"};
  EXPECT_EQ(run(msg("/stop"))->text, commands::texts::stop_not_allowed());
  EXPECT_TRUE(host.stopped.empty());
  host.running_senders = {"ou_alice"};
  auto v = run(msg("/stop"));
  EXPECT_EQ(v->what, front_verdict::kind::host_answer);
  EXPECT_EQ(v->text, commands::texts::stop_done());
  EXPECT_EQ(host.stopped, std::vector<std::string>{"ou_alice"});
  // An admin stops someone else's turn.
  cfg.admins = {"ou_alice"};
  host.running_senders = {"ou_bob"};
  EXPECT_EQ(run(msg("/stop"))->text, commands::texts::stop_done());
}

TEST_F(CommandsDispatch, NewStartsAThreadAndIdentityCommandsGoToTheirAgent) {
  auto v = run(msg("/new"));
  EXPECT_EQ(v->text, commands::texts::new_thread());
  EXPECT_EQ(host.new_threads, std::vector<std::string>{"oc_1"});
  EXPECT_FALSE(run(msg("/init")));  // no identity: text for the agent
  auto init = run(msg("/init"), "idagent");
  ASSERT_TRUE(init);
  EXPECT_EQ(init->what, front_verdict::kind::agent);
  EXPECT_EQ(init->agent, "idagent");
  EXPECT_EQ(init->text, "init");
  EXPECT_EQ(run(group_msg("@_user_1 /unbind"), "idagent")->text, "unbind");
  EXPECT_FALSE(run(msg("/frobnicate")));
  EXPECT_FALSE(run(msg("hello")));
}

}  // namespace
