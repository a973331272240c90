// A complete, working patchbay channel plugin for an imaginary "loopback" platform: every message
// sent succeeds at once with a generated id, edits of those messages succeed, and the channel is
// always connected. Replace the bodies marked "I/O" with calls to your platform.
//
// Dependencies: only the patchbay SDK (patchbay/plugin.hpp and the C headers under it). Add your
// own (an HTTP/WebSocket client, a JSON library) in CMakeLists.txt as you need them; link them
// statically or make sure they are present wherever the host runs.
//
// Rules that matter (the full contract is in patchbay/pb_plugin.h):
//  - Threads. The host serializes every call for one instance (constructor, start, stop, send,
//    edit, typing, destructor never overlap for the same channel), but different instances may be
//    called concurrently, so state shared between instances (a connection pool, an io_context)
//    needs its own locking. Every call must return promptly: no network round trip, no sleep, no
//    waiting for a lock held across I/O. Real I/O runs on the plugin's own threads (ideally one
//    io_context for the whole plugin, not one thread per channel) and reports back by completing
//    the `completion` it was given, from whatever thread it is on.
//  - Completions. Each send/edit/typing gets a `completion`; complete it exactly once, with
//    succeed(message_id) or fail(code, message). Dropping it uncompleted reports PB_ERR_INTERNAL so
//    the host never waits forever, but that is a bug, not a strategy. Classify errors honestly:
//    the host retries PB_ERR_RETRYABLE and PB_ERR_RATE_LIMITED (with retry_after) and never
//    retries PB_ERR_AUTH, PB_ERR_REJECTED or PB_ERR_TOKEN_USED.
//  - Exceptions. Throwing from the constructor, start() or an operation is fine: the SDK turns it
//    into an error value at the boundary (throw patchbay::sdk::plugin_error to choose the code).
//    Nothing unwinds into the host.
//  - Secrets. The configuration arrives with secrets already substituted. Never log it, never
//    put a config value, token or signature in a log line, a status reason or an error message.
//  - Shutdown. After stop() has called done() and the destructor has returned, nothing of the
//    instance may call the host again: join or detach-and-disarm your threads first.
#include <atomic>
#include <cstdint>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "patchbay/plugin.hpp"

#ifndef TEMPLATE_PLUGIN_VERSION
#define TEMPLATE_PLUGIN_VERSION "0.1.0"
#endif

namespace {

namespace sdk = patchbay::sdk;

constexpr uint32_t max_text_codepoints = 4000;
constexpr uint64_t max_file_bytes = 20u << 20;  // the largest file the "platform" takes
constexpr std::size_t max_files_kept = 16;      // the loopback "platform" keeps the latest files

// What the platform can do, declared once for the plugin. The host's renderer follows it: it
// chunks text above the limit, coalesces edits no faster than the interval, and never asks for
// an operation you said you cannot do.
pb_capabilities loopback_capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  c.max_message_size = max_text_codepoints;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_YES;
  c.can_typing = PB_NO;
  c.can_ephemeral = PB_NO;
  c.reply_token = PB_REPLY_TOKEN_NONE;
  c.min_edit_interval_ms = 200;
  c.max_edits_per_message = 0;  // unlimited
  // ABI minor 3: the host hands files to send() (pb_outbound_message.attachment) only when this
  // says yes, and refuses files above max_attachment_size before they reach the plugin.
  c.can_attachments = PB_YES;
  c.max_attachment_size = max_file_bytes;
  return c;
}

uint64_t count_codepoints(std::string_view utf8) noexcept {
  uint64_t n = 0;
  for (char ch : utf8)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80)
      ++n;  // count every byte that is not a continuation byte
  return n;
}

bool is_json_object(std::string_view json) noexcept {
  // A real plugin parses its configuration with a JSON library and validates every key here.
  // The template only needs to know it was given an object.
  auto first = json.find_first_not_of(" \t\r\n");
  auto last = json.find_last_not_of(" \t\r\n");
  return first != std::string_view::npos && json[first] == '{' && json[last] == '}';
}

