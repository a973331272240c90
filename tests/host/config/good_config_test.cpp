// A valid file loads into exactly the expected structs; defaults apply when sections are absent.
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;

class GoodConfig : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    fake_env() = {{"PB_TEST_TOKEN", "env-token"},
                  {"PB_TEST_OPENAI_KEY", "sk-test"},
                  {"PB_TEST_SECRET", "s3cret"},
                  {"PB_TEST_PORT", "9090"}};
  }
};

TEST_F(GoodConfig, HostSection) {
  const auto r = load_config(data_path("good.yaml"), &fake_lookup);
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  const config& c = *r.cfg;
  EXPECT_EQ(c.file, data_path("good.yaml"));
  EXPECT_EQ(c.host.listen, "[::1]:9000");
  const std::string parent = std::filesystem::path(data_dir()).parent_path().string();
  EXPECT_EQ(c.host.plugin_dirs,
            (std::vector<std::string>{data_dir() + "/plugins", "/opt/patchbay/plugins",
                                      parent + "/vendor/plugins"}));
  EXPECT_EQ(c.host.state.engine, state_engine::sqlite);
  EXPECT_EQ(c.host.state.path, data_dir() + "/state/patchbay.db");
  EXPECT_EQ(c.host.state.url, "");
  EXPECT_EQ(c.host.api_tokens, (std::vector<std::string>{"env-token", "file-token"}));
  EXPECT_EQ(c.host.log.format, log_format::json);
  EXPECT_EQ(c.host.log.level, "debug");
  EXPECT_EQ(c.host.shutdown_timeout, std::chrono::milliseconds(2500));
}

TEST_F(GoodConfig, Agents) {
  const auto r = load_config(data_path("good.yaml"), &fake_lookup);
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  const config& c = *r.cfg;
  ASSERT_EQ(c.agents.size(), 2u);
  EXPECT_EQ(c.agents[0].name, "echo");
  EXPECT_EQ(c.agents[0].type, "echo");
  EXPECT_EQ(c.agents[0].options_json, "{}");
  EXPECT_EQ(c.agents[0].pos.line, 12);
  EXPECT_EQ(c.agents[0].pos.column, 3);
  EXPECT_EQ(c.agents[1].name, "gpt");
  EXPECT_EQ(c.agents[1].type, "openai");
  EXPECT_EQ(c.agents[1].options_json,
            R"({"base_url":"https://api.example.com/v1","model":"gpt-test","api_key":"sk-test",)"
            R"("max_tokens":512,"stream":true})");
  ASSERT_NE(c.find_agent("gpt"), nullptr);
  EXPECT_EQ(c.find_agent("gpt")->type, "openai");
  EXPECT_EQ(c.find_agent("nobody"), nullptr);
}

TEST_F(GoodConfig, Channels) {
  const auto r = load_config(data_path("good.yaml"), &fake_lookup);
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  const config& c = *r.cfg;
  ASSERT_EQ(c.channels.size(), 2u);
  const channel_config& f = c.channels[0];
  EXPECT_EQ(f.id, "feishu-main");
  EXPECT_EQ(f.plugin, "feishu");
  EXPECT_EQ(f.agent, "echo");
  EXPECT_TRUE(f.enabled);
  EXPECT_EQ(f.config_json,
            R"({"app_id":"cli_0123456789abcdef","app_secret":"s3cret","port":8080,)"
            R"("quoted_port":"8080","ratio":5E-1,"debug":false,"nothing":null,"zip":"007",)"
            R"("tags":["a",2,true,"3"],"nested":{"k":"v","n":-3},"port_env":9090,)"
            R"("literal":"${NOT_A_REF}"})");
  EXPECT_EQ(f.pos.file, data_path("good.yaml"));
  EXPECT_EQ(f.pos.line, 21);
  EXPECT_EQ(f.pos.column, 5);
  EXPECT_EQ(f.plugin_pos.line, 22);
  EXPECT_EQ(f.plugin_pos.column, 13);

  const channel_config& w = c.channels[1];
  EXPECT_EQ(w.id, "weixin_2");
  EXPECT_EQ(w.plugin, data_dir() + "/plugins/libweixin.so");
  EXPECT_EQ(w.agent, "gpt");
  EXPECT_FALSE(w.enabled);
  EXPECT_EQ(w.config_json, "{}");
  EXPECT_EQ(w.pos.line, 37);
}

