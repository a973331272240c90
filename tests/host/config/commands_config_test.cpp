// A channel's `commands:` block: defaults when absent, every key read, bad values reported.
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

const std::string head = "agents:\n  echo: {type: echo}\nchannels:\n";  // lines 1-3

TEST_F(ConfigTest, CommandsDefaultWhenAbsent) {
  auto r = parse(head + "  - {id: a, plugin: p, agent: echo}\n");
  ASSERT_TRUE(r.cfg) << texts(r)[0];
  const auto& c = r.cfg->channels[0].commands;
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.prefix, "/");
  EXPECT_TRUE(c.admins.empty());
  EXPECT_EQ(c.help + c.new_thread + c.stop + c.whoami + c.init + c.unbind,
            "helpnewstopwhoamiinitunbind");
}

TEST_F(ConfigTest, CommandsAreRead) {
  auto r = parse(head +
                 "  - id: a\n    plugin: p\n    agent: echo\n    commands:\n"
                 "      enabled: false\n      prefix: \"!\"\n      admins: [ou_1, \"wx@im\"]\n"
                 "      names: {help: hilfe, new: neu, stop: halt, whoami: wer, init: bind}\n");
  ASSERT_TRUE(r.cfg) << texts(r)[0];
  const auto& c = r.cfg->channels[0].commands;
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.prefix, "!");
  EXPECT_EQ(c.admins, (strings{"ou_1", "wx@im"}));
  EXPECT_EQ(c.help, "hilfe");
  EXPECT_EQ(c.new_thread, "neu");
  EXPECT_EQ(c.stop, "halt");
  EXPECT_EQ(c.whoami, "wer");
  EXPECT_EQ(c.init, "bind");
  EXPECT_EQ(c.unbind, "unbind");
}

TEST_F(ConfigTest, BadCommandsAreReported) {
  EXPECT_EQ(errors_of(head + "  - id: a\n    plugin: p\n    agent: echo\n    commands:\n"
                             "      prefix: \"\"\n      admins: [\"\"]\n"
                             "      names: {help: \"two words\", stop: x, new: x, hlep: y}\n"),
            (strings{
                "test.yaml:8:15: channels[0].commands.prefix: invalid command prefix '' (1 to 8 "
                "printable characters, no spaces and no '@')",
                "test.yaml:9:16: channels[0].commands.admins[0]: empty sender id",
                "test.yaml:10:14: channels[0].commands.names: commands 'new' and 'stop' have the "
                "same name",
                "test.yaml:10:21: channels[0].commands.names.help: invalid command name 'two "
                "words' (1 to 32 printable characters, no spaces and no '@')",
                "test.yaml:10:51: channels[0].commands.names.hlep: unknown key 'hlep' (expected "
                "one of: help, new, stop, whoami, init, unbind)",
            }));
}

}  // namespace
}  // namespace pbtest
