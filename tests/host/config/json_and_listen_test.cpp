// How `config:` values become JSON, and which listen addresses are accepted.
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

// config_json of a channel whose config is `{v: <scalar>}`.
std::string config_value(const std::string& scalar) {
  const auto r = parse(
      "agents: {e: {type: echo}}\nchannels:\n  - id: c\n    plugin: p\n"
      "    agent: e\n    config:\n      v: " +
      scalar + "\n");
  EXPECT_TRUE(r.cfg) << scalar << ::testing::PrintToString(texts(r));
  if (!r.cfg) return "";
  const std::string& json = r.cfg->channels[0].config_json;
  return json.substr(5, json.size() - 6);  // strip {"v": and }
}

TEST_F(ConfigTest, PlainScalarsAreTyped) {
  EXPECT_EQ(config_value("42"), "42");
  EXPECT_EQ(config_value("-7"), "-7");
  EXPECT_EQ(config_value("+7"), "7");
  EXPECT_EQ(config_value("0"), "0");
  EXPECT_EQ(config_value("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(config_value("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(config_value("2.5"), "2.5E0");
  EXPECT_EQ(config_value("-1e3"), "-1E3");
  EXPECT_EQ(config_value(".5"), "5E-1");
  EXPECT_EQ(config_value("true"), "true");
  EXPECT_EQ(config_value("False"), "false");
  EXPECT_EQ(config_value("null"), "null");
  EXPECT_EQ(config_value("~"), "null");
  EXPECT_EQ(config_value(""), "null");
  EXPECT_EQ(config_value("hello world"), R"("hello world")");
}

TEST_F(ConfigTest, AmbiguousPlainScalarsStayStrings) {
  EXPECT_EQ(config_value("007"), R"("007")");
  EXPECT_EQ(config_value("0x1F"), R"("0x1F")");
  EXPECT_EQ(config_value("1_000"), R"("1_000")");
  EXPECT_EQ(config_value("18446744073709551616"), R"("18446744073709551616")");
  EXPECT_EQ(config_value("-9223372036854775809"), R"("-9223372036854775809")");
  EXPECT_EQ(config_value(".inf"), R"(".inf")");
  EXPECT_EQ(config_value("1e999"), R"("1e999")");
  EXPECT_EQ(config_value("yes"), R"("yes")");
  EXPECT_EQ(config_value("1.2.3"), R"("1.2.3")");
  EXPECT_EQ(config_value("."), R"(".")");
  EXPECT_EQ(config_value("1e"), R"("1e")");
  EXPECT_EQ(config_value("2024-01-01"), R"("2024-01-01")");
}

TEST_F(ConfigTest, QuotedAndBlockScalarsAreStrings) {
  EXPECT_EQ(config_value("\"42\""), R"("42")");
  EXPECT_EQ(config_value("'true'"), R"("true")");
  EXPECT_EQ(config_value("\"\""), R"("")");
  EXPECT_EQ(config_value("!!str 42"), R"("42")");
  EXPECT_EQ(config_value("|\n        line one\n        line two"), R"("line one\nline two\n")");
}

TEST_F(ConfigTest, InterpolatedPlainScalarsAreTypedByTheirText) {
  fake_env() = {{"N", "8080"}, {"B", "true"}, {"S", "abc"}, {"Z", "null"}, {"E", ""}};
  EXPECT_EQ(config_value("${N}"), "8080");
  EXPECT_EQ(config_value("${B}"), "true");
  EXPECT_EQ(config_value("${S}"), R"("abc")");
  EXPECT_EQ(config_value("${Z}"), "null");
  EXPECT_EQ(config_value("${E}"), R"("")");  // an empty expansion is an empty string
  EXPECT_EQ(config_value("${UNSET:-12}"), "12");
  EXPECT_EQ(config_value("\"${N}\""), R"("8080")");
  EXPECT_EQ(config_value("${N}0"), "80800");
}

TEST_F(ConfigTest, NestedStructuresAndKeys) {
  EXPECT_EQ(config_value("{a: [1, {b: [x, \"y\"]}], 2: two, \"k k\": {}}"),
            R"({"a":[1,{"b":["x","y"]}],"2":"two","k k":{}})");
  EXPECT_EQ(config_value("[]"), "[]");
}

// With a token, so that only the address's syntax decides (see ListenBeyondLoopbackNeedsAToken).
bool listen_ok(const std::string& addr) {
  const auto r = parse("host: {listen: \"" + addr + "\", api_tokens: [t]}\n");
  return r.cfg.has_value();
}

TEST_F(ConfigTest, ListenBeyondLoopbackNeedsAToken) {
  for (const char* addr : {"127.0.0.1:8780", "127.9.8.7:1", "localhost:1", "[::1]:8780"})
    EXPECT_TRUE(parse("host: {listen: \"" + std::string(addr) + "\"}\n").cfg) << addr;
  for (const char* addr : {"0.0.0.0:8780", "[::]:0", "10.0.0.1:80", "gw.example.com:443",
                           "128.0.0.1:80", "[::ffff:127.0.0.1]:1"}) {
    EXPECT_EQ(errors_of("host:\n  listen: \"" + std::string(addr) + "\"\n"),
              strings{"test.yaml:2:11: host.listen: the API would be reachable beyond this machine "
                      "without a token: set host.api_tokens (e.g. [\"${PATCHBAY_TOKEN}\"]) or "
                      "listen on 127.0.0.1"})
        << addr;
    EXPECT_TRUE(parse("host: {listen: \"" + std::string(addr) + "\", api_tokens: [t]}\n").cfg)
        << addr;
  }
}

TEST_F(ConfigTest, ListenAcceptsHostPortForms) {
  for (const char* addr : {"127.0.0.1:8780", "0.0.0.0:0", "localhost:1", "gw.example.com:65535",
                           "a-b.c:80", "example.com.:443", "[::1]:8780", "[::]:0",
                           "[fe80::1%eth0]:80", "[::ffff:192.0.2.1]:1", "10.0.0.1:00080"}) {
    EXPECT_TRUE(listen_ok(addr)) << addr;
  }
}

TEST_F(ConfigTest, ListenRejectsMalformedAddresses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty address"},
      {"localhost", "missing ':port'"},
      {"localhost:", "missing port after ':'"},
      {":8780", "missing host before ':'"},
      {"127.0.0.1:65536", "port must be a number from 0 to 65535"},
      {"127.0.0.1:-1", "port must be a number from 0 to 65535"},
      {"127.0.0.1:http", "port must be a number from 0 to 65535"},
      {"127.0.0.1:123456", "port must be a number from 0 to 65535"},
      {"256.0.0.1:80", "invalid IPv4 address"},
      {"1.2.3:80", "invalid IPv4 address"},
      {"::1:80", "an IPv6 address must be written in brackets"},
      {"[::1:80", "missing ']' after the IPv6 address"},
      {"[::g]:80", "invalid IPv6 address"},
      {"[1.2.3.4]:80", "invalid IPv6 address"},
      {"[::1]80", "missing ':port'"},
      {"[::1]", "missing ':port'"},
      {"bad_host:80", "invalid host name"},
      {"-a.com:80", "invalid host name"},
      {"a..b:80", "invalid host name"},
      {"http://x:80", "a URL is not a listen address"},
  };
  for (const auto& [addr, reason] : cases) {
    const auto r = parse("host: {listen: \"" + addr + "\"}\n");
    ASSERT_EQ(r.errors.size(), 1u) << addr;
    EXPECT_EQ(r.errors[0].message, "invalid listen address '" + addr + "': " + reason +
                                       " (expected host:port, e.g. 127.0.0.1:8780 or [::1]:8780)");
    EXPECT_EQ(r.errors[0].to_string().substr(0, 29), "test.yaml:1:16: host.listen: ") << addr;
  }
}

}  // namespace
}  // namespace pbtest