TEST_F(ConfigTest, EmptyDocumentGivesDefaults) {
  for (const std::string yaml : {"", "# only a comment\n", "{}"}) {
    const auto r = parse(yaml);
    ASSERT_TRUE(r.cfg) << yaml << ::testing::PrintToString(texts(r));
    EXPECT_EQ(r.cfg->file, "test.yaml");
    EXPECT_EQ(r.cfg->host.listen, "127.0.0.1:8780");
    EXPECT_TRUE(r.cfg->host.plugin_dirs.empty());
    EXPECT_EQ(r.cfg->host.state.engine, state_engine::sqlite);
    // The default database lives next to the config file.
    EXPECT_EQ(r.cfg->host.state.path, "/etc/patchbay/patchbay.db");
    EXPECT_TRUE(r.cfg->host.api_tokens.empty());
    EXPECT_EQ(r.cfg->host.log.format, log_format::text);
    EXPECT_EQ(r.cfg->host.log.level, "info");
    EXPECT_EQ(r.cfg->host.shutdown_timeout, std::chrono::milliseconds(10000));
    EXPECT_EQ(r.cfg->host.turn_timeout, std::chrono::milliseconds(120000));
    EXPECT_EQ(r.cfg->host.sse_keepalive, std::chrono::milliseconds(15000));
    EXPECT_TRUE(r.cfg->agents.empty());
    EXPECT_TRUE(r.cfg->channels.empty());
  }
}