class loopback_channel final : public sdk::channel {
 public:
  // Called by the host's `create`: validate the configuration and keep what you need. Start no
  // I/O here; a bad configuration is reported by throwing, and the message must name the key,
  // never its value.
  loopback_channel(sdk::host h, sdk::create_info info) : channel(h) {
    if (!is_json_object(info.config_json))
      throw sdk::plugin_error(PB_ERR_INVALID_INPUT, "config must be a JSON object");
  }

  // Begin connecting and return at once. I/O: a real plugin posts its connect loop to its
  // io_context here and reports every transition (STARTING, CONNECTED, RECONNECTING with the
  // attempt and the next try, DEGRADED, FAILED) through report_status as it happens, and every
  // proof that the platform is alive (a pong, a poll answer, an event) through
  // report_liveness(kind, window): the host shows the channel degraded when the next proof does
  // not come within the window (a plugin that never calls it is trusted on its status).
  void start() override {
    host().info("loopback channel started");  // ids and states are fine in logs; secrets are not
    host().report_status(PB_STATE_CONNECTED);
  }

  // Stop receiving, finish or fail what is in flight, close connections, then call done() - at
  // the latest by the deadline; the host destroys the instance after it regardless.
  void stop(std::chrono::milliseconds /*deadline*/, sdk::stop_completion done) override {
    host().report_status(PB_STATE_STOPPED);
    done();
  }

  // I/O: a real plugin queues the request on its connection and completes `done` from the I/O
  // thread when the platform answers. Copy what you need from `msg` first: it is borrowed only
  // for the duration of this call.
  void send(const pb_outbound_message& msg, sdk::completion done) override {
    if (sdk::view(msg.conversation_id).empty()) {
      done.fail(PB_ERR_INVALID_INPUT, "send: conversation_id is empty");
      return;
    }
    // A file (ABI minor 3): the text is empty (the host sends a caption as a message of its own).
    // The bytes are in a host-owned local file: read it (never move or delete it) until `done`.
    if (const pb_outbound_attachment* file = sdk::attachment_of(msg)) {
      send_file(*file, std::move(done));
      return;
    }
    if (count_codepoints(sdk::view(msg.text)) > max_text_codepoints) {
      done.fail(PB_ERR_INVALID_INPUT, "send: text exceeds the message size limit");
      return;
    }
    uint64_t n = ++sent_;
    done.succeed("loopback-" + std::to_string(n));  // completing inside the call is allowed
  }

  // Only messages this instance sent can be edited; anything else is NOT_FOUND, which tells the
  // host to stop editing and send a new message instead.
  void edit(const pb_edit_request& req, sdk::completion done) override {
    if (!is_ours(sdk::view(req.message_id))) {
      done.fail(PB_ERR_NOT_FOUND, "edit: unknown message id");
      return;
    }
    if (count_codepoints(sdk::view(req.text)) > max_text_codepoints) {
      done.fail(PB_ERR_INVALID_INPUT, "edit: text exceeds the message size limit");
      return;
    }
    done.succeed(sdk::view(req.message_id));
  }

  // An inbound attachment's bytes (ABI minor 3), asked for when an agent wants them: stream them
  // into req.dest_path (the host owns that file), fail with PB_ERR_INVALID_INPUT past
  // req.max_bytes, and succeed with the MIME type the platform reported. `attachment_id` and `url`
  // are whatever this plugin put into pb_attachment.id / .url when it emitted the message. I/O: a
  // real plugin downloads on its I/O thread, writing as the bytes arrive.
  void fetch_attachment(const pb_fetch_request& req, sdk::completion done) override {
    stored_file file;
    {
      std::lock_guard lk(mu_);
      auto it = files_.find(std::string(sdk::view(req.attachment_id)));
      if (it == files_.end()) {
        done.fail(PB_ERR_NOT_FOUND, "fetch: unknown attachment id");
        return;
      }
      file = it->second;
    }
    if (file.bytes.size() > req.max_bytes) {
      done.fail(PB_ERR_INVALID_INPUT, "fetch: the file is too large");
      return;
    }
    std::ofstream out(std::string(sdk::view(req.dest_path)), std::ios::binary | std::ios::trunc);
    if (!out.write(file.bytes.data(), static_cast<std::streamsize>(file.bytes.size()))) {
      done.fail(PB_ERR_INTERNAL, "fetch: cannot write the destination file");
      return;
    }
    out.close();
    done.succeed_fetch(file.mime_type);
  }

