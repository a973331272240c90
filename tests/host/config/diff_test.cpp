// Reload's config diff: channels added, removed, changed (plugin, agent, identity, enabled,
// config block) and unchanged; reordered or reformatted YAML changes nothing; agents by type and
// options; host settings split into live ones and those that need a restart, named by key only.
#include "config/diff.hpp"
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

config must_parse(const std::string& yaml) {
  auto r = parse(yaml);
  EXPECT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  return r.cfg ? *r.cfg : config{};
}

const std::string base_yaml =
    "host:\n"
    "  listen: \"127.0.0.1:8780\"\n"
    "agents:\n"
    "  echo: { type: echo }\n"
    "  slow: { type: echo, delay_ms: 50 }\n"
    "channels:\n"
    "  - id: a\n"
    "    plugin: feishu\n"
    "    agent: echo\n"
    "    config: { app_id: x, mode: websocket, nested: { k: 1, j: [1, 2] } }\n"
    "  - id: b\n"
    "    plugin: weixin\n"
    "    agent: echo\n"
    "    config: { token: t }\n"
    "  - id: c\n"
    "    plugin: nyxid\n"
    "    agent: slow\n";

class ConfigDiff : public ConfigTest {};

TEST_F(ConfigDiff, SameConfigReorderedAndReformattedIsUnchanged) {
  config before = must_parse(base_yaml);
  // Same values: keys of the config blocks reordered, flow style turned into block style.
  config now = must_parse(
      "host:\n"
      "  listen: \"127.0.0.1:8780\"\n"
      "agents:\n"
      "  slow: { delay_ms: 50, type: echo }\n"
      "  echo: { type: echo }\n"
      "channels:\n"
      "  - id: a\n"
      "    agent: echo\n"
      "    plugin: feishu\n"
      "    config:\n"
      "      nested: { j: [1, 2], k: 1 }\n"
      "      mode: websocket\n"
      "      app_id: x\n"
      "  - id: b\n"
      "    plugin: weixin\n"
      "    agent: echo\n"
      "    config: { token: t }\n"
      "  - id: c\n"
      "    plugin: nyxid\n"
      "    agent: slow\n");
  auto d = diff_configs(before, now);
  EXPECT_EQ(d.channels_unchanged, (strings{"a", "b", "c"}));
  EXPECT_TRUE(d.channels_added.empty());
  EXPECT_TRUE(d.channels_removed.empty());
  EXPECT_TRUE(d.channels_changed.empty());
  EXPECT_TRUE(d.agents_added.empty() && d.agents_removed.empty() && d.agents_changed.empty());
  EXPECT_TRUE(d.settings_live.empty());
  EXPECT_TRUE(d.settings_needs_restart.empty());
}

TEST_F(ConfigDiff, AddedRemovedChangedUnchanged) {
  config before = must_parse(base_yaml);
  config now = must_parse(
      "agents:\n"
      "  echo: { type: echo }\n"
      "  slow: { type: echo, delay_ms: 50 }\n"
      "channels:\n"
      "  - id: a\n"  // config value changed
      "    plugin: feishu\n"
      "    agent: echo\n"
      "    config: { app_id: x, mode: websocket, nested: { k: 2, j: [1, 2] } }\n"
      "  - id: c\n"  // unchanged
      "    plugin: nyxid\n"
      "    agent: slow\n"
      "  - id: d\n"  // added
      "    plugin: lark\n"
      "    agent: echo\n");
  // (host.listen defaults to the same 127.0.0.1:8780.)
  auto d = diff_configs(before, now);
  EXPECT_EQ(d.channels_added, (strings{"d"}));
  EXPECT_EQ(d.channels_removed, (strings{"b"}));
  EXPECT_EQ(d.channels_changed, (strings{"a"}));
  EXPECT_EQ(d.channels_unchanged, (strings{"c"}));
}

