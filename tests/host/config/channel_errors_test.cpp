// Errors in the channels list, references between sections, and many errors collected at once.
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

const std::string agents = "agents:\n  echo: {type: echo}\n";  // lines 1-2

TEST_F(ConfigTest, ChannelNeedsIdPluginAgent) {
  EXPECT_EQ(errors_of(agents + "channels:\n  - enabled: true\n"),
            (strings{
                "test.yaml:4:5: channels[0]: missing required key 'id'",
                "test.yaml:4:5: channels[0]: missing required key 'plugin'",
                "test.yaml:4:5: channels[0]: missing required key 'agent'",
            }));
}

TEST_F(ConfigTest, ChannelEntryTypes) {
  EXPECT_EQ(errors_of(agents + "channels:\n  - feishu\n  -\n  - [a]\n"),
            (strings{
                "test.yaml:4:3: channels[1]: expected a channel (a map with id, plugin and "
                "agent), got an empty value",
                "test.yaml:4:5: channels[0]: expected a channel (a map with id, plugin and "
                "agent), got a string",
                "test.yaml:6:5: channels[2]: expected a channel (a map with id, plugin and "
                "agent), got a list",
            }));
  EXPECT_EQ(errors_of("channels: {id: x}\n"),
            strings{"test.yaml:1:11: channels: expected a list of channels, got a map"});
}

TEST_F(ConfigTest, UnknownChannelKey) {
  EXPECT_EQ(
      errors_of(agents + "channels:\n  - {id: a, plugin: p, agent: echo, agnet: echo}\n"),
      strings{"test.yaml:4:37: channels[0].agnet: unknown key 'agnet' (expected one of: id, "
              "plugin, agent, enabled, config, identity, commands, access, limits, late, typing)"});
}

TEST_F(ConfigTest, InvalidIdAndPlugin) {
  EXPECT_EQ(errors_of(agents + "channels:\n"
                               "  - {id: \"my channel\", plugin: Feishu, agent: echo}\n"
                               "  - {id: \"a/b\", plugin: \"\", agent: echo}\n"
                               "  - {id: ok, plugin: [x], agent: echo}\n"),
            (strings{
                "test.yaml:4:10: channels[0].id: invalid channel id 'my channel' (allowed: "
                "letters, digits, '_' and '-'; it is used in /hooks/<id>)",
                "test.yaml:4:32: channels[0].plugin: invalid plugin 'Feishu' (expected a plugin "
                "name of a-z, 0-9, '_' and '-', or a path containing '/')",
                "test.yaml:5:10: channels[1].id: invalid channel id 'a/b' (allowed: letters, "
                "digits, '_' and '-'; it is used in /hooks/<id>)",
                "test.yaml:5:25: channels[1].plugin: invalid plugin '' (expected a plugin name "
                "of a-z, 0-9, '_' and '-', or a path containing '/')",
                "test.yaml:6:22: channels[2].plugin: expected a string, got a list",
            }));
}

