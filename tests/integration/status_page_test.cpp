// The status page (GET /status) in headless Chromium against a real `patchbay run` with two
// channels on fake platforms: weixin on the fake iLink, feishu on the fake Feishu (TLS, long
// connection). The rendered rows name each channel, its plugin and `connected`; when the fake
// Feishu goes away its row turns `reconnecting` while weixin stays connected; without the API
// token the page shows the token form and no rows. And against a canned /v1/channels (a kit test
// server serving the page): every field of the status JSON is rendered, "—" where a host does
// not send it, and strings from the JSON are shown as text, never as markup. Screenshots are
// kept under <build>/test-artifacts/. Skipped (with the reason) where `chromium` is not on PATH.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "api/status_page/status_page.hpp"
#include "fake_feishu.hpp"
#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"
#include "kit_test_support.hpp"

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

#define SKIP_WITHOUT_CHROMIUM(bin)                                                            \
  const std::string bin = find_on_path("chromium");                                           \
  if (bin.empty())                                                                            \
  GTEST_SKIP() << "chromium is not on PATH: the status page is not tested in a browser here " \
                  "(tools/install-deps.sh installs Debian's `chromium`)"

TEST(StatusPageBrowser, RowsShowChannelsAndAConnectionDropTurnsReconnecting) {
  SKIP_WITHOUT_CHROMIUM(chromium);

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

// A /v1/channels answer with every field a host may send (and one channel of an older host
// without the newer ones), hostile strings included.
std::string canned_channels() {
  namespace json = boost::json;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  json::object full{
      {"id", "full<img src=x onerror=\"document.title='pwned'\">"},
      {"plugin", "feishu"},
      {"plugin_version", "1.2.3"},
      {"platform", "Feishu"},
      {"enabled", true},
      {"state", "degraded"},
      {"reason", "<b>platform refuses our credentials</b>"},
      {"since_unix_ms", now - 125000},
      {"started", true},
      {"inbound", {{"accepted", 40}, {"duplicates", 1}, {"refused", 0}}},
      {"agent_problem", "agent crash loop"},
      {"last_inbound_unix_ms", now - 5000},
      {"last_liveness_unix_ms", now - 1000},
      {"liveness_window_ms", 90000},
      {"last_error",
       {{"text", "token refused <script>alert(1)</script>"}, {"unix_ms", now - 60000}}},
      {"attempt", 2},
      {"next_attempt_unix_ms", now + 600000},
      {"outbound",
       {{"sends", {{"ok", 3}, {"auth", 1}}},
        {"edits", {{"ok", 5}}},
        {"in_flight", 1},
        {"oldest_in_flight_ms", 4000},
        {"last_failure",
         {{"what", "send"}, {"class", "auth"}, {"text", "bad token"}, {"unix_ms", now - 30000}}}}},
      {"reported_state", "connected"},
      {"inbound_last_minute", 7}};
  json::object old{
      {"id", "old-host"},     {"plugin", "weixin"},
      {"plugin_version", ""}, {"platform", "Weixin"},
      {"enabled", true},      {"state", "connected"},
      {"reason", ""},         {"since_unix_ms", now - 3000},
      {"started", true},      {"inbound", {{"accepted", 0}, {"duplicates", 0}, {"refused", 0}}}};
  return json::serialize(json::object{{"channels", json::array{full, old}}});
}

TEST(StatusPageBrowser, EveryFieldIsRenderedAndStringsStayText) {
  SKIP_WITHOUT_CHROMIUM(chromium);
  const std::string body = canned_channels();
  kit_test::test_server server([&](std::shared_ptr<patchbay::kit::http_exchange> ex) {
    if (auto page = patchbay::api::status_page_response(ex->request())) return ex->respond(*page);
    patchbay::kit::http_response r;
    if (ex->request().path == "/v1/channels")
      r.body = body;
    else
      r.status = 404;
    ex->respond(std::move(r));
  });
  headless_chromium browser(chromium);
  const std::string dom = browser.dump_dom(server.url("/status"));
  auto rows = rows_of(dom);
  ASSERT_EQ(rows.size(), 2u) << dom;
  // Markup in the JSON is shown as text: no element made of it, no script run.
  EXPECT_EQ(dom.find("<img"), std::string::npos) << dom;
  EXPECT_EQ(dom.find("<b>"), std::string::npos) << dom;
  EXPECT_EQ(dom.find("<script>alert"), std::string::npos) << dom;
  EXPECT_EQ(dom.find("pwned</title>"), std::string::npos) << dom;
  EXPECT_NE(dom.find("&lt;b&gt;platform refuses our credentials&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(dom.find("token refused &lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);

  std::string full;
  for (const auto& [id, r] : rows)
    if (id.rfind("full", 0) == 0) full = r.html;
  ASSERT_FALSE(full.empty()) << dom;
  for (const char* want :
       {">feishu 1.2.3<", "platform Feishu", ">degraded<", "agent: agent crash loop",
        "class=\"rate\">7<", "attempt 2, next in ", "sends: ok 3, auth 1; edits: ok 5",
        "1 in flight (oldest 4s)", "last failure: send: bad token (", "plugin reports connected",
        "(window 1m 30s)"})
    EXPECT_NE(full.find(want), std::string::npos) << want << " in " << full;
  // Times are relative to the browser's clock (virtual time moves it a little): patterns.
  for (const char* want : {R"(class="since">2m \d+s<)", R"(class="last-inbound">\d+s ago<)",
                           R"(class="last-error">token refused .*<span class="note">1m \d+s ago<)",
                           R"(last sign of life \d+s ago)"})
    EXPECT_TRUE(std::regex_search(full, std::regex(want))) << want << " in " << full;
  // An older host's channel: the newer fields are absent and shown as "—".
  const std::string& old = rows["old-host"].html;
  EXPECT_NE(old.find(">weixin<"), std::string::npos) << old;
  EXPECT_NE(old.find("class=\"last-inbound\">—<"), std::string::npos) << old;
  EXPECT_NE(old.find("class=\"last-error\">—<"), std::string::npos) << old;
  EXPECT_NE(old.find("class=\"reconnect\">—<"), std::string::npos) << old;
  EXPECT_NE(old.find("class=\"outbound\">—<"), std::string::npos) << old;
  const fs::path png = fs::path(PB_ARTIFACT_DIR) / "status-page-all-fields.png";
  fs::create_directories(png.parent_path());
  EXPECT_TRUE(browser.screenshot(server.url("/status"), png)) << browser.last_error;
  std::cout << "status page screenshot: " << png.string() << "\n";
}

}  // namespace
