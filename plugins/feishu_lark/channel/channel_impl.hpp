// Feishu/Lark family: the inside of family_channel (private to plugins/feishu_lark/channel).
// One instance's state on one strand of the plugin's shared runtime, split by concern:
//   family_channel.cpp    composition: construction, start, status, stop, destroy
//   outbound.cpp          send (reply / send to chat) and edit, with uuid idempotency keys
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
#include <memory>
#include <optional>
#include <string>

#include "feishu_lark/channel/api_client.hpp"
#include "feishu_lark/channel/family_channel.hpp"
#include "feishu_lark/channel/inbound.hpp"
#include "feishu_lark/channel/ws_supervisor.hpp"
#include "support/bounded_lru.hpp"
#include "support/http_calls.hpp"
#include "support/instance_core.hpp"
#include "support/plugin_runtime.hpp"

namespace patchbay::plugins::feishu_family {

struct outbound_request {
  std::string chat_id;
  std::string reply_to;    // send: reply to this message when set
  std::string message_id;  // edit: the message to edit
  std::string text;
  std::string turn_id;
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
  pending_stop stop_;
  bounded_lru<typing_reaction> typing_reactions_{1024};  // by the user's message id
  int64_t typing_paused_until_ = 0;                      // monotonic ms
};

}  // namespace patchbay::plugins::feishu_family
