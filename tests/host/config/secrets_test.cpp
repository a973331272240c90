// Interpolated values never appear in error messages: every check that can fail on an interpolated
// scalar quotes the reference as written, not what it expanded to.
#include "test_support.hpp"

#include <fstream>
#include <sstream>

namespace pbtest {
namespace {

using namespace patchbay::config;

// Spaces make them invalid as ids, plugin names, addresses... so every check fails on them.
const std::string env_secret = "ENV SECRET 7c1e";
const std::string file_secret = "FILE SECRET 9d2f";  // content of data/secrets/leak.txt

void expect_no_secret(const load_result& r) {
  ASSERT_FALSE(r.cfg);
  for (const auto& e : r.errors) {
    const std::string all = e.to_string() + "|" + e.path + "|" + e.message + "|" + e.pos.file;
    EXPECT_EQ(all.find(env_secret), std::string::npos) << all;
    EXPECT_EQ(all.find(file_secret), std::string::npos) << all;
    EXPECT_EQ(all.find("7c1e"), std::string::npos) << all;
    EXPECT_EQ(all.find("9d2f"), std::string::npos) << all;
  }
}

class Secrets : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    fake_env()["S"] = env_secret;
    fake_env()["EMPTY"] = "";
    fake_env()["DUP"] = "dup-id";
  }
};

// One failing use of the env secret and of the file secret per check.
const char* const leaky_yaml = R"(host:
  listen: "${S}"
  plugin_dirs: ["${EMPTY}"]
  state: {engine: "${S}"}
  api_tokens: ["${EMPTY:-}"]
  log: {format: "${S}", level: "${file:secrets/leak.txt}"}
  shutdown_timeout_ms: ${S}
agents:
  a: {type: "${S}", opt: "${S}"}
  b: {type: "${file:secrets/leak.txt}"}
channels:
  - id: "${S}"
    plugin: "${S}"
    agent: "${S}"
    enabled: ${S}
    config: {k: "${S}", n: [ "${S}" ]}
  - id: "x-${DUP}"
    plugin: "${file:secrets/leak.txt}"
    agent: "${file:secrets/leak.txt}"
    enabled: ${file:secrets/leak.txt}
  - id: "x-${DUP}"
    plugin: p
    agent: a
  - id: "${file:secrets/leak.txt}"
    plugin: p
    agent: a
)";

TEST_F(Secrets, NeverInErrorsOfInterpolatedValues) {
  const auto r = parse(leaky_yaml, data_dir());
  expect_no_secret(r);
  // Each failing check reported, each quoting the reference as written.
  const auto all = texts(r);
  std::ostringstream joined;
  for (const auto& e : all) joined << e << "\n";
  EXPECT_EQ(all.size(), 18u) << joined.str();
  for (const char* expected : {
           "host.listen: invalid listen address '${S}': missing ':port'",
           "host.plugin_dirs[0]: empty directory path",
           "host.state.engine: unknown state engine '${S}'",
           "host.api_tokens[0]: empty API token",
           "host.log.format: unknown log format '${S}'",
           "host.log.level: unknown log level '${file:secrets/leak.txt}'",
           "host.shutdown_timeout_ms: expected a positive number of milliseconds (at most "
           "86400000), got '${S}'",
           "agents.a.type: unknown agent type '${S}'",
           "agents.b.type: unknown agent type '${file:secrets/leak.txt}'",
           "channels[0].id: invalid channel id '${S}'",
           "channels[0].plugin: invalid plugin '${S}'",
           "channels[0].agent: unknown agent '${S}'",
           "channels[0].enabled: expected true or false, got '${S}'",
           "channels[1].plugin: invalid plugin '${file:secrets/leak.txt}'",
           "channels[1].agent: unknown agent '${file:secrets/leak.txt}'",
           "channels[1].enabled: expected true or false, got '${file:secrets/leak.txt}'",
           "channels[2].id: duplicate channel id 'x-${DUP}' (first defined at line 17)",
           "channels[3].id: invalid channel id '${file:secrets/leak.txt}'",
       }) {
    EXPECT_NE(joined.str().find(expected), std::string::npos) << expected << "\n" << joined.str();
  }
}

TEST_F(Secrets, NeverInListenProblems) {
  // Listen reasons describe the problem, never echo the text.
  for (const std::string value : {"SECRET_1:1", "[SECRET]:1", "1.2.3.4:SECRET", "SECRET",
                                  "a:b:SECRET", "999.1.1.1:SECRET", "[::1]SECRET"}) {
    fake_env()["S"] = value;
    const auto r = parse("host: {listen: \"${S}\"}\n");
    ASSERT_EQ(r.errors.size(), 1u) << value;
    EXPECT_EQ(r.errors[0].to_string().find("SECRET"), std::string::npos) << r.errors[0].to_string();
  }
}

TEST_F(Secrets, NeverInErrorsOfOtherScalarsInTheSameFile) {
  // Errors elsewhere (syntax-free but invalid) while secrets load fine: none leaks either.
  const auto r = parse(
      "host:\n  api_tokens: [\"${S}\"]\n  bogus: 1\n"
      "agents: {a: {type: openai, key: \"${S}\"}}\n"
      "channels:\n  - {id: c, plugin: p, agent: a, config: {secret: \"${S}\"}}\n"
      "  - {id: c, plugin: p, agent: a}\n");
  expect_no_secret(r);
  EXPECT_EQ(r.errors.size(), 2u);
}

TEST_F(Secrets, SecretFileContentNotInFileErrors) {
  // A file that exists but is a directory, and one that is missing: the path is named, and
  // nothing read from any file appears.
  const auto r =
      parse("host: {api_tokens: [\"${file:secrets}\", \"${file:secrets/leak.txt.missing}\"]}\n",
            data_dir());
  expect_no_secret(r);
  EXPECT_EQ(r.errors.size(), 2u);
}

}  // namespace
}  // namespace pbtest
