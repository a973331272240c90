// The platform renderer end to end: the real host, the echo agent, and the `good` test plugin
// modelling a platform with a small per-message limit, a rate-limited first send and an edit
// window that closes. What the user saw is rebuilt from the plugin's log of sends and edits.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>

#include <map>
#include <sstream>

#include "host_fixture.hpp"
#include "open_access.hpp"

namespace {
using namespace std::chrono_literals;
using pbtest::host_fixture;

struct platform_op {
  bool edit = false;
  std::string target;  // chat for sends, message id for edits
  bool token = false;
  std::string text;
  std::string outcome;  // "" = ok, else "rate_limited" / "rejected"
};

// The plugin's "send <chat> token=.. text=..[ -> outcome]" / "edit <id> text=..[ -> outcome]".
std::vector<platform_op> platform_ops(const std::string& logs) {
  std::vector<platform_op> ops;
  std::istringstream in(logs);
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object() || !v.as_object().contains("msg")) continue;
    std::string msg(v.at("msg").as_string());
    auto p = msg.find("good: ");
    if (p == std::string::npos) continue;
    msg = msg.substr(p + 6);
    platform_op op;
    if (msg.rfind("send ", 0) == 0) {
      auto sp = msg.find(' ', 5);
      op.target = msg.substr(5, sp - 5);
      op.token = msg.compare(sp + 1, 9, "token=yes") == 0;
      msg = msg.substr(msg.find(" text=") + 6);
    } else if (msg.rfind("edit ", 0) == 0) {
      op.edit = true;
      auto sp = msg.find(' ', 5);
      op.target = msg.substr(5, sp - 5);
      msg = msg.substr(sp + 6);
    } else {
      continue;
    }
    for (const char* o : {" -> rate_limited", " -> rejected"})
      if (msg.size() > std::strlen(o) &&
          msg.compare(msg.size() - std::strlen(o), std::string::npos, o) == 0) {
        op.outcome = std::string(o + 4);
        msg.resize(msg.size() - std::strlen(o));
      }
    op.text = msg;
    ops.push_back(op);
  }
  return ops;
}

size_t codepoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// What the user sees in the end: every delivered message, with the latest successful edit of
// each. The plugin names message k "msg-k:<chat>".
std::vector<std::string> final_view(const std::vector<platform_op>& ops) {
  std::vector<std::string> messages;
  std::map<std::string, size_t> by_id;
  for (const auto& op : ops) {
    if (!op.outcome.empty()) continue;
    if (!op.edit) {
      messages.push_back(op.text);
      by_id["msg-" + std::to_string(messages.size()) + ":" + op.target] = messages.size() - 1;
    } else if (by_id.count(op.target)) {
      messages[by_id[op.target]] = op.text;
    }
  }
  return messages;
}

TEST(RenderE2E, SmallLimitAndRateLimitedFirstSend) {
  host_fixture h("  - id: chan\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS
                 "    config: { emit_on_start: true, long_text: true, narrow_limit: 80,"
                 " rate_limit_first_send: true }\n",
                 "  echo: { type: echo, delay_ms: 30, chunks: 4 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  std::string logs = h.wait_for_log("ends the text.");
  std::this_thread::sleep_for(500ms);  // let the last parts go out
  auto ops = platform_ops(h.logs());
  ASSERT_GE(ops.size(), 4u) << logs;
  // The first send was rate limited; its retry went out without the spent single-use token.
  EXPECT_EQ(ops[0].outcome, "rate_limited");
  EXPECT_TRUE(ops[0].token);
  EXPECT_FALSE(ops[1].edit);
  EXPECT_FALSE(ops[1].token);
  // Every rendered text is within the narrowed limit, markers included.
  for (const auto& op : ops) EXPECT_LE(codepoints(op.text), 80u) << op.text;
  // Turn 2 (the long text) reads, part by part, as the original.
  auto view = final_view(ops);
  ASSERT_GE(view.size(), 3u);
  std::string joined;
  for (size_t i = 1; i < view.size(); ++i) {  // view[0] is turn 1's "hello"
    std::string part = view[i];
    auto strip = [&](const std::string& marker_start, bool leading) {
      if (leading) {
        auto e = part.find("]\n\n");
        if (part.rfind(marker_start, 0) == 0 && e != std::string::npos) part = part.substr(e + 3);
      } else {
        auto b = part.rfind("\n\n" + marker_start);
        if (b != std::string::npos) part = part.substr(0, b);
      }
    };
    strip("[part ", true);
    strip("[part ", false);
    joined += part;
  }
  EXPECT_EQ(view[0], "hello");
  EXPECT_EQ(joined,
            "The first paragraph of a long answer, long enough to need several parts.\n\n"
            "A second paragraph follows here, with some more words to fill the part well.\n\n"
            "Third: 你好，世界。 Emoji too 🙂🙂 and a last line that ends the text.");
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(RenderE2E, ClosedEditWindowSendsTheRestAsANewMessage) {
  // Deltas 300 ms apart (the plugin's edit interval is 250 ms): the placeholder gets one edit,
  // the next is rejected, and what the user has not seen yet arrives as one new message.
  host_fixture h("  - id: chan\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS
                 "    config: { emit_on_start: true, fail_edits_after: 1 }\n",
                 "  echo: { type: echo, delay_ms: 300, chunks: 4 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  h.wait_for_log("text=second");
  std::this_thread::sleep_for(1500ms);
  auto ops = platform_ops(h.logs());
  bool rejected = false;
  for (const auto& op : ops) rejected |= op.outcome == "rejected";
  EXPECT_TRUE(rejected) << h.logs();
  // Turn 1's messages, in order, read "hello" in total: nothing lost, nothing repeated.
  auto view = final_view(ops);
  ASSERT_FALSE(view.empty());
  std::string turn1;
  for (const auto& m : view) {
    if (m.rfind("s", 0) == 0) break;  // turn 2 ("second") starts
    turn1 += m;
  }
  EXPECT_EQ(turn1, "hello") << h.logs();
  // One token per turn, each used once: by that turn's placeholder.
  int with_token = 0;
  for (const auto& op : ops) with_token += !op.edit && op.token;
  EXPECT_EQ(with_token, 2) << h.logs();
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

}  // namespace