TEST_F(ConfigDiff, EachChannelFieldCountsAsAChange) {
  config before = must_parse(base_yaml);
  const channel_config& a = before.channels[0];
  auto with = [&](auto edit) {
    channel_config c = a;
    edit(c);
    return channel_changed(a, c);
  };
  EXPECT_FALSE(with([](channel_config&) {}));
  EXPECT_TRUE(with([](channel_config& c) { c.plugin = "lark"; }));
  EXPECT_TRUE(with([](channel_config& c) { c.agent = "slow"; }));
  EXPECT_TRUE(with([](channel_config& c) { c.identity = "nyxid"; }));
  EXPECT_TRUE(with([](channel_config& c) { c.enabled = false; }));
  EXPECT_TRUE(with([](channel_config& c) { c.config_json = R"({"app_id":"x"})"; }));
  EXPECT_TRUE(with([](channel_config& c) { c.typing = false; }));
  // Where the entry sits in the file is not a change.
  EXPECT_FALSE(with([](channel_config& c) { c.pos.line += 7; }));
}

TEST_F(ConfigDiff, TypingDefaultsToTrueAndParses) {
  config on = must_parse(base_yaml);
  for (const auto& c : on.channels) EXPECT_TRUE(c.typing) << c.id;
  config off = must_parse(
      "agents:\n"
      "  echo: { type: echo }\n"
      "channels:\n"
      "  - id: a\n"
      "    plugin: feishu\n"
      "    agent: echo\n"
      "    typing: false\n");
  ASSERT_EQ(off.channels.size(), 1u);
  EXPECT_FALSE(off.channels[0].typing);
}

TEST_F(ConfigDiff, Agents) {
  config before = must_parse(base_yaml);
  config now = must_parse(
      "agents:\n"
      "  echo: { type: echo, chunks: 3 }\n"  // options changed
      "  fresh: { type: echo }\n"            // added ("slow" removed)
      "channels:\n"
      "  - id: a\n"
      "    plugin: feishu\n"
      "    agent: fresh\n");
  auto d = diff_configs(before, now);
  EXPECT_EQ(d.agents_changed, (strings{"echo"}));
  EXPECT_EQ(d.agents_added, (strings{"fresh"}));
  EXPECT_EQ(d.agents_removed, (strings{"slow"}));
}

TEST_F(ConfigDiff, HostSettingsLiveOrNeedingRestartByKeyNeverByValue) {
  fake_env() = {{"PB_TOKEN_1", "first-secret-token"}, {"PB_TOKEN_2", "second-secret-token"}};
  config before = must_parse(
      "host:\n"
      "  listen: \"127.0.0.1:8780\"\n"
      "  api_tokens: [\"${PB_TOKEN_1}\"]\n"
      "  log: { level: info }\n"
      "  shutdown_timeout_ms: 1000\n");
  config now = must_parse(
      "host:\n"
      "  listen: \"127.0.0.1:9999\"\n"
      "  api_tokens: [\"${PB_TOKEN_2}\"]\n"
      "  log: { level: debug, format: json }\n"
      "  shutdown_timeout_ms: 2000\n"
      "  plugin_dirs: [\"/opt/more\"]\n"
      "  turn_timeout_ms: 5000\n"
      "  http: { max_connections: 10 }\n"
      "  metrics: { require_token: true }\n"
      "  health: { channel_grace_ms: 1000 }\n");
  auto d = diff_configs(before, now);
  EXPECT_EQ(d.settings_live,
            (strings{"host.log.level", "host.shutdown_timeout_ms", "host.plugin_dirs"}));
  EXPECT_EQ(d.settings_needs_restart,
            (strings{"host.listen", "host.api_tokens", "host.log.format", "host.turn_timeout_ms",
                     "host.http", "host.metrics.require_token", "host.health"}));
  for (const auto& s : d.settings_needs_restart) EXPECT_EQ(s.find("secret"), std::string::npos);
}

TEST(SameJson, ComparesValuesNotText) {
  EXPECT_TRUE(same_json(R"({"a":1,"b":[1,2]})", R"({ "b": [1, 2], "a": 1 })"));
  EXPECT_FALSE(same_json(R"({"a":1})", R"({"a":"1"})"));
  EXPECT_FALSE(same_json(R"({"b":[1,2]})", R"({"b":[2,1]})"));
  EXPECT_FALSE(same_json("not json", "not json either"));
  EXPECT_TRUE(same_json("not json", "not json"));
}

}  // namespace
}  // namespace pbtest