  // typing() is not overridden: the base class completes it with PB_ERR_UNSUPPORTED, matching
  // can_typing = PB_NO above.

  // Inbound messages would come from your receive loop, on your I/O thread, roughly:
  //
  //   pb_inbound_message m{};
  //   m.event_id = sdk::str(event_id);          // the host dedups on it
  //   m.conversation_id = sdk::str(chat_id);
  //   m.conversation_kind = PB_CONVERSATION_DIRECT;
  //   m.message_id = sdk::str(message_id);
  //   m.sender_id = sdk::str(user_id);
  //   m.text = sdk::str(text);
  //   host().emit_inbound(m, [](pb_inbound_disposition d, const pb_error*) {
  //     // ACCEPTED or DUPLICATE: acknowledge the event to the platform now, not before.
  //     // REFUSED: do not acknowledge, so the platform delivers it again.
  //   });

 private:
  struct stored_file {
    std::string mime_type, bytes;
  };

  // The loopback "platform" stores the file and answers with its id ("file-N"); a later inbound
  // message of a real platform would report such an id in pb_attachment.id for fetch_attachment.
  // I/O: a real plugin uploads the file with the platform's media API from its I/O thread (read
  // it there, not here), then sends the media message, and completes `done` with its id.
  void send_file(const pb_outbound_attachment& file, sdk::completion done) {
    if (file.size > max_file_bytes) {  // the host checked too; a platform may still refuse
      done.fail(PB_ERR_INVALID_INPUT, "send: the file exceeds the platform's limit");
      return;
    }
    std::ifstream in(std::string(sdk::view(file.path)), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      done.fail(PB_ERR_INTERNAL, "send: cannot read the file");
      return;
    }
    std::string id = "file-" + std::to_string(++sent_);
    {
      std::lock_guard lk(mu_);
      if (order_.size() >= max_files_kept) {
        files_.erase(order_.front());
        order_.pop_front();
      }
      files_[id] = stored_file{std::string(sdk::view(file.mime_type)), std::move(bytes)};
      order_.push_back(id);
    }
    done.succeed(id);
  }

  bool is_ours(std::string_view id) const noexcept {
    constexpr std::string_view prefix = "loopback-";
    if (id.substr(0, prefix.size()) != prefix || id.size() == prefix.size()) return false;
    uint64_t n = 0;
    for (char ch : id.substr(prefix.size())) {
      if (ch < '0' || ch > '9' || n > (UINT64_MAX - 9) / 10) return false;
      n = n * 10 + static_cast<uint64_t>(ch - '0');
    }
    return n >= 1 && n <= sent_.load();
  }

  std::atomic<uint64_t> sent_{0};  // atomic because a real plugin would read it on its I/O thread
  std::mutex mu_;
  std::map<std::string, stored_file> files_;  // by id
  std::deque<std::string> order_;             // their ids, oldest first
};

}  // namespace

// The one exported symbol: name (must match NAME in CMakeLists.txt, since the host looks for
// patchbay_<name>.so), version, platform, one-line description, capabilities.
PATCHBAY_PLUGIN(loopback_channel, "template", TEMPLATE_PLUGIN_VERSION, "Loopback",
                "Example plugin: every send succeeds locally", loopback_capabilities())
