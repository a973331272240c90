// A C++ test plugin ("foreign") that calls the host only from a thread of its own, as a real
// plugin's I/O thread does: status transitions, a log line, an inbound message and a kv write.
#include <string>
#include <thread>

#include "patchbay/plugin.hpp"

namespace {
using namespace patchbay::sdk;

class foreign_channel final : public channel {
 public:
  foreign_channel(patchbay::sdk::host h, create_info) : channel(h) {}
  ~foreign_channel() override {
    if (worker_.joinable()) worker_.join();
  }
  void start() override {
    worker_ = std::thread([h = host()] {
      h.report_status(PB_STATE_RECONNECTING, "first connect failed", 1, h.now_unix_ms() + 1000);
      h.report_status(PB_STATE_CONNECTED);
      h.info("hello from a plugin thread");
      h.kv_set("cursor", "42");
      pb_inbound_message m{};
      m.event_id = str("f-1");
      m.conversation_id = str("room");
      m.text = str("from a foreign thread");
      h.emit_inbound(m, [](pb_inbound_disposition, const pb_error*) {});
    });
  }
  void stop(std::chrono::milliseconds, stop_completion done) override {
    if (worker_.joinable()) worker_.join();
    done();
  }
  void send(const pb_outbound_message&, completion done) override {
    std::thread([done] { done.succeed("sent-from-thread"); }).detach();
  }

 private:
  std::thread worker_;
};

pb_capabilities caps() {
  auto c = make_capabilities();
  c.max_message_size = 1000;
  c.message_size_unit = PB_UNIT_UTF16;
  return c;
}

}  // namespace

PATCHBAY_PLUGIN(foreign_channel, "foreign", "0.0.1", "Test", "calls back from its own thread",
                caps())
