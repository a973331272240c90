// ${ENV}, ${ENV:-default}, ${file:PATH} and $${ in scalar values, and their errors.
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

// The value of one agent option after interpolation (as a JSON string).
std::string option(const std::string& scalar, const std::string& base = "/etc/patchbay") {
  const auto r = parse("agents:\n  a:\n    type: echo\n    v: " + scalar + "\n", base);
  EXPECT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  return r.cfg ? r.cfg->agents[0].options_json : "";
}

TEST_F(ConfigTest, EnvironmentVariables) {
  fake_env() = {{"HOST", "db.example"}, {"PORT", "5432"}, {"EMPTY", ""}};
  EXPECT_EQ(option("\"${HOST}\""), R"({"v":"db.example"})");
  EXPECT_EQ(option("\"pg://${HOST}:${PORT}/x\""), R"({"v":"pg://db.example:5432/x"})");
  EXPECT_EQ(option("\"${EMPTY}\""), R"({"v":""})");
  EXPECT_EQ(option("'${HOST}'"), R"({"v":"db.example"})");
}

TEST_F(ConfigTest, Defaults) {
  fake_env() = {{"SET", "value"}, {"EMPTY", ""}};
  EXPECT_EQ(option("\"${UNSET:-fallback}\""), R"({"v":"fallback"})");
  EXPECT_EQ(option("\"${EMPTY:-fallback}\""), R"({"v":"fallback"})");
  EXPECT_EQ(option("\"${SET:-fallback}\""), R"({"v":"value"})");
  EXPECT_EQ(option("\"${UNSET:-}\""), R"({"v":""})");
  EXPECT_EQ(option("\"${UNSET:-http://h:1/p}\""), R"({"v":"http://h:1/p"})");
  // A default is literal text: no nested references.
  EXPECT_EQ(option("\"${UNSET:-$HOME}\""), R"({"v":"$HOME"})");
}

TEST_F(ConfigTest, EscapesAndLoneDollars) {
  fake_env() = {{"X", "x"}};
  EXPECT_EQ(option("\"$${X}\""), R"({"v":"${X}"})");
  EXPECT_EQ(option("\"$${X} and ${X}\""), R"({"v":"${X} and x"})");
  EXPECT_EQ(option("\"$$${X}\""), R"({"v":"$${X}"})");
  EXPECT_EQ(option("\"cost: $5, $$ and $\""), R"({"v":"cost: $5, $$ and $"})");
  EXPECT_EQ(option("\"$${unterminated\""), R"({"v":"${unterminated"})");
  EXPECT_EQ(option("\"{X}\""), R"({"v":"{X}"})");
}

TEST_F(ConfigTest, FileReferences) {
  const std::string dir = data_dir();
  EXPECT_EQ(option("\"${file:secrets/token.txt}\"", dir), R"({"v":"file-token"})");
  EXPECT_EQ(option("\"${file:" + dir + "/secrets/token.txt}\""), R"({"v":"file-token"})");
  EXPECT_EQ(option("\"${file:./secrets/../secrets/no_newline.txt}\"", dir),
            R"({"v":"no-newline"})");
  // Only one trailing newline is stripped; CRLF counts as one.
  EXPECT_EQ(option("\"${file:secrets/two_newlines.txt}\"", dir), R"({"v":"two-newlines\n"})");
  EXPECT_EQ(option("\"${file:secrets/crlf.txt}\"", dir), R"({"v":"crlf-secret"})");
  EXPECT_EQ(option("\"Bearer ${file:secrets/token.txt}\"", dir), R"({"v":"Bearer file-token"})");
}

TEST_F(ConfigTest, InterpolationErrors) {
  EXPECT_EQ(errors_of("agents:\n"
                      "  a:\n"
                      "    type: echo\n"
                      "    missing: \"${NOPE}\"\n"
                      "    two: \"${NOPE1}-${NOPE2}\"\n"
                      "    open: \"${NOPE\"\n"
                      "    empty: \"${}\"\n"
                      "    bad: \"${1X}\"\n"
                      "    nodash: \"${X:default}\"\n"
                      "    nofile: \"${file:}\"\n"),
            (strings{
                "test.yaml:4:14: agents.a.missing: environment variable NOPE is not set",
                "test.yaml:5:10: agents.a.two: environment variable NOPE1 is not set",
                "test.yaml:5:10: agents.a.two: environment variable NOPE2 is not set",
                "test.yaml:6:11: agents.a.open: unterminated '${' (missing '}'; write '$${' for "
                "a literal '${')",
                "test.yaml:7:12: agents.a.empty: invalid reference '${}' (expected ${NAME}, "
                "${NAME:-default} or ${file:PATH})",
                "test.yaml:8:10: agents.a.bad: invalid reference '${1X}' (expected ${NAME}, "
                "${NAME:-default} or ${file:PATH})",
                "test.yaml:9:13: agents.a.nodash: invalid reference '${X:default}' (expected "
                "${NAME}, ${NAME:-default} or ${file:PATH})",
                "test.yaml:10:13: agents.a.nofile: empty path in '${file:}' (expected "
                "${file:PATH})",
            }));
}

TEST_F(ConfigTest, MissingSecretFileNamesTheResolvedPath) {
  EXPECT_EQ(errors_of("host:\n  api_tokens: [\"${file:secrets/nope.txt}\"]\n"),
            strings{"test.yaml:2:16: host.api_tokens[0]: cannot read secret file "
                    "'/etc/patchbay/secrets/nope.txt': No such file or directory"});
  const auto r = parse("host: {api_tokens: [\"${file:secrets}\"]}\n", data_dir());
  EXPECT_EQ(texts(r), strings{"test.yaml:1:21: host.api_tokens[0]: cannot read secret file '" +
                              data_dir() + "/secrets': is a directory"});
}

TEST_F(ConfigTest, InterpolationAppliesEverywhere) {
  fake_env() = {
      {"ADDR", "0.0.0.0:9"}, {"DIR", "/srv/plugins"}, {"ENGINE", "sqlite"}, {"DB", "/var/db/pb.db"},
      {"TOK", "t0k"},        {"FMT", "json"},         {"MS", "250"},        {"TYPE", "http"},
      {"ID", "ch-1"},        {"PLUGIN", "lark"},      {"AGENT", "a"},       {"ON", "false"},
      {"DEEP", "d"}};
  const auto r = parse(
      "host:\n"
      "  listen: ${ADDR}\n"
      "  plugin_dirs: [\"${DIR}\"]\n"
      "  state: {engine: \"${ENGINE}\", path: \"${DB}\"}\n"
      "  api_tokens: [\"${TOK}\"]\n"
      "  log: {format: \"${FMT}\", level: \"${LEVEL:-warn}\"}\n"
      "  shutdown_timeout_ms: ${MS}\n"
      "agents:\n"
      "  a: {type: \"${TYPE}\", url: \"${URL:-http://u}\"}\n"
      "channels:\n"
      "  - id: ${ID}\n"
      "    plugin: ${PLUGIN}\n"
      "    agent: ${AGENT}\n"
      "    enabled: ${ON}\n"
      "    config: {list: [{x: \"${DEEP}\"}], \"${KEY}\": 1}\n");
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  const config& c = *r.cfg;
  EXPECT_EQ(c.host.listen, "0.0.0.0:9");
  EXPECT_EQ(c.host.plugin_dirs, strings{"/srv/plugins"});
  EXPECT_EQ(c.host.state.path, "/var/db/pb.db");
  EXPECT_EQ(c.host.api_tokens, strings{"t0k"});
  EXPECT_EQ(c.host.log.format, log_format::json);
  EXPECT_EQ(c.host.log.level, "warn");
  EXPECT_EQ(c.host.shutdown_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c.agents[0].type, "http");
  EXPECT_EQ(c.agents[0].options_json, R"({"url":"http://u"})");
  EXPECT_EQ(c.channels[0].id, "ch-1");
  EXPECT_EQ(c.channels[0].plugin, "lark");
  EXPECT_EQ(c.channels[0].agent, "a");
  EXPECT_FALSE(c.channels[0].enabled);
  // Keys are not interpolated: only values are.
  EXPECT_EQ(c.channels[0].config_json, R"({"list":[{"x":"d"}],"${KEY}":1})");
}

TEST_F(ConfigTest, ProcessEnvironmentIsTheDefaultLookup) {
  ::setenv("PB_CONFIG_TEST_REAL_ENV", "from-process", 1);  // NOLINT(concurrency-mt-unsafe)
  const auto r =
      parse_config("agents: {a: {type: echo, v: \"${PB_CONFIG_TEST_REAL_ENV}\"}}\n", "t.yaml", "/");
  ::unsetenv("PB_CONFIG_TEST_REAL_ENV");  // NOLINT(concurrency-mt-unsafe)
  ASSERT_TRUE(r.cfg) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.cfg->agents[0].options_json, R"({"v":"from-process"})");
}

}  // namespace
}  // namespace pbtest
