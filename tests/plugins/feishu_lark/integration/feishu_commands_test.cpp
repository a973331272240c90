// The built-in chat commands in a real `patchbay run` with the real feishu plugin against the
// fake Feishu server: each command in a DM and in a group (with the @mention) gets exactly one
// visible answer from the host and never reaches the agent; /stop mid-stream ends the running
// turn with one terminal (the streamed text stays, ended by the stop note) and the agent is told
// (the echo agent's stream stops; a process agent receives its cancel line); only the asker or
// an admin may stop a turn.
#include <filesystem>
#include <fstream>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;

const std::string stop_note =
    "\xE2\x9A\xA0\xEF\xB8\x8F Stopped.";  // the renderer's "⚠️ " + text

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The one reply to `message_id` once its text satisfies `done` ("" when it never did).
template <class Pred>
std::string reply_when(const fake_feishu& fake, const std::string& message_id, Pred done) {
  std::string text;
  wait_for([&] {
    auto r = fake.bot_messages(message_id);
    if (r.empty() || !done(str(r[0], "text"))) return false;
    text = str(r[0], "text");
    return true;
  });
  return text;
}

std::string reply_text(const fake_feishu& fake, const std::string& message_id) {
  return reply_when(fake, message_id, [](const std::string& t) { return !t.empty(); });
}

TEST(FeishuCommands, EachCommandInADmAndInAGroupWithTheMentionIsAnsweredOnce) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(1, 0));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  for (const bool group : {false, true}) {
    json::object where;
    if (group) where = json::object{{"chat_type", "group"}, {"mention_bot", true}};
    const std::string kind = group ? "group" : "direct";
    std::vector<std::string> asked;
    auto ask = [&](const std::string& text) {
      auto in = fake.inject_text(text, where);
      asked.push_back(str(in, "message_id"));
      return in;
    };
    auto help = ask("/help");
    EXPECT_NE(reply_text(fake, str(help, "message_id")).find("/whoami"), std::string::npos)
        << kind << h.logs();
    auto who = ask("/whoami");
    const std::string who_text = reply_text(fake, str(who, "message_id"));
    EXPECT_NE(who_text.find("Channel: fs (platform Feishu)"), std::string::npos) << who_text;
    EXPECT_NE(who_text.find("Conversation: " + str(who, "chat_id") + " (" + kind + ")"),
              std::string::npos)
        << who_text;
    EXPECT_NE(who_text.find("Sender: ou_"), std::string::npos) << who_text;
    EXPECT_NE(who_text.find("Admin: no"), std::string::npos) << who_text;
    EXPECT_EQ(reply_text(fake, str(ask("/new"), "message_id")), "Started a new conversation.");
    EXPECT_EQ(reply_text(fake, str(ask("/stop"), "message_id")), "Nothing to stop.");
    // An unknown command is normal text: the agent (echo) answers it.
    EXPECT_EQ(reply_text(fake, str(ask("/frobnicate now"), "message_id")), "/frobnicate now");
    std::this_thread::sleep_for(500ms);
    for (const auto& mid : asked) EXPECT_EQ(fake.bot_messages(mid).size(), 1u) << kind << mid;
  }
  // No command reached the agent: echo would have answered with the command's own text.
  for (const auto& m : fake.messages()) {
    const std::string t = str(m, "text");
    for (const char* cmd : {"/help", "/whoami", "/new", "/stop"}) EXPECT_NE(t, cmd);
  }
}

