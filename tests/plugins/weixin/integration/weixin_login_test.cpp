// `patchbay weixin-login` (the host runs patchbay-weixin-login, shipped beside the weixin plugin)
// against the fake's QR flow: prints the QR content, follows
// wait → scaned → confirmed, writes the credentials file (mode 0600, token never printed), and a
// channel configured with `credentials: "${file:...}"` then works end to end.
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;

struct login_run {
  fs::path dir;
  std::unique_ptr<pbtest::child_process> proc;
  login_run(const fake_ilink& fake, const std::string& timeout = "30") {
    dir = fs::temp_directory_path() /
          ("pb_wx_login_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(dir);
    proc = std::make_unique<pbtest::child_process>(
        std::vector<std::string>{PB_PATCHBAY_BIN, "weixin-login", "--base-url", fake.base_url,
                                 "--out", (dir / "weixin.json").string(), "--timeout", timeout},
        std::map<std::string, std::string>{}, (dir / "out").string(), (dir / "err").string());
  }
  ~login_run() {
    proc.reset();
    fs::remove_all(dir);
  }
  std::string out() const { return pbtest::read_file((dir / "out").string()); }
  std::string err() const { return pbtest::read_file((dir / "err").string()); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

TEST(WeixinLogin, QrFlowWritesCredentialsThatAChannelCanUse) {
  fake_ilink fake;
  login_run login(fake);
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    return login.out().find("Scan this QR code") != std::string::npos;
  })) << login.out()
      << login.err();
  fake.call("POST", "/_fake/qrcode", {{"state", "scaned"}});
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    return login.out().find("Scanned") != std::string::npos;
  })) << login.out()
      << login.err();
  fake.call("POST", "/_fake/qrcode", {{"state", "confirmed"}});
  ASSERT_EQ(login.proc->wait(30s), 0) << login.out() << login.err();

  const fs::path file = login.dir / "weixin.json";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto creds = json::parse(pbtest::read_file(file.string())).as_object();
  const std::string token(creds.at("bot_token").as_string());
  const std::string account(creds.at("account_id").as_string());
  EXPECT_FALSE(token.empty());
  EXPECT_NE(account.find("@im.bot"), std::string::npos);
  EXPECT_FALSE(std::string(creds.at("base_url").as_string()).empty());
  EXPECT_TRUE(creds.contains("user_id"));
  // The token is never printed; the config snippet is.
  EXPECT_EQ(login.out().find(token), std::string::npos);
  EXPECT_EQ(login.err().find(token), std::string::npos);
  EXPECT_NE(login.out().find("credentials: \"${file:"), std::string::npos) << login.out();
  // The QR requests looked like the reference client's: no base_info in the create body.
  auto creates = fake.requests_to("get_bot_qrcode");
  ASSERT_FALSE(creates.empty());
  EXPECT_TRUE(creates[0].at("body").as_object().contains("local_token_list"));

  // A channel configured from the file answers messages for the logged-in account.
  host_fixture h("  - id: wx\n    plugin: \"" PB_WEIXIN_PLUGIN
                 "\"\n    agent: echo\n" PB_OPEN_ACCESS
                 "    config:\n"
                 "      credentials: \"${file:" +
                 file.string() + "}\"\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    for (const auto& r : fake.requests_to("getupdates"))
      if (str(r, "account") == account) return true;
    return false;
  })) << h.logs();
  fake.inject("henry@im.wechat", "logged in", account);
  EXPECT_TRUE(fake_ilink::wait_for([&] {
    for (const auto& s : fake.sent())
      if (str(s, "to") == "henry@im.wechat" && str(s, "text") == "logged in") return true;
    return false;
  })) << h.logs();
  EXPECT_EQ(h.logs().find(token), std::string::npos);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(WeixinLogin, GivesUpAfterThreeExpiredCodes) {
  fake_ilink fake;
  login_run login(fake);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(fake_ilink::wait_for([&] {
      return fake.requests_to("get_bot_qrcode").size() == static_cast<size_t>(i);
    })) << login.out()
        << login.err();
    fake.call("POST", "/_fake/qrcode", {{"state", "expired"}});
  }
  EXPECT_EQ(login.proc->wait(30s), 1) << login.out() << login.err();
  EXPECT_NE(login.err().find("expired 3 times"), std::string::npos) << login.err();
  EXPECT_FALSE(fs::exists(login.dir / "weixin.json"));
  EXPECT_EQ(fake.requests_to("get_bot_qrcode").size(), 3u);
}

TEST(WeixinLogin, UsageErrors) {
  std::string out, err;
  EXPECT_EQ(pbtest::run_command({PB_PATCHBAY_BIN, "weixin-login"}, out, err), 2);
  EXPECT_NE(err.find("--out FILE is required"), std::string::npos) << err;
  EXPECT_EQ(
      pbtest::run_command({PB_PATCHBAY_BIN, "weixin-login", "--out", "/tmp/x", "--timeout", "soon"},
                          out, err),
      2);
}

}  // namespace
