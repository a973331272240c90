// Plugin files as an operator handles them, with the real binary: a plugin cut short (a real
// built plugin truncated to 300 KB, as a copy still under way) or garbage is refused by `run`,
// `check-config` and `plugins` with one clear line and a normal exit code (never SIGBUS, 135);
// a plugin copied into a plugin directory (safely: temporary name, then rename) is used by a
// reload; replacing the file of a loaded plugin is refused at the next (re)start of a channel on
// it ("restart the host"), and the running channel keeps going.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <boost/json.hpp>

#include "host_fixture.hpp"

namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
using pbtest::host_fixture;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() /
           ("pb_plugfiles_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  static int& counter() {
    static int c = 0;
    return c;
  }
  // <dir>/patchbay_<name>.so holding `bytes`, written to a temporary name and renamed into place.
  std::string put(const std::string& name, const std::string& bytes) const {
    fs::path tmp = path / (".patchbay_" + name + ".so.tmp");
    std::ofstream(tmp, std::ios::binary | std::ios::trunc) << bytes;
    fs::path final_path = path / ("patchbay_" + name + ".so");
    fs::rename(tmp, final_path);
    return final_path.string();
  }
};

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

const std::string truncated_line = "truncated or not a complete ELF shared object (size 307200";

TEST(PluginFiles, TruncatedOrGarbagePluginIsRefusedByEveryCommandNeverCrashes) {
  temp_dir d;
  const std::string whole = slurp(PB_PLUGIN_DIR "/patchbay_feishu.so");
  ASSERT_GT(whole.size(), 300u * 1024);
  const std::string cut = d.put("cut", whole.substr(0, 300 * 1024));

  // plugins DIR
  std::string out, err;
  int rc = pbtest::run_command({PB_PATCHBAY_BIN, "plugins", d.path.string()}, out, err);
  EXPECT_EQ(rc, 1) << out << err;
  EXPECT_EQ(count(out, "refused " + cut + " " + truncated_line), 1u) << out;
  EXPECT_NE(out.find("fix: copy the file to a temporary name in the same directory, then rename"),
            std::string::npos)
      << out;

  // check-config
  const fs::path cfg = d.path / "patchbay.yaml";
  std::ofstream(cfg) << "channels:\n  - id: cutty\n    plugin: \"" << cut
                     << "\"\n    agent: echo\nagents:\n  echo: { type: echo }\n";
  out.clear();
  err.clear();
  rc = pbtest::run_command({PB_PATCHBAY_BIN, "check-config", cfg.string()}, out, err);
  EXPECT_EQ(rc, 1) << out << err;
  EXPECT_EQ(count(err, truncated_line), 1u) << err;

  // run: the channel is refused with one line, the host keeps running and stops cleanly.
  host_fixture h("  - id: cutty\n    plugin: \"" + cut + "\"\n    agent: echo\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  EXPECT_TRUE(h.wait_status("/healthz", 200));
  const std::string log = h.wait_for_log("not ready");
  EXPECT_EQ(
      count(log, R"("channel":"cutty","msg":"plugin refused: )" + cut + ": " + truncated_line), 1u)
      << log;
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0) << h.logs();

  // Garbage with an ELF magic: refused the same way.
  std::string junk =
      "\x7f"
      "ELF";
  junk.append(100000, '\x5a');
  const std::string junk_file = d.put("junk", junk);
  out.clear();
  err.clear();
  rc = pbtest::run_command({PB_PATCHBAY_BIN, "plugins", d.path.string()}, out, err);
  EXPECT_EQ(rc, 1) << out << err;
  EXPECT_NE(out.find("refused " + junk_file + " "), std::string::npos) << out;
}

// `patchbay reload` with the API token; returns the exit code, stdout in `out`.
int reload(const host_fixture& h, std::string& out) {
  std::string err;
  out.clear();
  int rc = pbtest::run_command({PB_PATCHBAY_BIN, "reload", "--url", h.base}, out, err,
                               {{"PATCHBAY_TOKEN", pbtest::token}});
  out += err;
  return rc;
}

TEST(PluginFiles, DroppedInPluginIsUsedByAReloadAndAReplacedOneNeedsARestart) {
  temp_dir drop;
  host_fixture h("  - id: first\n    plugin: good\n    agent: echo\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  // The new config searches the drop-in directory too and adds a channel on `dropin`.
  const fs::path cfg = h.dir / "patchbay.yaml";
  std::string text = pbtest::read_file(cfg.string());
  const std::string zoo_dirs = "plugin_dirs: [\"" PB_ZOO_DIR "\"]";
  text.replace(text.find(zoo_dirs), zoo_dirs.size(),
               "plugin_dirs: [\"" PB_ZOO_DIR "\", \"" + drop.path.string() + "\"]");
  text += "  - id: late\n    plugin: dropin\n    agent: echo\n";
  std::ofstream(cfg) << text;

  // A copy still under way: the reload applies, `late` is not running, with the reason.
  const std::string good = slurp(PB_ZOO_DIR "/patchbay_good.so");
  const std::string file = drop.put("dropin", good.substr(0, good.size() / 2));
  std::string out;
  EXPECT_EQ(reload(h, out), 1) << out;
  EXPECT_NE(out.find("added:           late"), std::string::npos) << out;
  EXPECT_NE(out.find("not running:     late: " + file + ": truncated"), std::string::npos) << out;
  EXPECT_EQ(h.get("/healthz").status, 200u);
  // Configured but not running: its hooks answer 503 (retry later), not 404.
  auto hook = h.post("/hooks/late", "{}", false);
  EXPECT_EQ(hook.status, 503u) << hook.body;
  EXPECT_NE(hook.body.find("channel_not_running"), std::string::npos) << hook.body;

  // The finished copy renamed into place: the next reload starts it.
  drop.put("dropin", good);
  EXPECT_EQ(reload(h, out), 0) << out;
  EXPECT_NE(out.find("retried:         late"), std::string::npos) << out;
  EXPECT_TRUE(h.wait_status("/readyz", 200)) << h.logs();

  // Another build moved over the loaded file, and `late` changed: the running instance is kept.
  drop.put("dropin", slurp(PB_ZOO_DIR "/patchbay_zoo_valid.so"));
  text = pbtest::read_file(cfg.string());
  const std::string late_entry = "plugin: dropin\n    agent: echo\n";
  text.replace(text.find(late_entry), late_entry.size(), late_entry + "    config: { v: 2 }\n");
  std::ofstream(cfg) << text;
  EXPECT_EQ(reload(h, out), 1) << out;
  EXPECT_NE(
      out.find("kept as before:  late: " + file + ": plugin file changed since it was loaded"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("restart the host to use the new build"), std::string::npos) << out;
  auto channels = json::parse(h.get("/v1/channels", pbtest::token).body);
  for (const auto& c : channels.at("channels").as_array()) {
    if (c.at("id").as_string() == "late") {
      EXPECT_EQ(c.at("state").as_string(), "connected");
    }
  }
  EXPECT_EQ(h.get("/readyz").status, 200u);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0) << h.logs();
}

}  // namespace