TEST_F(ConfigTest, EmptySectionsAreEmpty) {
  const auto r = parse("host:\nagents:\nchannels:\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_TRUE(r.cfg->agents.empty());
  EXPECT_TRUE(r.cfg->channels.empty());
}

TEST_F(ConfigTest, PostgresState) {
  fake_env()["PG_URL"] = "postgresql://pb@db/patchbay";
  const auto r = parse("host:\n  state:\n    engine: postgres\n    url: \"${PG_URL}\"\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->host.state.engine, state_engine::postgres);
  EXPECT_EQ(r.cfg->host.state.url, "postgresql://pb@db/patchbay");
}

TEST_F(ConfigTest, CallbackAgentKeysGoToTheBackend) {
  fake_env()["AGENT_KEY"] = "k-123";
  const auto r = parse(
      "agents:\n  later:\n    type: callback\n    url: http://agent:9000/turns\n"
      "    public_url: http://patchbay:8080\n    headers: { X-Key: \"${AGENT_KEY}\" }\n"
      "    accept_timeout_ms: 5000\n    answer_timeout_ms: 3600000\n    idle_timeout_ms: 600000\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  ASSERT_EQ(r.cfg->agents.size(), 1U);
  EXPECT_EQ(r.cfg->agents[0].type, "callback");
  EXPECT_EQ(r.cfg->agents[0].options_json,
            R"({"url":"http://agent:9000/turns","public_url":"http://patchbay:8080",)"
            R"("headers":{"X-Key":"k-123"},"accept_timeout_ms":5000,"answer_timeout_ms":3600000,)"
            R"("idle_timeout_ms":600000})");
}

TEST_F(ConfigTest, SqliteMemoryAndAbsolutePathsStayAsWritten) {
  auto r = parse("host:\n  state: { path: \":memory:\" }\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->host.state.path, ":memory:");
  r = parse("host:\n  state: { path: /var/lib/patchbay/state.db }\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->host.state.path, "/var/lib/patchbay/state.db");
}

TEST_F(ConfigTest, QuotedScalarsAreAcceptedForTypedSchemaKeys) {
  const auto r = parse(
      "host:\n  shutdown_timeout_ms: \"1500\"\nagents: {e: {type: echo}}\n"
      "channels:\n  - {id: \"42\", plugin: p, agent: e, enabled: \"FALSE\"}\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->host.shutdown_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(r.cfg->channels[0].id, "42");
  EXPECT_FALSE(r.cfg->channels[0].enabled);
}

TEST_F(ConfigTest, AnchorsAndAliasesWork) {
  const auto r = parse(
      "agents: {e: {type: echo}}\n"
      "channels:\n"
      "  - {id: a, plugin: p, agent: e, config: &shared {url: \"http://x\", n: 1}}\n"
      "  - {id: b, plugin: p, agent: e, config: *shared}\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->channels[1].config_json, R"({"url":"http://x","n":1})");
}

}  // namespace
}  // namespace pbtest

TEST(HostDurations, TurnTimeoutAndKeepaliveAreConfigurable) {
  using patchbay::config::parse_config;
  auto r =
      parse_config("host:\n  turn_timeout_ms: 5000\n  sse_keepalive_ms: 250\n", "t.yaml", "/tmp");
  ASSERT_TRUE(r.cfg) << (r.errors.empty() ? "" : r.errors[0].to_string());
  EXPECT_EQ(r.cfg->host.turn_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(r.cfg->host.sse_keepalive, std::chrono::milliseconds(250));
  auto bad = parse_config("host:\n  turn_timeout_ms: 10\n", "t.yaml", "/tmp");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].to_string(),
            "t.yaml:2:20: host.turn_timeout_ms: expected a number of milliseconds from 1000 to "
            "86400000, got '10'");
}

TEST(HostHttpLimits, DefaultsAndConfiguredValues) {
  using patchbay::config::parse_config;
  auto d = parse_config("host: {}\n", "t.yaml", "/tmp");
  ASSERT_TRUE(d.cfg);
  EXPECT_EQ(d.cfg->host.http.max_connections, 1024u);
  EXPECT_EQ(d.cfg->host.http.max_connections_per_client, 512u);
  EXPECT_EQ(d.cfg->host.http.reserve_connections, 64u);
  EXPECT_EQ(d.cfg->host.http.max_total_body_bytes, std::size_t{64} << 20);
  EXPECT_FALSE(d.cfg->host.metrics_require_token);
  auto r = parse_config(
      "host:\n  http:\n    max_connections: 10\n    max_connections_per_client: 0\n"
      "    reserve_connections: 2\n    max_total_body_bytes: 2097152\n"
      "  metrics:\n    require_token: true\n",
      "t.yaml", "/tmp");
  ASSERT_TRUE(r.cfg) << (r.errors.empty() ? "" : r.errors[0].to_string());
  EXPECT_EQ(r.cfg->host.http.max_connections, 10u);
  EXPECT_EQ(r.cfg->host.http.max_connections_per_client, 0u);
  EXPECT_EQ(r.cfg->host.http.reserve_connections, 2u);
  EXPECT_EQ(r.cfg->host.http.max_total_body_bytes, 2097152u);
  EXPECT_TRUE(r.cfg->host.metrics_require_token);
  auto bad = parse_config("host:\n  http: {max_connections: 0, nope: 1}\n", "t.yaml", "/tmp");
  ASSERT_EQ(bad.errors.size(), 2u);
  EXPECT_NE(bad.errors[0].to_string().find("host.http.max_connections: expected a number of "
                                           "connections from 1 to 1000000"),
            std::string::npos)
      << bad.errors[0].to_string();
  EXPECT_NE(bad.errors[1].to_string().find("unknown key 'nope'"), std::string::npos)
      << bad.errors[1].to_string();
}

TEST(HostHealth, GraceAndReportIntervalAreConfigurable) {
  using patchbay::config::parse_config;
  auto defaults = parse_config("host: {}\n", "t.yaml", "/tmp");
  ASSERT_TRUE(defaults.cfg);
  EXPECT_EQ(defaults.cfg->host.health.channel_grace, std::chrono::milliseconds(60000));
  EXPECT_EQ(defaults.cfg->host.health.report_interval, std::chrono::milliseconds(300000));
  auto r = parse_config("host:\n  health: {channel_grace_ms: 1500, report_interval_ms: 2000}\n",
                        "t.yaml", "/tmp");
  ASSERT_TRUE(r.cfg) << (r.errors.empty() ? "" : r.errors[0].to_string());
  EXPECT_EQ(r.cfg->host.health.channel_grace, std::chrono::milliseconds(1500));
  EXPECT_EQ(r.cfg->host.health.report_interval, std::chrono::milliseconds(2000));
  auto bad =
      parse_config("host:\n  health: {report_interval_ms: 10, grace: 1}\n", "t.yaml", "/tmp");
  ASSERT_EQ(bad.errors.size(), 2u);
  EXPECT_EQ(bad.errors[0].to_string(),
            "t.yaml:2:32: host.health.report_interval_ms: expected a number of milliseconds from "
            "1000 to 86400000, got '10'");
  EXPECT_EQ(bad.errors[1].to_string(),
            "t.yaml:2:36: host.health.grace: unknown key 'grace' (expected one of: "
            "channel_grace_ms, report_interval_ms)");
}
