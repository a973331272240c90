// Documents with very many keys: the value cap is reported without walking the whole map, and
// duplicate keys are still found, with their positions, in a map of tens of thousands of keys
// (a quadratic duplicate scan would take minutes here). No timing assertion: ctest's timeout is
// the guard.
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

// `count` lines "<indent>key<i>: v<i>".
std::string many_keys(std::size_t count, const std::string& indent) {
  std::string out;
  out.reserve(count * (indent.size() + 20));
  for (std::size_t i = 0; i < count; ++i) {
    out += indent;
    out += "key";
    out += std::to_string(i);
    out += ": v";
    out += std::to_string(i);
    out += '\n';
  }
  return out;
}

TEST_F(ConfigTest, ChannelConfigOverTheValueCapIsOneError) {
  // Lines 1-3 the agent, 4-8 the channel, the config's keys from line 9 on.
  std::string yaml =
      "agents:\n  echo:\n    type: echo\n"
      "channels:\n  - id: a\n    plugin: p\n    agent: echo\n    config:\n";
  yaml += many_keys(200'000, "      ");
  EXPECT_EQ(errors_of(yaml), strings{"test.yaml:9:7: channels[0].config: more than 100000 values"});
}

TEST_F(ConfigTest, AgentOptionsOverTheValueCapAreOneError) {
  std::string yaml = "agents:\n  big:\n    type: http\n";
  yaml += many_keys(200'000, "    ");
  EXPECT_EQ(errors_of(yaml), strings{"test.yaml:3:5: agents.big: more than 100000 values"});
}

TEST_F(ConfigTest, DuplicateKeysInALargeMapAreReportedWithTheirPositions) {
  // 90'000 keys: under the cap, so every key is read and checked for duplicates.
  std::string yaml =
      "agents:\n  echo:\n    type: echo\n"
      "channels:\n  - id: a\n    plugin: p\n    agent: echo\n    config:\n";
  yaml += many_keys(90'000, "      ");  // lines 9 .. 90'008: key0 at line 9
  yaml += "      key17: again\n";       // line 90'009
  yaml += "      key89999: again\n";    // line 90'010
  EXPECT_EQ(errors_of(yaml),
            (strings{
                "test.yaml:90009:7: channels[0].config.key17: duplicate key 'key17' (first at "
                "line 26)",
                "test.yaml:90010:7: channels[0].config.key89999: duplicate key 'key89999' (first "
                "at line 90008)",
            }));
}

}  // namespace
}  // namespace pbtest
