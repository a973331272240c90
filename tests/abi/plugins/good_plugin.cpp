// A well-behaved C++ test plugin ("good") built with the SDK's C++ layer. Its behaviour is steered
// by words in its JSON config so host tests can exercise each ABI path and model a platform:
//   "emit_on_start": emits evt-1 twice (the second is a duplicate) and evt-2 from start().
//   "long_text": true        evt-2 carries a long multi-paragraph text (see long_text()).
//   "narrow_limit": N        inbound messages narrow the limit to N code points.
//   "rate_limit_first_send": true   the first send is rate limited (retry after 200 ms).
//   "fail_edits_after": N    edits after the N-th fail as rejected ("edit window exceeded").
//   conversation "reject-*" (any case) on send → rejected ("cross-tenant route refused"), logged;
//   text "fail-rate" on send → rate_limited with retry-after 1500 ms;
//   text "late" on send → completed 20 ms later from a plugin thread.
//   text "fail-auth", or a conversation "noauth-*", on send → auth error ("token refused by the
//   platform").
//   "no_attachments": true   inbound messages narrow can_attachments to no (the module says yes).
//   A send carrying an attachment (ABI minor 3) reads the file and logs "send <chat> token=..
//   file kind=.. name=.. mime=.. size=.. md5=.. read_size=.. read_md5=.. bytes=<first 64>", so
//   tests compare what the host declared with what the file holds; a file named "refuse*" fails
//   as invalid_input ("the platform refuses this file").
//   "liveness_window_ms": N  start() reports liveness (ABI minor 2: connected, window N ms) once;
//                            every successful send reports liveness (api ok, same window).
// Inbound HTTP (/hooks/<id>/...): "/echo" answers 200 with the method, query and body;
// "/emit" emits the body as an inbound text (event id from the X-Event header) and answers 202 only
// once the host made it durable (200 "duplicate" for a duplicate, 503 when refused); "/never" keeps
// the request unanswered until the instance is destroyed; anything else 404.
// Every send and edit is logged ("send <chat> token=yes|no text=..." / "edit <id> text=...",
// with its outcome) so end-to-end tests can reconstruct what a user would have seen.
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "patchbay/common/digest.hpp"
#include "patchbay/plugin.hpp"
#include "threaded_channel.hpp"

namespace {
using namespace patchbay::sdk;

class good_channel final : public zoo::threaded_channel {
 public:
  good_channel(patchbay::sdk::host h, create_info info)
      : threaded_channel(h), config_(info.config_json) {
    if (config_.empty() || config_.front() != '{')
      throw plugin_error(PB_ERR_INVALID_INPUT, "config must be a JSON object");
    narrow_limit_ = int_option("narrow_limit");
    fail_edits_after_ = int_option("fail_edits_after");
    rate_limit_next_send_ = has("\"rate_limit_first_send\":true");
    no_attachments_ = has("\"no_attachments\":true");
    liveness_window_ = std::chrono::milliseconds(int_option("liveness_window_ms"));
    host().info("created instance " + std::string(info.instance_id));
  }

  void start() override {
    host().report_status(PB_STATE_CONNECTED);
    if (liveness_window_.count() > 0)
      host().report_liveness(PB_LIVENESS_CONNECTED, liveness_window_);
    host().kv_set("started", "yes");
    if (has("emit_on_start")) {
      emit("evt-1", "hello");
      emit("evt-1", "hello again");
      emit("evt-2", has("\"long_text\":true") ? long_text() : "second");
    }
  }

  void send(const pb_outbound_message& msg, completion done) override {
    std::string text(view(msg.text));
    std::string line = "send " + std::string(view(msg.conversation_id)) +
                       " token=" + (msg.reply_context.size ? "yes" : "no") + " text=" + text;
    if (rate_limit_next_send_.exchange(false)) {
      host().info(line + " -> rate_limited");
      done.fail(PB_ERR_RATE_LIMITED, "slow down", std::chrono::milliseconds(200));
      return;
    }
    std::string conv(view(msg.conversation_id).substr(0, 7));
    for (auto& c : conv) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (conv == "reject-") {
      host().info(line + " -> rejected");
      done.fail(PB_ERR_REJECTED, "cross-tenant route refused");
      return;
    }
    if (text == "fail-rate") {
      done.fail(PB_ERR_RATE_LIMITED, "slow down", std::chrono::milliseconds(1500));
      return;
    }
    if (text == "fail-auth" || conv == "noauth-") {
      host().info(line + " -> auth");
      done.fail(PB_ERR_AUTH, "token refused by the platform");
      return;
    }
    if (const pb_outbound_attachment* a = attachment_of(msg)) {
      std::ifstream in(std::string(view(a->path)), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::string name(view(a->name));
      line += " file kind=" + std::string(view(a->kind)) + " name=" + name +
              " mime=" + std::string(view(a->mime_type)) + " size=" + std::to_string(a->size) +
              " md5=" + std::string(view(a->md5_hex)) +
              " read_size=" + std::to_string(bytes.size()) +
              " read_md5=" + patchbay::common::md5_hex(bytes) + " bytes=" + bytes.substr(0, 64);
      if (name.rfind("refuse", 0) == 0) {
        host().info(line + " -> invalid_input");
        done.fail(PB_ERR_INVALID_INPUT, "the platform refuses this file");
        return;
      }
    }
    if (liveness_window_.count() > 0) host().report_liveness(PB_LIVENESS_API_OK, liveness_window_);
    host().info(line);  // test plugin: no secrets in its messages
    std::string id =
        "msg-" + std::to_string(++sent_) + ":" + std::string(view(msg.conversation_id));
    if (text == "late") {
      later([done, id] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        done.succeed(id);
      });
      return;
    }
    done.succeed(id);
  }