// Groups with the default `require_mention: true`: only a message that @mentions THIS bot is
// answered — a command or plain text without a mention, with only another bot's mention, or with
// @all (unless `mention_all: true`) gets nothing, and nothing of it reaches the agent. The old
// event schema (a mention flag, no mention list) counts too.
TEST(FeishuCommands, InAGroupOnlyAMentionOfThisBotIsAnsweredAndAtAllOnlyWhenConfigured) {
  fake_feishu fake({"--apps", "2"});
  auto channel = [&](const std::string& id, const app& a, bool mention_all) {
    return "  - id: " + id + "\n    plugin: \"" PB_FEISHU_PLUGIN "\"\n    agent: echo\n" +
           "    access: {dm: open, groups: {allow: [\"*\"], require_mention: true, mention_all: " +
           (mention_all ? "true" : "false") + "}}\n" PB_NO_LIMITS "    config:\n" +
           config_yaml(fake, a, "websocket");
  };
  host_fixture h(channel("fs", fake.apps[0], false) + channel("fs2", fake.apps[1], true),
                 echo_agent(1, 0));
  ASSERT_TRUE(connected(h, "fs") && connected(h, "fs2")) << h.logs() << fake.logs();
  const std::string chat = "oc_group_mentions";
  auto ask = [&](const app& a, const std::string& text, json::object how) {
    how["app_id"] = a.app_id;
    how["chat_id"] = chat;
    how["chat_type"] = "group";
    return str(fake.inject_text(text, std::move(how)), "message_id");
  };
  std::vector<std::string> ignored;
  for (const char* text : {"/whoami", "hello there"}) {
    ignored.push_back(ask(fake.apps[0], text, {}));
    ignored.push_back(ask(fake.apps[0], text, {{"mention_other", true}}));
    ignored.push_back(ask(fake.apps[0], text, {{"mention_all", true}}));
  }
  // This bot's mention is answered (a command too), also after another bot's mention (then the
  // text is not a command: it starts with someone else's mention) and in the old schema.
  const auto who = ask(fake.apps[0], "/whoami", {{"mention_bot", true}});
  const std::string who_text = reply_text(fake, who);
  EXPECT_NE(who_text.find("Channel: fs "), std::string::npos) << who_text << h.logs();
  const auto both = ask(fake.apps[0], "hello", {{"mention_other", true}, {"mention_bot", true}});
  EXPECT_EQ(reply_text(fake, both), "@Other Bot hello") << h.logs();
  const auto old = ask(fake.apps[0], "old schema", {{"mention_bot", true}, {"schema", "1.0"}});
  EXPECT_EQ(reply_text(fake, old), "old schema") << h.logs();
  // With mention_all: true, @all addresses the bot.
  const auto all = ask(fake.apps[1], "to everyone", {{"mention_all", true}});
  EXPECT_NE(reply_text(fake, all).find("to everyone"), std::string::npos) << h.logs();
  std::this_thread::sleep_for(500ms);
  for (const auto& mid : ignored) EXPECT_TRUE(fake.bot_messages(mid).empty()) << mid;
  for (const auto& mid : {who, both, old, all}) EXPECT_EQ(fake.bot_messages(mid).size(), 1u) << mid;
}

