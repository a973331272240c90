// The shipped example configs load with an empty environment (their defaults cover every ${...}).
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;

std::string example(const std::string& name) {
  return (std::filesystem::path(PB_EXAMPLES_DIR) / name).lexically_normal().string();
}

TEST_F(ConfigTest, ExamplePatchbayYamlLoads) {
  const auto r = load_config(example("patchbay.yaml"), &fake_lookup);
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  const config& c = *r.cfg;
  EXPECT_EQ(c.host.listen, "127.0.0.1:8780");
  EXPECT_TRUE(c.host.plugin_dirs.empty());
  EXPECT_EQ(c.host.state.engine, state_engine::sqlite);
  EXPECT_EQ(c.host.state.path, example("patchbay.db"));
  EXPECT_EQ(c.host.log.format, log_format::text);
  EXPECT_EQ(c.host.log.level, "info");
  ASSERT_EQ(c.agents.size(), 1u);
  EXPECT_EQ(c.agents[0].name, "echo");
  EXPECT_EQ(c.agents[0].type, "echo");
  ASSERT_EQ(c.channels.size(), 4u);
  const std::vector<std::string> plugins = {"feishu", "lark", "weixin", "nyxid"};
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    EXPECT_EQ(c.channels[i].plugin, plugins[i]);
    EXPECT_EQ(c.channels[i].agent, "echo");
    EXPECT_TRUE(c.channels[i].enabled);
    EXPECT_NE(c.channels[i].config_json, "{}");
  }
  EXPECT_NE(c.channels[0].config_json.find(R"("app_secret":"demo")"), std::string::npos);
}

TEST_F(ConfigTest, ExamplePatchbayYamlTakesSecretsFromTheEnvironment) {
  fake_env()["FEISHU_APP_SECRET"] = "real-secret";
  const auto r = load_config(example("patchbay.yaml"), &fake_lookup);
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_NE(r.cfg->channels[0].config_json.find(R"("app_secret":"real-secret")"),
            std::string::npos);
}

TEST_F(ConfigTest, ExampleMinimalYamlLoads) {
  const auto r = load_config(example("minimal.yaml"), &fake_lookup);
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->host.listen, "127.0.0.1:8780");
  EXPECT_TRUE(r.cfg->channels.empty());
  ASSERT_NE(r.cfg->find_agent("echo"), nullptr);
}

}  // namespace
}  // namespace pbtest