  void on_http(const http_request& req, http_responder respond) override {
    if (req.subpath == "/echo") {
      respond.respond(200,
                      std::string(req.method) + " " + std::string(req.query) + " " +
                          std::string(req.body) + " x=" + std::string(req.header("x-test")),
                      "text/plain");
    } else if (req.subpath == "/emit") {
      std::string id(req.header("X-Event")), text(req.body);
      pb_inbound_message m{};
      m.event_id = str(id);
      m.conversation_id = str("chat-hook");
      m.conversation_kind = PB_CONVERSATION_DIRECT;
      m.sender_id = str("user-hook");
      m.text = str(text);
      pb_capabilities narrow{};
      if (no_attachments_) {
        narrow.struct_size = sizeof narrow;
        narrow.can_attachments = PB_NO;
        m.capabilities = &narrow;
      }
      host().emit_inbound(m, [respond](pb_inbound_disposition d, const pb_error*) {
        if (d == PB_INBOUND_ACCEPTED)
          respond.respond(202, R"({"status":"accepted"})");
        else if (d == PB_INBOUND_DUPLICATE)
          respond.respond(200, R"({"status":"duplicate"})");
        else
          respond.respond(503, R"({"status":"refused"})");
      });
    } else if (req.subpath == "/never") {
      std::lock_guard lk(mu_);
      held_.push_back(std::move(respond));
    } else {
      respond.respond(404, R"({"error":"no such hook"})");
    }
  }

  void edit(const pb_edit_request& req, completion done) override {
    std::string line =
        "edit " + std::string(view(req.message_id)) + " text=" + std::string(view(req.text));
    if (fail_edits_after_ > 0 && ++edits_ > fail_edits_after_) {
      host().info(line + " -> rejected");
      done.fail(PB_ERR_REJECTED, "edit window exceeded");
      return;
    }
    host().info(line);
    done.succeed(view(req.message_id));
  }

 private:
  void emit(const char* event_id, const char* text) {
    pb_inbound_message m{};
    m.event_id = str(event_id);
    m.conversation_id = str("chat-1");
    m.conversation_kind = PB_CONVERSATION_DIRECT;
    m.sender_id = str("user-1");
    m.sender_name = str("User One");
    m.text = str(text);
    m.reply_context = str(std::string_view("\x01tok\x00en", 7));
    pb_capabilities narrow{};
    if (narrow_limit_ > 0) {
      narrow.struct_size = sizeof narrow;
      narrow.max_message_size = static_cast<uint32_t>(narrow_limit_);
      narrow.message_size_unit = PB_UNIT_CODEPOINTS;
      m.capabilities = &narrow;
    }
    if (no_attachments_) {
      narrow.struct_size = sizeof narrow;
      narrow.can_attachments = PB_NO;
      m.capabilities = &narrow;
    }
    host().emit_inbound(
        m, [h = host(), id = std::string(event_id)](pb_inbound_disposition d, const pb_error*) {
          h.info("inbound " + id + " disposition " + std::to_string(d));
        });
  }
  bool has(const char* needle) const { return config_.find(needle) != std::string::npos; }
  int int_option(const char* key) const {
    auto p = config_.find(std::string("\"") + key + "\":");
    return p == std::string::npos ? 0 : std::atoi(config_.c_str() + p + std::strlen(key) + 3);
  }
  static const char* long_text() {
    return "The first paragraph of a long answer, long enough to need several parts.\n\n"
           "A second paragraph follows here, with some more words to fill the part well.\n\n"
           "Third: 你好，世界。 Emoji too 🙂🙂 and a last line that ends the text.";
  }
  std::string config_;
  int narrow_limit_ = 0;
  int fail_edits_after_ = 0;
  bool no_attachments_ = false;
  std::chrono::milliseconds liveness_window_{0};
  std::atomic<int> edits_{0};
  std::atomic<bool> rate_limit_next_send_{false};
  std::atomic<int> sent_{0};
  std::mutex mu_;
  std::vector<http_responder> held_;  // "/never": answered (500, ignored) when destroyed
};

pb_capabilities caps() {
  auto c = make_capabilities();
  c.max_message_size = 2000;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_YES;
  c.can_typing = PB_NO;
  c.reply_token = PB_REPLY_TOKEN_SINGLE_USE;
  c.min_edit_interval_ms = 250;
  c.can_attachments = PB_YES;
  return c;
}

}  // namespace

PATCHBAY_PLUGIN(good_channel, "good", "1.2.3", "Test", "well-behaved test plugin", caps())
