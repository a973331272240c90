// A channel's access:, limits: and late: blocks (config/access.cpp): defaults, every key, errors.
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

const std::string head =
    "agents:\n  echo: {type: echo}\nchannels:\n  - id: a\n    plugin: p\n"
    "    agent: echo\n";  // lines 1-6

TEST_F(ConfigTest, AccessDefaultsToAnEmptyAllowlist) {
  auto r = parse(head);
  ASSERT_TRUE(r.cfg) << (r.errors.empty() ? "" : r.errors[0].to_string());
  const auto& ch = r.cfg->channels[0];
  EXPECT_EQ(ch.access.dm, dm_policy::allowlist);
  EXPECT_TRUE(ch.access.allow.empty());
  EXPECT_TRUE(ch.access.groups.allow.empty());
  EXPECT_TRUE(ch.access.groups.require_mention);
  EXPECT_FALSE(ch.access.groups.mention_all);
  EXPECT_EQ(ch.access.pairing.code_ttl, std::chrono::seconds(3600));
  EXPECT_EQ(ch.limits.per_sender.per_minute, 20);
  EXPECT_EQ(ch.limits.over_limit, over_limit_mode::notice);
  EXPECT_EQ(ch.late.after, std::chrono::seconds(600));
  EXPECT_FALSE(ch.late.answer);
}

TEST_F(ConfigTest, AccessEveryKey) {
  auto r = parse(head +
                 "    access:\n"
                 "      dm: pairing\n"
                 "      allow: [u1, \"*\"]\n"
                 "      deny: [u2]\n"
                 "      groups: {allow: [g1], require_mention: false, mention_all: true}\n"
                 "      pairing: {code_ttl_s: 600, max_pending: 5}\n"
                 "    limits:\n"
                 "      per_sender: {per_minute: 10, burst: 2}\n"
                 "      per_channel: {per_minute: 0}\n"
                 "      over_limit: queue\n"
                 "      queue_max: 7\n"
                 "    late: {after_s: 0, answer: true}\n");
  ASSERT_TRUE(r.cfg) << (r.errors.empty() ? "" : r.errors[0].to_string());
  const auto& ch = r.cfg->channels[0];
  EXPECT_EQ(ch.access.dm, dm_policy::pairing);
  EXPECT_EQ(ch.access.allow, (strings{"u1", "*"}));
  EXPECT_EQ(ch.access.deny, strings{"u2"});
  EXPECT_EQ(ch.access.groups.allow, strings{"g1"});
  EXPECT_FALSE(ch.access.groups.require_mention);
  EXPECT_TRUE(ch.access.groups.mention_all);
  EXPECT_EQ(ch.access.pairing.code_ttl, std::chrono::seconds(600));
  EXPECT_EQ(ch.access.pairing.max_pending, 5U);
  EXPECT_EQ(ch.limits.per_sender.per_minute, 10);
  EXPECT_EQ(ch.limits.per_sender.burst, 2);
  EXPECT_EQ(ch.limits.per_channel.per_minute, 0);
  EXPECT_EQ(ch.limits.over_limit, over_limit_mode::queue);
  EXPECT_EQ(ch.limits.queue_max, 7U);
  EXPECT_EQ(ch.late.after, std::chrono::seconds(0));
  EXPECT_TRUE(ch.late.answer);
}

TEST_F(ConfigTest, AccessErrors) {
  EXPECT_EQ(errors_of(head + "    access: {dm: everyone, allow: [\"\"], grups: {}}\n"
                             "    limits: {over_limit: wait, per_sender: {burst: 0}}\n"),
            (strings{
                "test.yaml:7:18: channels[0].access.dm: unknown DM policy 'everyone' (expected "
                "one of: allowlist, pairing, open, disabled)",
                "test.yaml:7:36: channels[0].access.allow[0]: empty sender id",
                "test.yaml:7:41: channels[0].access.grups: unknown key 'grups' (expected one of: "
                "dm, allow, deny, groups, pairing)",
                "test.yaml:8:26: channels[0].limits.over_limit: unknown over-limit mode 'wait' "
                "(expected one of: notice, queue)",
                "test.yaml:8:52: channels[0].limits.per_sender.burst: expected a number from 1 "
                "to 1000000, got '0'",
            }));
}

}  // namespace
}  // namespace pbtest
