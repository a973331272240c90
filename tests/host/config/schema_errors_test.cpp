// Errors in the document as a whole, the host section and agents: exact file:line:col, path, text.
#include "test_support.hpp"

namespace pbtest {
namespace {

using namespace patchbay::config;
using strings = std::vector<std::string>;

TEST_F(ConfigTest, MissingFileIsOneErrorAtLineZero) {
  const std::string path = data_path("does-not-exist.yaml");
  const auto r = load_config(path, &fake_lookup);
  ASSERT_FALSE(r.cfg);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].pos.file, path);
  EXPECT_EQ(r.errors[0].pos.line, 0);
  EXPECT_EQ(r.errors[0].to_string(), path + ": cannot read config file: No such file or directory");
}

TEST_F(ConfigTest, DirectoryInsteadOfFile) {
  const auto r = load_config(data_dir(), &fake_lookup);
  EXPECT_EQ(texts(r), strings{data_dir() + ": cannot read config file: is a directory"});
}

TEST_F(ConfigTest, YamlSyntaxErrorIsOneErrorWithItsMark) {
  const auto r = load_config(data_path("syntax_error.yaml"), &fake_lookup);
  EXPECT_EQ(texts(r), strings{data_path("syntax_error.yaml") +
                              ":4:7: YAML syntax error: end of sequence flow not found"});
}

TEST_F(ConfigTest, InlineSyntaxError) {
  EXPECT_EQ(errors_of("host: {listen: x: y}\n"),
            strings{"test.yaml:1:17: YAML syntax error: end of map flow not found"});
}

TEST_F(ConfigTest, RootMustBeAMap) {
  EXPECT_EQ(errors_of("- a\n- b\n"),
            strings{"test.yaml:1:1: expected a map with the sections host, agents and channels, "
                    "got a list"});
}

TEST_F(ConfigTest, OnlyOneDocument) {
  EXPECT_EQ(
      errors_of("host: {}\n---\nagents: {}\n"),
      strings{"test.yaml:3:1: more than one YAML document (a config file holds exactly one)"});
}

TEST_F(ConfigTest, UnknownKeysAtEveryLevel) {
  EXPECT_EQ(errors_of("hots: {}\n"
                      "host:\n"
                      "  lisen: 1\n"
                      "  state: {engine: sqlite, file: x}\n"
                      "  log: {colour: true}\n"),
            (strings{
                "test.yaml:1:1: hots: unknown key 'hots' (expected one of: host, agents, channels, "
                "identity)",
                "test.yaml:3:3: host.lisen: unknown key 'lisen' (expected one of: listen, "
                "plugin_dirs, state, api_tokens, log, shutdown_timeout_ms, turn_timeout_ms, "
                "sse_keepalive_ms, http, metrics, health, media, admission, replica)",
                "test.yaml:4:27: host.state.file: unknown key 'file' (expected one of: engine, "
                "path, url)",
                "test.yaml:5:9: host.log.colour: unknown key 'colour' (expected one of: format, "
                "level)",
            }));
}

TEST_F(ConfigTest, WrongTypesInHost) {
  EXPECT_EQ(errors_of("host:\n"
                      "  listen: {a: 1}\n"
                      "  plugin_dirs: ./plugins\n"
                      "  state: sqlite\n"
                      "  api_tokens: [[a], \"\"]\n"
                      "  log: [text]\n"
                      "  shutdown_timeout_ms: abc\n"),
            (strings{
                "test.yaml:2:11: host.listen: expected a string, got a map",
                "test.yaml:3:16: host.plugin_dirs: expected a list of directories, got a string",
                "test.yaml:4:10: host.state: expected a map, got a string",
                "test.yaml:5:16: host.api_tokens[0]: expected a string, got a list",
                "test.yaml:5:21: host.api_tokens[1]: empty API token",
                "test.yaml:6:8: host.log: expected a map, got a list",
                "test.yaml:7:24: host.shutdown_timeout_ms: expected a positive number of "
                "milliseconds (at most 86400000), got 'abc'",
            }));
}

TEST_F(ConfigTest, EmptyValueIsReportedAtItsKey) {
  EXPECT_EQ(errors_of("host:\n  listen:\n  log: {level: ~}\n"),
            (strings{
                "test.yaml:2:3: host.listen: expected a string, got an empty value",
                "test.yaml:3:9: host.log.level: expected a string, got an empty value",
            }));
}

