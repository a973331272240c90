// Feishu/Lark family: the inside of family_channel (private to plugins/feishu_lark/channel).
// One instance's state on one strand of the plugin's shared runtime, split by concern:
//   family_channel.cpp    composition: construction, start, status, stop, destroy
//   outbound.cpp          send (reply / send to chat) and edit, with uuid idempotency keys
//   card_stream.cpp       streamed answers as CardKit streaming cards (render: card)
//   media.cpp             attachments: upload + image/file/audio/media message, and downloads
//   typing.cpp            typing START/STOP as a "Typing" reaction on the user's message
//   webhook_handler.cpp   POST /hooks/<channel-id>: verify → challenge / event / reject
// plus api_client (Open API) and inbound_handler (events → host), and the ws_supervisor in
// websocket mode.
//
// Threading: public entry points (start, stop, send, edit, on_http, close) are called on host
// threads and post to the strand; everything else runs on the strand. Host calls go through the
// gate that close() shuts. Completions owed to the host are kept in `owed_` (instance_core.hpp)
// so that close() settles every one still open (PB_ERR_RETRYABLE) before destroy returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "feishu_lark/channel/api_client.hpp"
#include "feishu_lark/channel/family_channel.hpp"
#include "feishu_lark/channel/inbound.hpp"
#include "feishu_lark/channel/ws_supervisor.hpp"
#include "feishu_lark/proto/messages_api.hpp"
#include "support/bounded_lru.hpp"
#include "support/http_calls.hpp"
#include "support/instance_core.hpp"
#include "support/plugin_runtime.hpp"

