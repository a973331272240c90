// The `identity:` config section and the channels' `identity:` references: defaults, positions
// in errors, and secrets never echoed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "config/config.hpp"

namespace {
using patchbay::config::parse_config;

std::optional<std::string> env(const std::string& name) {
  if (name == "NYX_SECRET") return std::string("s3cr3t-value-not-to-be-echoed");
  if (name == "SHORT_SECRET") return std::string("tiny-s3cr3t");
  return std::nullopt;
}

std::string errors(const std::string& yaml) {
  auto r = parse_config(yaml, "test.yaml", "/etc/patchbay", &env);
  std::string all;
  for (const auto& e : r.errors) all += e.to_string() + "\n";
  return all;
}

const char* agents = "agents:\n  echo: { type: echo }\n";

TEST(IdentityConfig, ReadsProviderAndChannelReference) {
  const std::string yaml = std::string(agents) +
                           "identity:\n"
                           "  nyxid:\n"
                           "    base_url: https://nyx.example/\n"
                           "    client_id: nyx_client_1\n"
                           "    redirect_uri: https://bot.example/oauth/nyxid/callback\n"
                           "    state_secret: ${NYX_SECRET}\n"
                           "    timeout_ms: 5000\n"
                           "channels:\n"
                           "  - { id: c1, plugin: good, agent: echo, identity: nyxid }\n"
                           "  - { id: c2, plugin: good, agent: echo }\n";
  auto r = parse_config(yaml, "test.yaml", "/etc/patchbay", &env);
  ASSERT_TRUE(r.cfg) << errors(yaml);
  ASSERT_TRUE(r.cfg->identity.nyxid);
  const auto& n = *r.cfg->identity.nyxid;
  EXPECT_EQ(n.base_url, "https://nyx.example");
  EXPECT_EQ(n.client_id, "nyx_client_1");
  EXPECT_EQ(n.scope, "openid urn:nyxid:scope:broker_binding proxy");
  EXPECT_EQ(n.state_secret, "s3cr3t-value-not-to-be-echoed");
  EXPECT_EQ(n.timeout.count(), 5000);
  EXPECT_EQ(r.cfg->channels[0].identity, "nyxid");
  EXPECT_EQ(r.cfg->channels[1].identity, "");
}

TEST(IdentityConfig, ErrorsHavePositionsAndNoSecrets) {
  const std::string yaml = std::string(agents) +
                           "identity:\n"
                           "  nyxid:\n"
                           "    base_url: ftp://nyx\n"
                           "    redirect_uri: https://bot.example/cb\n"
                           "    state_secret: ${SHORT_SECRET}\n"
                           "    colour: blue\n"
                           "channels:\n"
                           "  - { id: c1, plugin: good, agent: echo, identity: okta }\n";
  const std::string e = errors(yaml);
  EXPECT_NE(e.find("test.yaml:5:5: identity.nyxid: missing required key 'client_id'"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("test.yaml:5:15: identity.nyxid.base_url: expected an absolute http"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("identity.nyxid.state_secret: too short"), std::string::npos) << e;
  EXPECT_NE(e.find("colour"), std::string::npos) << e;
  EXPECT_NE(e.find("channels[0].identity: unknown identity provider 'okta'"), std::string::npos)
      << e;
  EXPECT_EQ(e.find("tiny-s3cr3t"), std::string::npos) << "secret echoed: " << e;
}

TEST(IdentityConfig, ChannelNeedsAConfiguredProvider) {
  const std::string yaml = std::string(agents) +
                           "channels:\n"
                           "  - id: c1\n"
                           "    plugin: good\n"
                           "    agent: echo\n"
                           "    identity: nyxid\n";
  const std::string e = errors(yaml);
  EXPECT_NE(e.find("test.yaml:7:15: channels[0].identity: identity provider 'nyxid' is not "
                   "configured"),
            std::string::npos)
      << e;
}

}  // namespace
