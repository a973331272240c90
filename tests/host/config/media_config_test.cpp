// `host.media:`: defaults (the cache beside the state file), every key read, bad values reported,
// the outbound sub-block left to its own reader.
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

TEST_F(ConfigTest, MediaDefaults) {
  auto r = parse("host:\n  state: {path: /var/lib/patchbay/state.db}\n");
  ASSERT_TRUE(r.cfg) << texts(r)[0];
  const auto& m = r.cfg->host.media;
  EXPECT_EQ(m.max_bytes, 30U << 20);
  EXPECT_EQ(m.cache_dir, "/var/lib/patchbay/media");
  EXPECT_EQ(m.cache_max_bytes, 512U << 20);
  EXPECT_EQ(m.cache_ttl, std::chrono::seconds(3600));
  EXPECT_EQ(m.url_ttl, std::chrono::seconds(900));
  EXPECT_EQ(m.fetch_timeout, std::chrono::milliseconds(60000));
  // Without a host section: beside the default state file, relative to the config's directory.
  auto d = parse("agents: {}\n");
  ASSERT_TRUE(d.cfg) << texts(d)[0];
  EXPECT_EQ(d.cfg->host.media.cache_dir, "/etc/patchbay/media");
}

TEST_F(ConfigTest, MediaIsRead) {
  auto r = parse(
      "host:\n  media:\n    max_bytes: 1000\n    cache_dir: cache/m\n"
      "    cache_max_bytes: 2097152\n    cache_ttl_s: 60\n    url_ttl_s: 30\n"
      "    fetch_timeout_ms: 500\n    outbound: {max_redirects: 1}\n");
  ASSERT_TRUE(r.cfg) << texts(r)[0];
  const auto& m = r.cfg->host.media;
  EXPECT_EQ(m.max_bytes, 1000U);
  EXPECT_EQ(m.cache_dir, "/etc/patchbay/cache/m");
  EXPECT_EQ(m.cache_max_bytes, 2097152U);
  EXPECT_EQ(m.cache_ttl, std::chrono::seconds(60));
  EXPECT_EQ(m.url_ttl, std::chrono::seconds(30));
  EXPECT_EQ(m.fetch_timeout, std::chrono::milliseconds(500));
}

TEST_F(ConfigTest, BadMediaIsReported) {
  EXPECT_EQ(
      errors_of("host:\n  media:\n    max_bytes: 0\n    cache_dir: \"\"\n"
                "    cache_max_bytes: 10\n    cache_ttl_s: x\n    url_ttl_s: 0\n"
                "    fetch_timeout_ms: 10\n    urls: 3\n"),
      (strings{"test.yaml:3:16: host.media.max_bytes: expected a number of bytes from 1 to "
               "1099511627776 (1 TiB), got '0'",
               "test.yaml:4:16: host.media.cache_dir: empty directory path",
               "test.yaml:5:22: host.media.cache_max_bytes: expected a number of bytes from "
               "1048576 (1 MiB) to 1099511627776 (1 TiB), got '10'",
               "test.yaml:6:18: host.media.cache_ttl_s: expected a number of seconds from 1 to "
               "604800, got 'x'",
               "test.yaml:7:16: host.media.url_ttl_s: expected a number of seconds from 1 to "
               "604800, got '0'",
               "test.yaml:8:23: host.media.fetch_timeout_ms: expected a number of milliseconds "
               "from 100 to 3600000, got '10'",
               "test.yaml:9:5: host.media.urls: unknown key 'urls' (expected one of: max_bytes, "
               "cache_dir, cache_max_bytes, cache_ttl_s, url_ttl_s, fetch_timeout_ms, outbound)"}));
}

}  // namespace
}  // namespace pbtest
