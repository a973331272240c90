// The command line as an operator uses it: exit codes and messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "child_process.hpp"

namespace {
namespace fs = std::filesystem;

struct cli_result {
  int rc;
  std::string out, err;
};

cli_result run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), PB_PATCHBAY_BIN);
  cli_result r;
  r.rc = pbtest::run_command(std::move(args), r.out, r.err, std::move(env));
  return r;
}

fs::path write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("pb_cli_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p) << text;
  return p;
}

TEST(Cli, VersionAndUsage) {
  auto v = run({"version"});
  EXPECT_EQ(v.rc, 0);
  EXPECT_NE(v.out.find("plugin ABI 1.4"), std::string::npos);
  EXPECT_EQ(run({}).rc, 2);
  EXPECT_EQ(run({"frobnicate"}).rc, 2);
  EXPECT_EQ(run({"run"}).rc, 2);
}

TEST(Cli, CheckConfigReportsPositionsAndRefusedPlugins) {
  auto bad = write_temp("bad.yaml",
                        "host:\n  listen: \"127.0.0.1:8780\"\n  bogus: 1\n"
                        "agents:\n  echo: { type: echo }\n"
                        "channels:\n  - id: a\n    plugin: good\n    agent: missing\n");
  auto r = run({"check-config", bad.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find(bad.string() + ":3:3: host.bogus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("channels[0].agent"), std::string::npos) << r.err;

  auto unknown =
      write_temp("unknown.yaml", "host:\n  plugin_dirs: [\"" PB_ZOO_DIR
                                 "\"]\n"
                                 "agents:\n  echo: { type: echo }\n"
                                 "channels:\n  - id: a\n    plugin: good\n    agent: echo\n"
                                 "  - id: b\n    plugin: zoo_newer_minor\n    agent: echo\n"
                                 "  - id: c\n    plugin: nosuch\n    agent: echo\n");
  r = run({"check-config", unknown.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find(unknown.string() + ":10:13: channels[1].plugin: plugin refused: plugin "
                                          "needs ABI 1.5"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(":13:13: channels[2].plugin: plugin refused: plugin 'nosuch' not found"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("channels[0]"), std::string::npos) << r.err;

  auto good = write_temp("good.yaml", "host:\n  plugin_dirs: [\"" PB_ZOO_DIR
                                      "\"]\n"
                                      "agents:\n  echo: { type: echo }\n"
                                      "channels:\n  - id: a\n    plugin: good\n    agent: echo\n");
  r = run({"check-config", good.string()});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("OK (1 channel(s), 1 agent(s))"), std::string::npos);
  for (auto& p : {bad, unknown, good}) fs::remove(p);
}

TEST(Cli, CheckConfigNeverPrintsSecrets) {
  auto f = write_temp("secret.yaml",
                      "host:\n  shutdown_timeout_ms: ${PB_SECRET}\n"
                      "  listen: ${PB_SECRET}\n");
  auto r = run({"check-config", f.string()}, {{"PB_SECRET", "hunter2-very-secret"}});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos);
  fs::remove(f);
}

TEST(Cli, ExampleConfigsAreValid) {
  auto r = run({"check-config", PB_EXAMPLES_DIR "/patchbay.yaml"},
               {{"PATCHBAY_PLUGIN_PATH", PB_PLUGIN_DIR}});
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run({"check-config", PB_EXAMPLES_DIR "/minimal.yaml"});
  EXPECT_EQ(r.rc, 0) << r.err;
}

TEST(Cli, PluginsListsLoadedAndRefused) {
  auto r = run({"plugins", PB_ZOO_DIR});
  EXPECT_EQ(r.rc, 1);  // the zoo has refused plugins
  EXPECT_NE(r.out.find("ok      " PB_ZOO_DIR "/patchbay_good.so name=good version=1.2.3 abi=1.4"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("refused " PB_ZOO_DIR "/patchbay_zoo_no_entry.so entry symbol"),
            std::string::npos)
      << r.out;
  auto shipped = run({"plugins", PB_PLUGIN_DIR});
  EXPECT_EQ(shipped.rc, 0) << shipped.out;
  for (const char* name : {"feishu", "lark", "weixin", "nyxid"})
    EXPECT_NE(shipped.out.find(std::string("name=") + name), std::string::npos) << shipped.out;
  auto json = run({"plugins", "--json", PB_PLUGIN_DIR});
  EXPECT_EQ(json.out.front(), '[');
}

TEST(Cli, StatusAgainstNothingIsExitThree) {
  auto r = run({"status", "--url", "http://127.0.0.1:1"});
  EXPECT_EQ(r.rc, 3);
  EXPECT_NE(r.err.find("cannot reach"), std::string::npos);
}

}  // namespace
