// The status page (GET /status) in headless Chromium against a real `patchbay run` with two
// channels on fake platforms: weixin on the fake iLink, feishu on the fake Feishu (TLS, long
// connection). The rendered rows name each channel, its plugin and `connected`; when the fake
// Feishu goes away its row turns `reconnecting` while weixin stays connected; without the API
// token the page shows the token form and no rows. Screenshots are kept under
// <build>/test-artifacts/. Skipped (with the reason) where `chromium` is not on PATH.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "fake_feishu.hpp"
#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"

namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using pbtest::host_fixture;

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

// Headless Chromium with a profile of its own (removed at the end).
class headless_chromium {
 public:
  explicit headless_chromium(std::string bin) : bin_(std::move(bin)) {
    profile_ = fs::temp_directory_path() / ("pb_chromium_" + std::to_string(::getpid()));
    fs::create_directories(profile_);
  }
  ~headless_chromium() {
    std::error_code ec;
    fs::remove_all(profile_, ec);
  }
  headless_chromium(const headless_chromium&) = delete;
  headless_chromium& operator=(const headless_chromium&) = delete;

  // The DOM after the page ran for `budget` of virtual time (network loads pause that clock).
  std::string dump_dom(const std::string& url, int budget_ms = 3000) {
    return run({"--dump-dom", url}, budget_ms);
  }
  // A PNG of the page after `budget` of virtual time; true when the file was written.
  bool screenshot(const std::string& url, const fs::path& png, int budget_ms = 3000) {
    fs::remove(png);
    run({"--screenshot=" + png.string(), "--window-size=1400,520", url}, budget_ms);
    return fs::exists(png) && fs::file_size(png) > 8;
  }
  std::string last_error;

 private:
  std::string run(std::vector<std::string> args, int budget_ms) {
    std::vector<std::string> argv{bin_,
                                  "--headless",
                                  "--no-sandbox",
                                  "--disable-gpu",
                                  "--disable-dev-shm-usage",
                                  "--no-first-run",
                                  "--hide-scrollbars",
                                  "--user-data-dir=" + profile_.string(),
                                  "--virtual-time-budget=" + std::to_string(budget_ms)};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out;
    int rc = pbtest::run_command(argv, out, last_error, {}, 90s);
    EXPECT_EQ(rc, 0) << "chromium: " << last_error;
    return out;
  }
  std::string bin_;
  fs::path profile_;
};

struct row {
  std::string state, html;
};

// The rendered rows of the page's table: channel id -> (data-state, the row's inner HTML).
std::map<std::string, row> rows_of(const std::string& dom) {
  static const std::regex tr(
      R"re(<tr data-channel="([^"]*)" data-state="([^"]*)"[^>]*>(.*?)</tr>)re");
  std::map<std::string, row> out;
  for (std::sregex_iterator it(dom.begin(), dom.end(), tr), end; it != end; ++it)
    out[(*it)[1].str()] = {(*it)[2].str(), (*it)[3].str()};
  return out;
}

std::string channel_state(host_fixture& h, const std::string& id) {
  return fstest::channel_state(h, id);
}

TEST(StatusPageBrowser, RowsShowChannelsAndAConnectionDropTurnsReconnecting) {
  const std::string chromium = find_on_path("chromium");
  if (chromium.empty())
    GTEST_SKIP() << "chromium is not on PATH: the status page is not tested in a browser here "
                    "(tools/install-deps.sh installs Debian's `chromium`)";

  wxtest::fake_ilink ilink({"--hold-ms", "2000"});
  fstest::fake_feishu feishu;
  ASSERT_FALSE(ilink.accounts.empty()) << ilink.logs();
  ASSERT_FALSE(feishu.apps.empty()) << feishu.logs();
  host_fixture h(wxtest::channel_yaml(ilink, ilink.accounts[0], "", "wx") +
                 fstest::channel_yaml("fs", PB_FEISHU_PLUGIN, feishu, feishu.apps[0], "websocket",
                                      fstest::fast_reconnect_yaml()));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(pbfake::wait_for([&] {
    return channel_state(h, "wx") == "connected" && channel_state(h, "fs") == "connected";
  })) << h.logs();
  // One message through each, so the counters have something to show.
  feishu.inject_text("hello feishu");
  ilink.inject("alice@im.wechat", "hello weixin");

  headless_chromium browser(chromium);
  const std::string page = h.base + "/status";
  const std::string with_token = page + "#token=" + pbtest::token;

  // Without the token: the form asks for it and no row is shown.
  {
    std::string dom = browser.dump_dom(page);
    ASSERT_NE(dom.find("id=\"token-form\""), std::string::npos) << dom;
    EXPECT_EQ(dom.find("id=\"token-form\" hidden"), std::string::npos) << dom;
    EXPECT_TRUE(rows_of(dom).empty()) << dom;
    EXPECT_EQ(dom.find(pbtest::token), std::string::npos);
  }

  // With the token (a #token= fragment: never sent to the server): one row per channel.
  std::string dom = browser.dump_dom(with_token);
  auto rows = rows_of(dom);
  ASSERT_EQ(rows.size(), 2u) << dom;
  ASSERT_TRUE(rows.count("wx") && rows.count("fs")) << dom;
  EXPECT_EQ(rows["wx"].state, "connected") << dom;
  EXPECT_EQ(rows["fs"].state, "connected") << dom;
  EXPECT_NE(rows["wx"].html.find(">weixin"), std::string::npos) << rows["wx"].html;
  EXPECT_NE(rows["fs"].html.find(">feishu"), std::string::npos) << rows["fs"].html;
  EXPECT_NE(rows["fs"].html.find(">connected<"), std::string::npos) << rows["fs"].html;
  EXPECT_NE(dom.find("2 of 2 enabled channels connected"), std::string::npos) << dom;
  EXPECT_EQ(dom.find(pbtest::token), std::string::npos);  // the fragment was dropped

  const fs::path artifacts = fs::path(PB_ARTIFACT_DIR);
  fs::create_directories(artifacts);
  const fs::path connected_png = artifacts / "status-page.png";
  EXPECT_TRUE(browser.screenshot(with_token, connected_png)) << browser.last_error;
  std::cout << "status page screenshot: " << connected_png.string() << "\n";

  // The fake Feishu goes away: the long connection drops and reconnects fail.
  EXPECT_EQ(feishu.terminate(), 0);
  ASSERT_TRUE(pbfake::wait_for([&] { return channel_state(h, "fs") == "reconnecting"; }, 60))
      << h.logs();
  bool shown = false;
  for (int i = 0; i < 15 && !shown; ++i) {  // generous: each load takes a few seconds
    rows = rows_of(browser.dump_dom(with_token));
    shown = rows.count("fs") && rows["fs"].state == "reconnecting";
  }
  ASSERT_TRUE(shown) << (rows.count("fs") ? rows["fs"].html : "no fs row");
  EXPECT_NE(rows["fs"].html.find(">reconnecting<"), std::string::npos) << rows["fs"].html;
  EXPECT_NE(rows["fs"].html.find("attempt "), std::string::npos) << rows["fs"].html;
  EXPECT_EQ(rows["wx"].state, "connected");
  const fs::path reconnecting_png = artifacts / "status-page-reconnecting.png";
  EXPECT_TRUE(browser.screenshot(with_token, reconnecting_png)) << browser.last_error;
  std::cout << "status page screenshot: " << reconnecting_png.string() << "\n";
}

}  // namespace
