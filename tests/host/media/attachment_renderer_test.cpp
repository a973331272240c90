// The platform renderer's attachment op (render/platform_renderer.hpp): in order with the text
// around it (nothing starts while the file is on its way), its caption after it, a failure
// replaced by a notice naming the file (before the caption), a port without files refusing
// loudly, and nothing after the terminal event.
#include <gtest/gtest.h>

#include <deque>

#include "render/platform_renderer.hpp"

namespace {
using namespace patchbay;
using namespace patchbay::render;

struct op_seen {
  std::string what;  // "send:<text>", "file:<name>", "edit:<text>"
  renderer_port::op_done done;
};

class file_port : public renderer_port {
 public:
  std::deque<op_seen> pending;
  std::vector<std::string> seen;
  bool files = true;

  void send(messages::outbound_message m, op_kind, op_done d) override {
    add("send:" + m.text, std::move(d));
  }
  void edit(messages::edit_request r, op_kind, op_done d) override {
    add("edit:" + r.text, std::move(d));
  }
  void send_attachment(const messages::attachment_spec& f, messages::outbound_message m,
                       op_done d) override {
    if (!files) return renderer_port::send_attachment(f, std::move(m), std::move(d));
    EXPECT_TRUE(m.text.empty());
    EXPECT_EQ(m.conversation_id, "chat");
    add("file:" + f.name, std::move(d));
  }
  void arm_timer(std::chrono::milliseconds, std::function<void()>) override {}
  int64_t now_ms() override { return 0; }
  void persist(const turn_record&) override {}
  void log(log_level, const std::string&) override {}
  double random01() override { return 0.5; }

  void add(std::string what, op_done d) {
    seen.push_back(what);
    pending.push_back({std::move(what), std::move(d)});
  }
  void answer(int32_t code = PB_OK, std::string message = {}) {
    ASSERT_FALSE(pending.empty());
    auto op = std::move(pending.front());
    pending.pop_front();
    op.done(messages::op_result{code, std::move(message), 0, "m" + std::to_string(++ids)});
  }
  int ids = 0;
};

struct AttachmentRenderer : ::testing::Test {
  file_port port;
  effective_caps caps() {
    effective_caps c;
    c.can_edit = false;  // buffered text: the order of sends is the whole story
    return c;
  }
  std::unique_ptr<platform_renderer> make() {
    retry_policy p;
    p.port_retries = true;
    return std::make_unique<platform_renderer>(turn_target{"t1", "chat", "", "", "", "u"}, caps(),
                                               port, nullptr, p);
  }
  messages::attachment_spec file(std::string name, std::string caption = {}) {
    messages::attachment_spec a;
    a.kind = "image";
    a.name = std::move(name);
    a.url = "https://e.com/x";
    a.caption = std::move(caption);
    return a;
  }
};

TEST_F(AttachmentRenderer, FilesGoInOrderWithTheirCaptionsAfterThem) {
  auto r = make();
  r->on_content("before", false);
  r->on_attachment(file("a.png", "the chart"));
  r->on_attachment(file("b.png"));
  r->on_content("after", false);
  ASSERT_EQ(port.seen, (std::vector<std::string>{"send:before"}));
  port.answer();
  ASSERT_EQ(port.seen.back(), "file:a.png");
  port.answer();  // nothing else started while the file was on its way
  port.answer();
  port.answer();
  r->on_complete();
  port.answer();
  EXPECT_EQ(port.seen, (std::vector<std::string>{"send:before", "file:a.png", "send:the chart",
                                                 "file:b.png", "send:after"}));
  EXPECT_TRUE(r->finished());
}

TEST_F(AttachmentRenderer, AFileThatCannotBeSentBecomesANoticeBeforeItsCaption) {
  auto r = make();
  r->on_attachment(file("big.bin", "caption"));
  port.answer(PB_ERR_INVALID_INPUT, "Could not send the file big.bin: it is too large.");
  port.answer();
  port.answer();
  r->on_complete();
  ASSERT_EQ(port.seen.size(), 3u);
  EXPECT_EQ(port.seen[0], "file:big.bin");
  EXPECT_NE(port.seen[1].find("Could not send the file big.bin: it is too large."),
            std::string::npos);
  EXPECT_EQ(port.seen[2], "send:caption");
}

TEST_F(AttachmentRenderer, APortWithoutFilesRefusesWithANotice) {
  port.files = false;
  auto r = make();
  r->on_attachment(file("a.png"));
  port.answer();  // the notice
  r->on_complete();
  ASSERT_EQ(port.seen.size(), 1u);
  EXPECT_NE(port.seen[0].find("This channel cannot send files: a.png"), std::string::npos);
  EXPECT_TRUE(r->finished());
}

TEST_F(AttachmentRenderer, NothingAfterTheTerminalEvent) {
  auto r = make();
  r->on_complete();
  r->on_attachment(file("late.png"));
  EXPECT_TRUE(port.seen.empty());
}

}  // namespace