TEST(FeishuCommands, StopMidStreamEndsTheTurnOnceAndOnlyForTheAskerOrAnAdmin) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket") +
                     "    commands: { admins: [ou_the_admin] }\n",
                 echo_agent(60, 150));  // ~9 s of deltas
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  std::string text;
  for (int i = 0; i < 60; ++i) text += "w" + std::to_string(i) + " ";
  text.pop_back();

  auto in = fake.inject_text(text, json::object{{"sender_open_id", "ou_alice"}});
  const std::string mid = str(in, "message_id");
  // Mid-stream: the reply shows part of the answer.
  ASSERT_FALSE(reply_when(fake, mid, [](const std::string& t) { return t.size() > 3; }).empty())
      << h.logs();
  // Someone else may not stop it.
  const std::string chat = str(in, "chat_id");
  auto other =
      fake.inject_text("/stop", json::object{{"sender_open_id", "ou_mallory"}, {"chat_id", chat}});
  EXPECT_EQ(reply_text(fake, str(other, "message_id")),
            "Only the person who asked, or an admin, can stop this answer.")
      << h.logs();
  auto stop =
      fake.inject_text("/stop", json::object{{"sender_open_id", "ou_alice"}, {"chat_id", chat}});
  EXPECT_EQ(reply_text(fake, str(stop, "message_id")), "Stopped the answer.") << h.logs();
  const std::string stopped =
      reply_when(fake, mid, [](const std::string& t) { return ends_with(t, stop_note); });
  ASSERT_FALSE(stopped.empty()) << h.logs();
  EXPECT_LT(stopped.size(), text.size() + stop_note.size());  // the stream did not finish
  EXPECT_EQ(stopped.rfind("w0 ", 0), 0u) << stopped;          // what was streamed stays
  // Nothing follows the terminal: the agent stopped streaming, the reply stays as it is.
  std::this_thread::sleep_for(1500ms);
  auto replies = fake.bot_messages(mid);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(str(replies[0], "text"), stopped);
  EXPECT_EQ(fake.bot_messages(str(stop, "message_id")).size(), 1u);

  // An admin stops another user's turn.
  auto in2 = fake.inject_text(text, json::object{{"sender_open_id", "ou_bob"}});
  ASSERT_FALSE(reply_when(fake, str(in2, "message_id"), [](const std::string& t) {
                 return t.size() > 3;
               }).empty());
  auto admin = fake.inject_text(
      "/stop", json::object{{"sender_open_id", "ou_the_admin"}, {"chat_id", str(in2, "chat_id")}});
  EXPECT_EQ(reply_text(fake, str(admin, "message_id")), "Stopped the answer.");
  EXPECT_FALSE(reply_when(fake, str(in2, "message_id"), [](const std::string& t) {
                 return ends_with(t, stop_note);
               }).empty());
}

// A process agent that streams one delta and then holds the turn; every line it receives is
// appended to the log file named by its argument.
constexpr const char* holding_agent = R"(import json, sys
log = open(sys.argv[1], "a")
for raw in sys.stdin:
    log.write(raw)
    log.flush()
    req = json.loads(raw)
    if req.get("cancel"):
        continue
    print(json.dumps({"turn": req["turn"], "delta": "thinking about it "}), flush=True)
)";

TEST(FeishuCommands, StopTellsAProcessAgentWithACancelLine) {
  fake_feishu fake;
  const auto dir =
      std::filesystem::temp_directory_path() / ("pb_cmd_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "agent.py") << holding_agent;
  const std::string log = (dir / "lines.log").string();
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", "", "slow"),
                 "  slow:\n    type: process\n    command: [python3, \"" +
                     (dir / "agent.py").string() + "\", \"" + log + "\"]\n");
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  auto in = fake.inject_text("please think", json::object{{"sender_open_id", "ou_carol"}});
  const std::string mid = str(in, "message_id");
  ASSERT_FALSE(
      reply_when(fake, mid,
                 [](const std::string& t) { return t.find("thinking") != std::string::npos; })
          .empty())
      << h.logs();
  auto stop = fake.inject_text(
      "/stop", json::object{{"sender_open_id", "ou_carol"}, {"chat_id", str(in, "chat_id")}});
  EXPECT_EQ(reply_text(fake, str(stop, "message_id")), "Stopped the answer.") << h.logs();
  EXPECT_FALSE(
      reply_when(fake, mid, [](const std::string& t) { return ends_with(t, stop_note); }).empty());
  // The agent saw the cancel line of that turn, and never saw the /stop itself.
  std::string lines;
  ASSERT_TRUE(wait_for([&] {
    lines = pbtest::read_file(log);
    return lines.find("\"cancel\":true") != std::string::npos;
  })) << lines;
  const std::string turn = str(json::parse(lines.substr(0, lines.find('\n'))), "turn");
  ASSERT_EQ(turn.rfind("fs:", 0), 0u) << lines;
  EXPECT_NE(lines.find("{\"turn\":\"" + turn + "\",\"cancel\":true}"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("/stop"), std::string::npos) << lines;
  std::filesystem::remove_all(dir);
}

}  // namespace
