// A test plugin ("media") for inbound attachments (ABI minor 3): it emits messages with
// attachments on command and implements fetch_attachment with known bytes, so host tests can
// check that an agent's media URL serves exactly what the platform holds.
// Inbound HTTP: POST /hooks/<id>/emit?attach=<ids> emits the body as the text of a direct message
// (event id from the X-Event header) carrying one attachment per comma-separated id; answers 202
// once durable. Attachment ids and what fetching them does:
//   img-1      image "cat.png" (image/png): 70,000 bytes of media_bytes("img-1")
//   doc-1      file "报告 1.pdf" (application/pdf): 5,000 bytes of media_bytes("doc-1")
//   slow-1     image: completes after config "slow_ms" (default 3000) from a plugin thread
//   big-1      file of 200,000 bytes: fails PB_ERR_INVALID_INPUT once past max_bytes
//   gone-1     file: PB_ERR_NOT_FOUND
//   nofetch-1  file: PB_ERR_UNSUPPORTED
// Every fetch is logged ("fetch <id> -> <outcome>"); every send and edit too ("send <chat>
// text=..." / "edit <id> text=..."), so tests see what the user saw.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "media_bytes.hpp"
#include "patchbay/plugin.hpp"
#include "threaded_channel.hpp"

namespace {
using namespace patchbay::sdk;

using zoo::media_bytes;

struct att_def {
  const char* id;
  const char* kind;
  const char* name;
  const char* mime;
  std::size_t size;  // what fetching writes
  uint64_t reported_size;
};
const att_def defs[] = {
    {"img-1", "image", "cat.png", "image/png", 70'000, 70'000},
    {"doc-1", "file", "\xE6\x8A\xA5\xE5\x91\x8A 1.pdf", "application/pdf", 5'000, 5'000},
    {"slow-1", "image", "slow.png", "image/png", 1'000, 0},
    {"big-1", "file", "big.bin", "application/octet-stream", 200'000, 0},
    {"gone-1", "file", "gone.txt", "text/plain", 0, 0},
    {"nofetch-1", "file", "nofetch.txt", "text/plain", 0, 0},
};
const att_def* find_def(std::string_view id) {
  for (const auto& d : defs)
    if (id == d.id) return &d;
  return nullptr;
}

class media_channel final : public zoo::threaded_channel {
 public:
  media_channel(patchbay::sdk::host h, create_info info)
      : threaded_channel(h), config_(info.config_json) {
    auto p = config_.find("\"slow_ms\":");
    if (p != std::string::npos) slow_ms_ = std::atoi(config_.c_str() + p + 10);
  }

  void start() override { host().report_status(PB_STATE_CONNECTED); }

  void send(const pb_outbound_message& msg, completion done) override {
    host().info("send " + std::string(view(msg.conversation_id)) +
                " text=" + std::string(view(msg.text)));
    done.succeed("m-" + std::to_string(++sent_));
  }
  void edit(const pb_edit_request& req, completion done) override {
    host().info("edit " + std::string(view(req.message_id)) +
                " text=" + std::string(view(req.text)));
    done.succeed(view(req.message_id));
  }

  void on_http(const http_request& req, http_responder respond) override {
    if (req.subpath != "/emit") return respond.respond(404, R"({"error":"no such hook"})");
    std::string query(req.query), list;
    if (query.rfind("attach=", 0) == 0) list = query.substr(7);
    std::vector<pb_attachment> atts;
    for (std::size_t pos = 0; pos < list.size();) {
      std::size_t end = list.find(',', pos);
      if (end == std::string::npos) end = list.size();
      if (const att_def* d = find_def(std::string_view(list).substr(pos, end - pos))) {
        pb_attachment a{};
        a.struct_size = sizeof a;
        a.kind = str(d->kind);
        a.id = str(d->id);
        a.name = str(d->name);
        a.mime_type = str(d->mime);
        a.size = d->reported_size;
        atts.push_back(a);
      }
      pos = end + 1;
    }
    std::vector<const pb_attachment*> ptrs;
    for (const auto& a : atts) ptrs.push_back(&a);
    std::string id(req.header("X-Event")), text(req.body), message_id = "msg-" + id;
    pb_inbound_message m{};
    m.event_id = str(id);
    m.conversation_id = str("chat-1");
    m.conversation_kind = PB_CONVERSATION_DIRECT;
    m.message_id = str(message_id);
    m.sender_id = str("user-1");
    m.text = str(text);
    m.attachments = ptrs.data();
    m.attachment_count = static_cast<uint32_t>(ptrs.size());
    host().emit_inbound(m, [respond](pb_inbound_disposition d, const pb_error*) {
      respond.respond(d == PB_INBOUND_REFUSED ? 503 : 202, R"({"status":"ok"})");
    });
  }

  void fetch_attachment(const pb_fetch_request& req, completion done) override {
    const std::string id(view(req.attachment_id));
    const std::string dest(view(req.dest_path));
    const att_def* d = find_def(id);
    auto log = [h = host(), id](const std::string& what) { h.info("fetch " + id + " -> " + what); };
    if (d == nullptr || id == "gone-1") {
      log("not_found");
      return done.fail(PB_ERR_NOT_FOUND, "the platform no longer has this file");
    }
    if (id == "nofetch-1") {
      log("unsupported");
      return done.fail(PB_ERR_UNSUPPORTED, "this kind cannot be downloaded");
    }
    if (d->size > req.max_bytes) {
      // A platform streams until the cap: the host discards the partial file.
      std::ofstream(dest, std::ios::binary) << media_bytes(id, req.max_bytes);
      log("too large");
      return done.fail(PB_ERR_INVALID_INPUT, "too large");
    }
    auto write = [dest, bytes = media_bytes(id, d->size)] {
      std::ofstream(dest, std::ios::binary) << bytes;
    };
    if (id == "slow-1") {
      later([write, done, log, ms = slow_ms_] {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        write();
        log("ok (slow)");
        done.succeed_fetch("image/png");
      });
      return;
    }
    write();
    log("ok");
    done.succeed_fetch(d->mime);
  }

 private:
  std::string config_;
  int slow_ms_ = 3000;
  std::atomic<int> sent_{0};
};

pb_capabilities caps() {
  auto c = make_capabilities();
  c.max_message_size = 4000;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_YES;
  c.can_typing = PB_NO;
  c.reply_token = PB_REPLY_TOKEN_NONE;
  c.min_edit_interval_ms = 100;
  return c;
}

}  // namespace

PATCHBAY_PLUGIN(media_channel, "media", "1.0.0", "Test", "inbound attachments test plugin", caps())
