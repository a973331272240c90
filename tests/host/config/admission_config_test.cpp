// `host.admission:`: the defaults, every key read, bad values reported with file:line:col, and a
#include <algorithm>
// change noted as needing a restart.
#include "config/diff.hpp"
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

TEST_F(ConfigTest, AdmissionDefaults) {
  auto r = parse("agents: {}\n");
  ASSERT_TRUE(r.cfg) << texts(r)[0];
  const auto& a = r.cfg->host.admission;
  EXPECT_EQ(a.max_turns_in_flight, 64U);
  EXPECT_EQ(a.max_pending_turns, 1024U);
  EXPECT_EQ(a.retry_after, std::chrono::milliseconds(1000));
}

TEST_F(ConfigTest, AdmissionIsRead) {
  auto r = parse(
      "host:\n  admission:\n    max_turns_in_flight: 2\n    max_pending_turns: 0\n"
      "    retry_after_ms: 250\n");
  ASSERT_TRUE(r.cfg) << texts(r)[0];
  const auto& a = r.cfg->host.admission;
  EXPECT_EQ(a.max_turns_in_flight, 2U);
  EXPECT_EQ(a.max_pending_turns, 0U);
  EXPECT_EQ(a.retry_after, std::chrono::milliseconds(250));
}

TEST_F(ConfigTest, BadAdmissionIsReported) {
  EXPECT_EQ(errors_of("host:\n  admission:\n    max_turns_in_flight: 0\n"
                      "    max_pending_turns: -1\n    retry_after_ms: 5\n    max_turns: 3\n"),
            (strings{"test.yaml:3:26: host.admission.max_turns_in_flight: expected a number of "
                     "turns from 1 to 100000, got '0'",
                     "test.yaml:4:24: host.admission.max_pending_turns: expected a number of "
                     "turns from 0 to 1000000, got '-1'",
                     "test.yaml:5:21: host.admission.retry_after_ms: expected a number of "
                     "milliseconds from 100 to 3600000, got '5'",
                     "test.yaml:6:5: host.admission.max_turns: unknown key 'max_turns' (expected "
                     "one of: max_turns_in_flight, max_pending_turns, retry_after_ms)"}));
  EXPECT_EQ(errors_of("host:\n  admission: 3\n"),
            (strings{"test.yaml:2:14: host.admission: expected a map, got a string"}));
}

TEST_F(ConfigTest, AdmissionChangeNeedsARestart) {
  auto a = parse("agents: {}\n");
  auto b = parse("host:\n  admission: {max_pending_turns: 10}\n");
  ASSERT_TRUE(a.cfg && b.cfg);
  auto d = diff_configs(*a.cfg, *b.cfg);
  EXPECT_NE(
      std::find(d.settings_needs_restart.begin(), d.settings_needs_restart.end(), "host.admission"),
      d.settings_needs_restart.end());
}

}  // namespace
}  // namespace pbtest
