// patchbay-fake-feishu: the whole fake Feishu/Lark platform as a state machine without I/O.
//
// handle() takes one HTTP request (Open API, endpoint discovery, the WebSocket upgrade, or the
// /_fake/ control API) and says what to do: answer it, upgrade it to the long connection (the
// connection id is reserved here), or run a webhook POST for the control API (the server does the
// HTTP call and reports back with webhook_done()). The long connection is driven by on_open /
// on_frame / on_close; pushing events, pongs, aborts, closes and stalls come back as ws_commands
// for the server to carry out. Time comes from the caller's clock (ms since the fake started):
// tick() settles ack deadlines and due re-pushes; arm one timer at next_deadline().
//
// Protocol facts: docs/protocols/feishu-lark.md; the fake's contract: tools/fakes/README.md
// (## feishu). Thread safety: none. The caller serializes every call (server.cpp: one mutex).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "apps.hpp"
#include "card_store.hpp"
#include "event_json.hpp"
#include "event_store.hpp"
#include "faults.hpp"
#include "feishu_lark/proto/pbbp2.hpp"
#include "ids.hpp"
#include "media_store.hpp"
#include "message_store.hpp"
#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_types.hpp"
#include "reactions.hpp"
#include "settings.hpp"
#include "wire_log.hpp"

namespace patchbay::fakes::feishu {

struct ws_command {
  enum class kind { send, close, abort, stall };
  kind what = kind::send;
  std::uint64_t conn = 0;
  std::string bytes;             // send: one binary message
  std::uint16_t code = 1000;     // close
  std::int64_t duration_ms = 0;  // stall: 0 = until the connection ends
};

struct webhook_job {
  kit::http_client_request request;
  std::string event_id, message_id;
};

struct outcome {
  enum class kind { respond, upgrade, webhook };
  kind what = kind::respond;
  kit::http_response response;
  std::uint64_t conn = 0;  // upgrade
  std::optional<webhook_job> webhook;
  std::vector<ws_command> commands;  // for connections (e.g. an injected event, a drop fault)
};

class fake_feishu {
 public:
  using clock_fn = std::function<std::int64_t()>;  // ms since the fake started

  fake_feishu(settings s, std::uint64_t seed, clock_fn now);

  // "https://127.0.0.1:P" (or http) and "wss://127.0.0.1:P" (or ws).
  void set_base_urls(std::string http_base, std::string ws_base);
  std::vector<app_creds> add_apps(std::size_t n);
  const settings& config() const { return settings_; }

  outcome handle(const kit::http_request& req);

  // The long connection `conn` (reserved by an upgrade outcome) is open / got a message / ended.
  std::vector<ws_command> on_open(std::uint64_t conn);
  std::vector<ws_command> on_frame(std::uint64_t conn, std::string_view bytes);
  void on_close(std::uint64_t conn, std::string why);

  // Settles what is due at now(): missed acks, re-pushes.
  std::vector<ws_command> tick();
  std::optional<std::int64_t> next_deadline() const { return events_.next_deadline(); }

  // The answer to the /_fake/webhook request once the POST finished (error "" on any status).
  kit::http_response webhook_done(const webhook_job& job, const std::string& error, unsigned status,
                                  const std::string& body);

  std::size_t open_connections() const;
  // False once on_close ran for `conn` (or it was never reserved).
  bool connection_alive(std::uint64_t conn) const;
  std::int64_t now_ms() const { return now_(); }

 private:
  struct connection {
    std::uint64_t id = 0;
    std::string app_id;
    std::int32_t service_id = 0;
    std::int64_t opened_ms = 0;
    std::int64_t closed_ms = 0;
    bool open = false;
    bool ended = false;
    std::string close_reason;
    std::uint64_t pings = 0;
    // stall fault: frames that still arrive (a read already under way) are dropped unanswered
    // until then (ms on the fake's clock; -1 = for the rest of the connection).
    std::int64_t stalled_until_ms = 0;
  };
  struct api_ctx {
    const kit::http_request& req;
    std::uint64_t log_id;
    app_state* app = nullptr;
    boost::json::object body;
  };