TEST_F(ConfigTest, PluginPathsResolveAgainstConfigDir) {
  const auto r = parse(agents +
                       "channels:\n"
                       "  - {id: a, plugin: ./libx.so, agent: echo}\n"
                       "  - {id: b, plugin: /usr/lib/patchbay/liby.so, agent: echo}\n"
                       "  - {id: c, plugin: my_plugin-2, agent: echo}\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->channels[0].plugin, "/etc/patchbay/libx.so");
  EXPECT_EQ(r.cfg->channels[1].plugin, "/usr/lib/patchbay/liby.so");
  EXPECT_EQ(r.cfg->channels[2].plugin, "my_plugin-2");
  EXPECT_EQ(r.cfg->channels[2].plugin_pos.line, 6);
  EXPECT_EQ(r.cfg->channels[2].plugin_pos.column, 21);
}

TEST_F(ConfigTest, DuplicateChannelIdMentionsFirstLine) {
  EXPECT_EQ(errors_of(agents + "channels:\n"
                               "  - id: main\n"
                               "    plugin: feishu\n"
                               "    agent: echo\n"
                               "  - id: main\n"
                               "    plugin: lark\n"
                               "    agent: echo\n"),
            strings{"test.yaml:7:9: channels[1].id: duplicate channel id 'main' (first defined "
                    "at line 4)"});
}

TEST_F(ConfigTest, UnknownAgentIsReportedAtTheAgentValue) {
  EXPECT_EQ(errors_of(agents + "channels:\n  - id: a\n    plugin: p\n    agent: ehco\n"),
            strings{"test.yaml:6:12: channels[0].agent: unknown agent 'ehco' (defined agents: "
                    "echo)"});
  EXPECT_EQ(errors_of("channels:\n  - {id: a, plugin: p, agent: echo}\n"),
            strings{"test.yaml:2:31: channels[0].agent: unknown agent 'echo' (no agents are "
                    "defined; add one under 'agents:')"});
}

TEST_F(ConfigTest, AgentsMayFollowChannels) {
  const auto r = parse("channels:\n  - {id: a, plugin: p, agent: e}\nagents: {e: {type: echo}}\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->channels[0].agent, "e");
}

TEST_F(ConfigTest, InvalidAgentStillCountsAsDefined) {
  // Only the bad type is reported, not also "unknown agent" for the channel using it.
  EXPECT_EQ(errors_of("agents: {bot: {type: robot}}\n"
                      "channels:\n  - {id: a, plugin: p, agent: bot}\n"),
            strings{"test.yaml:1:22: agents.bot.type: unknown agent type 'robot' (expected one "
                    "of: echo, http, openai, process, callback)"});
}

TEST_F(ConfigTest, EnabledMustBeBoolean) {
  EXPECT_EQ(errors_of(agents + "channels:\n  - {id: a, plugin: p, agent: echo, enabled: maybe}\n"
                               "  - {id: b, plugin: p, agent: echo, enabled: yes}\n"),
            (strings{
                "test.yaml:4:46: channels[0].enabled: expected true or false, got 'maybe'",
                "test.yaml:5:46: channels[1].enabled: expected true or false, got 'yes'",
            }));
}

TEST_F(ConfigTest, ConfigMustBeAMap) {
  EXPECT_EQ(errors_of(agents + "channels:\n  - {id: a, plugin: p, agent: echo, config: [1]}\n"
                               "  - {id: b, plugin: p, agent: echo, config: x}\n"),
            (strings{
                "test.yaml:4:45: channels[0].config: expected a map of plugin settings, got a "
                "list",
                "test.yaml:5:45: channels[1].config: expected a map of plugin settings, got a "
                "string",
            }));
  const auto r = parse(agents + "channels:\n  - {id: a, plugin: p, agent: echo, config: }\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->channels[0].config_json, "{}");
}

TEST_F(ConfigTest, CyclicAliasInConfigIsAnErrorNotACrash) {
  const auto errors = errors_of(agents +
                                "channels:\n  - {id: a, plugin: p, agent: echo, "
                                "config: {loop: &l [*l]}}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("nested more than 64 levels deep"), std::string::npos) << errors[0];
}

TEST_F(ConfigTest, AliasBombIsAnErrorNotAHang) {
  std::string yaml = agents + "channels:\n  - id: a\n    plugin: p\n    agent: echo\n    config:\n";
  yaml += "      l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    yaml += "      l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
    for (int j = 0; j < 9; ++j) yaml += ", " + prev;
    yaml += "]\n";
  }
  const auto errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("more than 100000 values"), std::string::npos) << errors[0];
}

TEST_F(ConfigTest, AllErrorsAreCollectedInFileOrder) {
  const std::string f = data_path("many_errors.yaml");
  const auto r = load_config(f, &fake_lookup);
  EXPECT_FALSE(r.cfg);
  EXPECT_EQ(
      texts(r),
      (strings{
          f + ":2:11: host.listen: invalid listen address 'localhost': missing ':port' "
              "(expected host:port, e.g. 127.0.0.1:8780 or [::1]:8780)",
          f + ":3:3: host.lisen: unknown key 'lisen' (expected one of: listen, plugin_dirs, "
              "state, api_tokens, log, shutdown_timeout_ms, turn_timeout_ms, sse_keepalive_ms, "
              "http, metrics, health, media, admission, replica)",
          f + ":4:20: host.state.engine: unknown state engine 'mysql' (expected one of: "
              "sqlite, postgres)",
          f + ":5:18: host.log.format: unknown log format 'xml' (expected one of: text, "
              "json)",
          f + ":5:30: host.log.level: unknown log level 'verbose' (expected one of: trace, "
              "debug, info, warn, error)",
          f + ":6:24: host.shutdown_timeout_ms: expected a positive number of milliseconds "
              "(at most 86400000), got '-5'",
          f + ":9:16: agents.bot.type: unknown agent type 'robot' (expected one of: echo, "
              "http, openai, process, callback)",
          f + ":14:14: channels[0].enabled: expected true or false, got 'maybe'",
          f + ":15:9: channels[1].id: duplicate channel id 'a' (first defined at line 11)",
          f + ":16:13: channels[1].plugin: invalid plugin 'Feishu' (expected a plugin name "
              "of a-z, 0-9, '_' and '-', or a path containing '/')",
          f + ":17:12: channels[1].agent: unknown agent 'nobody' (defined agents: echo, "
              "bot)",
          f + ":18:5: channels[2]: missing required key 'id'",
          f + ":18:5: channels[2]: missing required key 'agent'",
          f + ":19:5: channels[2].extra: unknown key 'extra' (expected one of: id, plugin, "
              "agent, enabled, config, identity, commands, access, limits, late, typing)",
      }));
}

}  // namespace
}  // namespace pbtest
