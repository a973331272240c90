// Reloading a running `patchbay run` (docs/architecture.md §12) with the real feishu plugin
// against the fake Feishu server: `patchbay reload` (POST /v1/reload) and SIGHUP add a channel
// (it connects), remove one (its connection is closed with a close frame), restart a changed one
// (a new connection), and leave an unchanged one alone (the fake's connection log shows its one
// connection still open, and a turn streaming through it during the reload completes). A config
// that does not validate is refused with its errors, and everything keeps running.
#include <signal.h>

#include <fstream>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;

struct cli_result {
  int rc;
  std::string out, err;
};
cli_result reload_cli(const host_fixture& h) {
  cli_result r;
  r.rc = pbtest::run_command({PB_PATCHBAY_BIN, "reload", "--url", h.base}, r.out, r.err,
                             {{"PATCHBAY_TOKEN", pbtest::token}});
  return r;
}

// Replaces everything after "channels:\n" in the host's config (written safely: temp + rename).
void write_channels(const host_fixture& h, const std::string& agents_yaml,
                    const std::string& channels_yaml) {
  const auto path = h.dir / "patchbay.yaml";
  std::string text = pbtest::read_file(path.string());
  text = text.substr(0, text.find("agents:\n")) + "agents:\n" + agents_yaml + "channels:\n" +
         channels_yaml;
  std::ofstream(h.dir / "next.yaml") << text;
  std::filesystem::rename(h.dir / "next.yaml", path);
}

// The fake's WS connections of app `app_id`.
std::vector<json::object> connections_of(const fake_feishu& fake, const std::string& app_id) {
  std::vector<json::object> out;
  for (const auto& c : fake.connections())
    if (str(c, "app_id") == app_id) out.push_back(c.as_object());
  return out;
}
size_t open_of(const fake_feishu& fake, const std::string& app_id) {
  size_t n = 0;
  for (const auto& c : connections_of(fake, app_id))
    if (num(c, "closed_ms") == 0) ++n;
  return n;
}

const std::string agents_yaml = "  echo: { type: echo, chunks: 12, delay_ms: 150 }\n";

