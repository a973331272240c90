// The platform renderer's scripted fake platform and fake clock (shared by the renderer tests).
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "patchbay/pb_messages.h"
#include "render/platform_renderer.hpp"

namespace renderer_test {
using namespace patchbay;
using namespace patchbay::render;

struct call {
  bool is_edit = false;
  messages::outbound_message msg;
  messages::edit_request req;
  renderer_port::op_done done;
  std::string text() const { return is_edit ? req.text : msg.text; }
};

class fake_port final : public renderer_port {
 public:
  std::deque<call> pending;   // operations the platform has not answered yet
  std::vector<call> history;  // every operation, in order
  std::vector<turn_record> persisted;
  std::vector<std::pair<log_level, std::string>> logs;
  int64_t now = 1'000'000;
  std::function<void()> timer;
  int64_t timer_at = -1;
  int next_id = 1;

  std::vector<op_kind> kinds;
  void send(messages::outbound_message m, op_kind k, op_done d) override {
    kinds.push_back(k);
    call c;
    c.msg = std::move(m);
    c.done = std::move(d);
    history.push_back(c);
    pending.push_back(std::move(c));
  }
  void edit(messages::edit_request r, op_kind k, op_done d) override {
    kinds.push_back(k);
    call c;
    c.is_edit = true;
    c.req = std::move(r);
    c.done = std::move(d);
    history.push_back(c);
    pending.push_back(std::move(c));
  }
  void arm_timer(std::chrono::milliseconds d, std::function<void()> fn) override {
    timer = std::move(fn);
    timer_at = now + d.count();
  }
  int64_t now_ms() override { return now; }
  void persist(const turn_record& r) override { persisted.push_back(r); }
  void log(log_level l, const std::string& t) override { logs.emplace_back(l, t); }
  double random01() override { return 0.5; }

  // Answer the oldest pending operation.
  void ok(std::string id = "") {
    ASSERT_FALSE(pending.empty());
    call c = std::move(pending.front());
    pending.pop_front();
    messages::op_result r;
    r.message_id =
        id.empty() ? (c.is_edit ? c.req.message_id : "m" + std::to_string(next_id++)) : id;
    c.done(r);
  }
  void fail(int32_t code, std::string msg = "no", int64_t retry_after = 0) {
    ASSERT_FALSE(pending.empty());
    call c = std::move(pending.front());
    pending.pop_front();
    c.done(messages::op_result{code, std::move(msg), retry_after, {}});
  }
  void advance(int64_t ms) {
    now += ms;
    if (timer && timer_at <= now) {
      auto t = std::move(timer);
      timer = {};
      t();
    }
  }
  // Answer everything with success until the platform is quiet.
  void drain() {
    for (int i = 0; i < 1000 && !pending.empty(); ++i) ok();
  }
};

inline effective_caps editing_caps(uint32_t limit = 0) {
  effective_caps c;
  c.limit = limit;
  c.unit = PB_UNIT_CODEPOINTS;
  c.can_edit = true;
  c.reply_token = PB_REPLY_TOKEN_SINGLE_USE;
  c.min_edit_interval_ms = 1000;
  return c;
}

inline turn_target target() {
  return turn_target{"t1", "chat-1", "", "in-msg-1", "TOKEN", "user-1"};
}

struct RendererTest : ::testing::Test {
  fake_port port;
  std::optional<turn_outcome> outcome;
  std::unique_ptr<platform_renderer> make(effective_caps caps, retry_policy rp = {}) {
    return std::make_unique<platform_renderer>(
        target(), caps, port, [this](turn_outcome o) { outcome = o; }, rp);
  }
};

}  // namespace renderer_test