TEST_F(ConfigTest, TimeoutRange) {
  for (const std::string bad : {"0", "-5", "86400001", "1.5", "10s", "99999999999999999999"}) {
    EXPECT_EQ(errors_of("host: {shutdown_timeout_ms: " + bad + "}\n"),
              strings{"test.yaml:1:29: host.shutdown_timeout_ms: expected a positive number of "
                      "milliseconds (at most 86400000), got '" +
                      bad + "'"})
        << bad;
  }
  const auto r = parse("host: {shutdown_timeout_ms: 86400000}\n");
  ASSERT_TRUE(r.cfg);
  EXPECT_EQ(r.cfg->host.shutdown_timeout, std::chrono::milliseconds(86'400'000));
}

TEST_F(ConfigTest, ChoicesInHost) {
  EXPECT_EQ(errors_of("host:\n"
                      "  state: {engine: mysql}\n"
                      "  log: {format: xml, level: verbose}\n"),
            (strings{
                "test.yaml:2:19: host.state.engine: unknown state engine 'mysql' (expected one "
                "of: sqlite, postgres)",
                "test.yaml:3:17: host.log.format: unknown log format 'xml' (expected one of: "
                "text, json)",
                "test.yaml:3:29: host.log.level: unknown log level 'verbose' (expected one of: "
                "trace, debug, info, warn, error)",
            }));
}

TEST_F(ConfigTest, StateEngineKeys) {
  EXPECT_EQ(errors_of("host:\n  state:\n    engine: postgres\n    path: x.db\n"),
            (strings{
                "test.yaml:3:5: host.state: missing required key 'url' (engine postgres needs a "
                "connection string)",
                "test.yaml:4:5: host.state.path: 'path' is only used with engine sqlite",
            }));
  EXPECT_EQ(errors_of("host:\n  state: {url: \"postgres://x\"}\n"),
            strings{"test.yaml:2:11: host.state.url: 'url' is only used with engine postgres"});
  EXPECT_EQ(errors_of("host:\n  state: {engine: postgres, url: \"\"}\n"),
            strings{"test.yaml:2:34: host.state.url: empty connection string"});
  EXPECT_EQ(errors_of("host:\n  state: {path: \"\"}\n"),
            strings{"test.yaml:2:17: host.state.path: empty database path"});
}

TEST_F(ConfigTest, AgentErrors) {
  EXPECT_EQ(errors_of("agents:\n"
                      "  good: {type: echo}\n"
                      "  bad name: {type: echo}\n"
                      "  robot: {type: robot}\n"
                      "  untyped: {url: x}\n"
                      "  empty:\n"
                      "  listy: [echo]\n"),
            (strings{
                "test.yaml:3:3: agents.bad name: invalid agent name 'bad name' (allowed: "
                "letters, digits, '_' and '-')",
                "test.yaml:4:17: agents.robot.type: unknown agent type 'robot' (expected one of: "
                "echo, http, openai, process, callback)",
                "test.yaml:5:12: agents.untyped: missing required key 'type'",
                "test.yaml:6:3: agents.empty: missing required key 'type'",
                "test.yaml:7:10: agents.listy: expected a map with a 'type' key, got a list",
            }));
  EXPECT_EQ(errors_of("agents: [echo]\n"),
            strings{"test.yaml:1:9: agents: expected a map of agents (name: {type: ...}), got a "
                    "list"});
}

TEST_F(ConfigTest, DuplicateKeysAreDetected) {
  const auto r = load_config(data_path("duplicate_keys.yaml"), &fake_lookup);
  const std::string f = data_path("duplicate_keys.yaml");
  EXPECT_EQ(texts(r), (strings{
                          f + ":3:3: host.listen: duplicate key 'listen' (first at line 2)",
                          f + ":6:3: agents.echo: duplicate key 'echo' (first at line 5)",
                          f + ":13:7: channels[0].config.app_id: duplicate key 'app_id' (first "
                              "at line 12)",
                          f + ":14:1: host: duplicate key 'host' (first at line 1)",
                      }));
}

TEST_F(ConfigTest, NonStringKeys) {
  EXPECT_EQ(errors_of("host:\n  [a, b]: 1\n"),
            strings{"test.yaml:2:3: host: keys must be strings, got a list"});
}

TEST_F(ConfigTest, ToStringFormats) {
  config_error e{{"f.yaml", 3, 7}, "a.b", "bad"};
  EXPECT_EQ(e.to_string(), "f.yaml:3:7: a.b: bad");
  e.path.clear();
  EXPECT_EQ(e.to_string(), "f.yaml:3:7: bad");
  e.pos.line = 0;
  EXPECT_EQ(e.to_string(), "f.yaml: bad");
}

}  // namespace
}  // namespace pbtest