TEST(Reload, AddsRemovesRestartsAndLeavesUnchangedChannelsAlone) {
  fake_feishu fake({"--apps", "4"});
  ASSERT_EQ(fake.apps.size(), 4u) << fake.logs();
  const auto& a = fake.apps[0];
  const auto& b = fake.apps[1];
  const auto& c = fake.apps[2];
  const auto& d = fake.apps[3];
  auto ch = [&](const std::string& id, const app& ap, const std::string& extra = "") {
    return channel_yaml(id, PB_FEISHU_PLUGIN, fake, ap, "websocket", extra);
  };
  host_fixture h(ch("fa", a) + ch("fb", b) + ch("fc", c), agents_yaml);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  for (const char* id : {"fa", "fb", "fc"})
    ASSERT_TRUE(wait_for([&] { return channel_state(h, id) == "connected"; })) << id << h.logs();
  ASSERT_EQ(connections_of(fake, a.app_id).size(), 1u);
  const int64_t a_conn = num(connections_of(fake, a.app_id)[0], "id");

  // A turn streams through the unchanged channel (~1.8 s of deltas) while the reload runs.
  const std::string text = "one two three four five six seven eight nine ten eleven twelve";
  auto in = fake.inject_text(text, {{"app_id", a.app_id}});
  const std::string mid = str(in, "message_id");
  ASSERT_TRUE(wait_for([&] { return !fake.bot_messages(mid).empty(); })) << h.logs();

  // fa unchanged, fb removed, fc changed (one more key in its config), fd added.
  write_channels(h, agents_yaml,
                 ch("fa", a) + ch("fc", c, "      reconnect_initial_ms: 150\n") + ch("fd", d));
  auto r = reload_cli(h);
  EXPECT_EQ(r.rc, 0) << r.out << r.err << h.logs();
  EXPECT_NE(r.out.find("added:           fd"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("removed:         fb"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("restarted:       fc"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unchanged:       fa"), std::string::npos) << r.out;

  // Added: connects. Changed: its old connection closed, a new one open.
  EXPECT_TRUE(wait_for([&] { return channel_state(h, "fd") == "connected"; })) << h.logs();
  EXPECT_TRUE(wait_for([&] { return open_of(fake, d.app_id) == 1; }));
  EXPECT_TRUE(wait_for([&] { return channel_state(h, "fc") == "connected"; })) << h.logs();
  EXPECT_EQ(connections_of(fake, c.app_id).size(), 2u);
  EXPECT_EQ(open_of(fake, c.app_id), 1u);
  // Removed: stopped gracefully (close frame 1000) and gone from the status board.
  auto fb_conns = connections_of(fake, b.app_id);
  ASSERT_EQ(fb_conns.size(), 1u);
  EXPECT_NE(num(fb_conns[0], "closed_ms"), 0);
  EXPECT_NE(str(fb_conns[0], "close").find("1000"), std::string::npos) << str(fb_conns[0], "close");
  EXPECT_EQ(channel_state(h, "fb"), "");
  auto hook = h.post("/hooks/fb", "{}", false);
  EXPECT_EQ(hook.status, 404u);
  EXPECT_NE(hook.body.find("no channel takes /hooks/fb"), std::string::npos) << hook.body;
  // Unchanged: the very same connection, still open, and the turn finished on it.
  EXPECT_TRUE(wait_for([&] {
    for (const auto& m : fake.bot_messages(mid))
      if (str(m, "text") == text) return true;
    return false;
  })) << h.logs();
  auto a_conns = connections_of(fake, a.app_id);
  ASSERT_EQ(a_conns.size(), 1u);
  EXPECT_EQ(num(a_conns[0], "id"), a_conn);
  EXPECT_EQ(num(a_conns[0], "closed_ms"), 0);

  // An invalid config (an unknown agent) is refused with its error; nothing changes.
  write_channels(
      h, agents_yaml,
      ch("fa", a) + channel_yaml("fe", PB_FEISHU_PLUGIN, fake, d, "websocket", "", "nobody"));
  auto bad = reload_cli(h);
  EXPECT_EQ(bad.rc, 1) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("HTTP 422"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("patchbay.yaml:"), std::string::npos) << bad.err;
  EXPECT_NE(h.logs().find("reload refused: "), std::string::npos);
  EXPECT_EQ(channel_state(h, "fd"), "connected");
  EXPECT_EQ(channel_state(h, "fc"), "connected");
  EXPECT_EQ(channel_state(h, "fe"), "");
  EXPECT_EQ(connections_of(fake, a.app_id).size(), 1u);
  EXPECT_EQ(open_of(fake, d.app_id), 1u);

  // SIGHUP: fb comes back, the rest is unchanged.
  write_channels(
      h, agents_yaml,
      ch("fa", a) + ch("fc", c, "      reconnect_initial_ms: 150\n") + ch("fd", d) + ch("fb", b));
  h.proc->signal(SIGHUP);
  EXPECT_TRUE(wait_for([&] { return channel_state(h, "fb") == "connected"; })) << h.logs();
  EXPECT_EQ(open_of(fake, b.app_id), 1u);
  EXPECT_EQ(connections_of(fake, a.app_id).size(), 1u);
  EXPECT_EQ(connections_of(fake, c.app_id).size(), 2u);
  EXPECT_EQ(connections_of(fake, d.app_id).size(), 1u);
  EXPECT_NE(h.logs().find("received SIGHUP"), std::string::npos);

  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(Reload, NeedsTheTokenAndReportsSettingsNeedingRestart) {
  host_fixture h(
      "  - id: first\n"
      "    plugin: good\n"
      "    agent: echo\n" PB_OPEN_ACCESS,
      "  echo: { type: echo }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  EXPECT_EQ(h.post("/v1/reload", "", false).status, 401u);
  EXPECT_EQ(h.get("/v1/reload", pbtest::token).status, 405u);
  // Agents: one changed, one added. Host: the listen address (needs a restart).
  std::string text = pbtest::read_file((h.dir / "patchbay.yaml").string());
  text.replace(text.find("listen: \"127.0.0.1:0\""), 21, "listen: \"127.0.0.1:1\"");
  text.replace(text.find("  echo: { type: echo }\n"), 23,
               "  echo: { type: echo, chunks: 2 }\n  other: { type: echo }\n");
  std::ofstream(h.dir / "patchbay.yaml") << text;
  auto r = h.post("/v1/reload", "");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto v = json::parse(r.body);
  EXPECT_EQ(json::serialize(v.at("agents")),
            R"({"added":["other"],"removed":[],"changed":["echo"]})");
  EXPECT_EQ(json::serialize(v.at("settings").at("needs_restart")), R"(["host.listen"])");
  EXPECT_EQ(json::serialize(v.at("channels").at("unchanged")), R"(["first"])");
  // The new agent answers at once; the host still listens where it did.
  auto chat = pbtest::chat(h.base, {"--agent", "other", "hi there"});
  EXPECT_EQ(chat.rc, 0) << chat.err;
  EXPECT_EQ(chat.out, "hi there\n");
  // Still reported on the next reload (nothing restarted it).
  auto again = json::parse(h.post("/v1/reload", "").body);
  EXPECT_EQ(json::serialize(again.at("settings").at("needs_restart")), R"(["host.listen"])");
  EXPECT_EQ(json::serialize(again.at("agents").at("changed")), "[]");
}

}  // namespace