  // fake_feishu.cpp: dispatch, discovery, upgrade, answers
  kit::http_response answer(std::uint64_t log_id, unsigned status, boost::json::object body,
                            kit::http_headers headers = {});
  kit::http_response api_error(std::uint64_t log_id, unsigned status, std::int64_t code,
                               std::string msg);
  kit::http_response discovery(const kit::http_request& req, std::uint64_t log_id);
  outcome upgrade(const kit::http_request& req, std::uint64_t log_id);
  std::int64_t now() const { return now_(); }
  std::int64_t epoch_ms() const { return epoch_offset_ms_ + now_(); }

  // open_api.cpp: /open-apis/
  kit::http_response open_api(const kit::http_request& req, std::uint64_t log_id);
  kit::http_response tenant_token(api_ctx& c);
  kit::http_response bot_info(api_ctx& c);
  kit::http_response send_message(api_ctx& c, const std::string& reply_to);
  kit::http_response edit_message(api_ctx& c, const std::string& id);
  kit::http_response patch_card(api_ctx& c, const std::string& id);
  // cardkit_api.cpp: /open-apis/cardkit/v1/cards…
  kit::http_response cardkit(api_ctx& c, std::string_view rest);
  card_store::limits card_limits() const;
  // reactions.cpp: add (reaction_id "") or remove a reaction
  kit::http_response reaction(api_ctx& c, const std::string& message_id,
                              const std::string& reaction_id);
  boost::json::object message_json(const stored_message& m) const;

  // media_api.cpp: uploads, resource downloads, media message contents
  kit::http_response upload(api_ctx& c, bool image);
  kit::http_response resource(api_ctx& c, const std::string& message_id, const std::string& key);
  // "" when `content` of an image/file/audio/media message names a key this app uploaded with the
  // right kind; otherwise what is wrong, with the platform `code`.
  std::string check_media_content(const std::string& app_id, const std::string& msg_type,
                                  const boost::json::object& content, std::int64_t& code);
  // Records that message `message_id` carries the image_key / file_key in `content`.
  void link_media(const std::string& msg_type, const std::string& content,
                  const std::string& message_id);

  // ws_side.cpp: the long connection and event delivery
  void deliver(std::uint64_t seq, std::vector<ws_command>& out);
  void deliver_to(event_record& e, connection& c, std::vector<ws_command>& out);
  void send_frame(connection& c, const plugins::feishu_family::pbbp2::frame& f,
                  std::vector<ws_command>& out);
  std::vector<ws_command> for_app_conns(std::string_view app_id, const ws_command& proto);

  // control_api.cpp: /_fake/
  outcome control(const kit::http_request& req);
  outcome inject(const boost::json::object& body);
  outcome webhook(const boost::json::object& body);
  void remember_inbound(const app_state& app, const inject_fields& g);
  outcome arm_fault(const boost::json::object& body);
  kit::http_response set_config(const boost::json::object& body);
  boost::json::object connections_json(std::string_view app_filter) const;
  void reset();
  app_state* pick_app(const boost::json::object& body, std::string& err);

  settings settings_;
  clock_fn now_;
  std::int64_t epoch_offset_ms_ = 0;  // wall clock at now() == 0, for create_time fields
  id_source ids_;
  std::string http_base_ = "https://127.0.0.1";
  std::string ws_base_ = "wss://127.0.0.1";
  std::int32_t service_id_ = 0;
  std::uint64_t frame_seq_ = 0;  // SeqID/LogID of pushed frames: small, below 2^53 (§2.3)

  app_registry apps_;
  fault_table faults_;
  wire_log log_;
  event_store events_;
  message_store messages_;
  card_store cards_;
  media_store media_;
  reaction_store reactions_;
  std::map<std::uint64_t, connection> conns_;  // bounded: ended ones pruned oldest first
  std::uint64_t next_conn_ = 1;
  std::unordered_map<std::string, std::vector<std::uint64_t>> open_by_app_;
  std::unordered_map<std::string, std::deque<std::uint64_t>> queued_;  // events with no conn
  struct discovery_record {
    std::int64_t time_ms = 0;
    std::string app_id;
    std::int64_t code = 0;
  };
  std::deque<discovery_record> discoveries_;
  std::unordered_map<std::string, std::string> pong_config_;  // app_id -> next pong payload
};

}  // namespace patchbay::fakes::feishu