namespace patchbay::plugins::feishu_family {

// One file to send (pb_outbound_attachment, ABI minor 3): a host-owned local file.
struct outbound_file {
  std::string kind;  // image, file, audio, video
  std::string name;
  std::string mime_type;
  std::string path;
  uint64_t size = 0;
  std::string md5_hex;
};

struct outbound_request {
  std::string chat_id;
  std::string reply_to;    // send: reply to this message when set
  std::string message_id;  // edit: the message to edit
  std::string text;
  std::string turn_id;
  bool stream = false;                // send: PB_SEND_STREAM (edited until one final edit)
  bool final = false;                 // edit: PB_EDIT_FINAL
  std::optional<outbound_file> file;  // send: a media message instead of text
};

// Edits of a streaming card waiting for the update in flight: the newest text (and whether one
// of them was the final edit), and the completions owed to the host (owed_ ids).
struct pending_card_edit {
  std::string text;
  bool final = false;
  std::vector<uint64_t> owed;
};

// A streamed answer shown as a CardKit card (card_stream.cpp), by the IM message id it was sent
// as. One update in flight per card; edits arriving meanwhile are coalesced (only the latest text
// goes out; every coalesced edit completes with its result).
struct card_stream {
  std::string message_id;
  std::string card_id;
  std::string element_id;
  int64_t sequence = 0;  // the last one used on this card (content and settings share it)
  std::string shown;     // the text the platform last accepted
  bool closed = false;   // streaming mode off (by us or by the platform): no more updates
  bool busy = false;
  std::optional<pending_card_edit> waiting;
};

// fetch_attachment (pb_fetch_request): download one inbound attachment into dest_path.
struct fetch_job {
  std::string chat_id;
  std::string message_id;
  std::string attachment_id;  // "image:<key>" / "file:<key>" (media.hpp)
  std::string dest_path;
  uint64_t max_bytes = 0;
};

struct typing_request {
  std::string chat_id;
  std::string message_id;  // the user's message (the reaction's target)
  bool stop = false;
};

struct typing_reaction {
  std::string reaction_id;   // "" while the add is out
  bool adding = false;       // the add (POST) has not answered yet
  bool stop_wanted = false;  // a STOP came while adding: remove once added
};

struct family_channel::impl : std::enable_shared_from_this<family_channel::impl>,
                              instance_core<channel_config> {
  impl(kit::io_runtime& rt, sdk::host h, channel_config cfg);

  void init();  // after make_shared: wires the api client and the inbound handler
  void start();
  void stop(std::chrono::milliseconds deadline, sdk::stop_completion done);
  void close();

  // outbound.cpp
  void send(outbound_request r, sdk::completion done);
  void edit(outbound_request r, sdk::completion done);
  // Sends `m` (a reply to r.reply_to, falling back to the chat when that target is gone, or to
  // r.chat_id) with a uuid derived from `seed` ("" = none); `done` gets the op that answered.
  using deliver_done = std::function<void(api_op, const api_call_result&)>;
  void deliver(const outbound_request& r, const outgoing& m, const std::string& seed,
               const deliver_done& done);

  // card_stream.cpp (on the strand)
  void send_card(const outbound_request& r, uint64_t oid);
  void edit_card(const std::shared_ptr<card_stream>& c, outbound_request r, uint64_t oid);
  void run_card(const std::shared_ptr<card_stream>& c);
  void put_card_content(const std::shared_ptr<card_stream>& c, const std::string& text,
                        bool retried, std::function<void(api_error)> done);
  void close_card(const std::shared_ptr<card_stream>& c, const std::string& summary, bool retried,
                  std::function<void(api_error)> done);
  void settle_card(const std::vector<uint64_t>& owed, const api_error& e,
                   const std::string& message_id);
  // A card this instance no longer remembers (a restart) but the host's store does: closed
  // (best effort) and the edit fails PB_ERR_UNSUPPORTED. False when `message_id` is no card.
  bool card_after_restart(const outbound_request& r, uint64_t oid);
  void forget_card(const std::shared_ptr<card_stream>& c);  // its durable marker

  // Completes the send owed under `oid` with the answer of `op` (logged when it failed).
  void settle_send(uint64_t oid, api_op op, const api_call_result& res);

  // media.cpp: upload + media message (on the strand, after send's prologue, for the completion
  // owed under `oid`); download of an inbound attachment
  void send_media(const outbound_request& r, uint64_t oid);
  void fetch(fetch_job j, sdk::completion done);

  // typing.cpp
  void typing(typing_request r, sdk::completion done);
  void typing_stop(const std::string& message_id, uint64_t oid);
  // The reaction id kept in the instance store for `message_id` ("" = none); store "" = delete.
  std::string stored_reaction(const std::string& message_id);
  void store_reaction(const std::string& message_id, const std::string& reaction_id);
  static constexpr std::chrono::milliseconds typing_pause{300'000};

  // webhook_handler.cpp
  void on_http(const sdk::http_request& req, const sdk::http_responder& respond);

  // family_channel.cpp
  void on_identity(const bot_identity& bot);
  void on_health(bool ok, const std::string& reason);
  void on_ws_status(pb_channel_state state, const std::string& reason, uint32_t attempt,
                    int64_t next);
  void start_ws();
  void report(pb_channel_state state, const std::string& reason = {}, uint32_t attempt = 0,
              int64_t next = 0);
  // Liveness evidence for the host (ABI minor 2; a no-op on an older host).
  void alive(pb_liveness_kind kind, std::chrono::milliseconds window);
  void check_stopped();
  void finish_stop();

  // instance_core: rt_, strand_, host_, cfg_, closed_, owed_; log, monotonic_ms, now_unix_ms.

  // strand-only state
  std::shared_ptr<api_client> api_;
  std::shared_ptr<inbound_handler> inbound_;
  std::shared_ptr<ws_supervisor> ws_;
  bool started_ = false;
  bool stopping_ = false;
  bool ws_stopped_ = true;
  bool healthy_ = true;
  struct ws_status {
    pb_channel_state state = PB_STATE_STARTING;
    std::string reason;
    uint32_t attempt = 0;
    int64_t next = 0;
  };
  std::optional<ws_status> last_ws_status_;
  bounded_lru<std::shared_ptr<card_stream>> cards_{cfg_.card_states};
  pending_stop stop_;
  bounded_lru<typing_reaction> typing_reactions_{1024};  // by the user's message id
  int64_t typing_paused_until_ = 0;                      // monotonic ms
};

}  // namespace patchbay::plugins::feishu_family
