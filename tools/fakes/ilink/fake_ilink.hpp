// patchbay-fake-ilink: the whole fake iLink service as a state machine without I/O.
//
// handle() takes one HTTP request (iLink bot API, QR login, CDN, or the /_fake/ control API) and
// says what to do with it: answer now, park it (a long poll: answer when poll_timeout() is called
// for its ticket, unless a completion answers it first), stall it (call stall_over() after the
// delay), or drop the connection. Requests that change state (an injected message, an expired
// session) also return completions: answers for long polls parked earlier. The network glue
// (server.cpp) owns the parked exchanges and the timers; this class owns everything else.
//
// Protocol facts: docs/protocols/weixin-ilink.md; the fake's contract and its knobs:
// tools/fakes/README.md (## ilink).
//
// Thread safety: none. The caller serializes every call (server.cpp holds one mutex).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cdn_store.hpp"
#include "faults.hpp"
#include "ids.hpp"
#include "mailbox.hpp"
#include "patchbay/kit/http_types.hpp"
#include "request_log.hpp"
#include "settings.hpp"

namespace patchbay::fakes::ilink {

struct account_creds {
  std::string account_id;
  std::string bot_token;
  std::string user_id;
};

struct action {
  enum class kind { respond, park, stall, drop };
  kind what = kind::respond;
  kit::http_response response;         // respond
  std::uint64_t ticket = 0;            // park, stall
  std::chrono::milliseconds delay{0};  // park: the hold; stall: how long
};

struct completion {
  std::uint64_t ticket = 0;  // a parked long poll
  kit::http_response response;
};

struct outcome {
  action act;
  std::vector<completion> ready;
};

class fake_ilink {
 public:
  using clock_fn = std::function<std::int64_t()>;  // milliseconds since the epoch

  fake_ilink(const settings& s, std::uint64_t seed, clock_fn now = {});

  // The URL clients reach this server at (QR "baseurl", CDN upload URLs).
  void set_base_url(std::string url) { base_url_ = std::move(url); }
  const std::string& base_url() const { return base_url_; }
  std::vector<account_creds> add_accounts(std::size_t n);
  const settings& config() const { return settings_; }

  outcome handle(const kit::http_request& req);
  // The hold of parked poll `ticket` is over: its (empty) answer, or nullopt if already answered.
  std::optional<kit::http_response> poll_timeout(std::uint64_t ticket);
  // The stall of request `ticket` is over: handles it now, without the transport faults already
  // applied and without holding a getupdates again.
  outcome stall_over(std::uint64_t ticket);
  std::size_t parked_polls() const { return waiters_.size(); }

 private:
  enum class session_state { ok, expired, expired_hard };
  struct account {
    account_creds creds;
    std::uint32_t index = 0;
    session_state session = session_state::ok;
    std::vector<std::string> expired_paths;
    bool expiry_with_ret = false;
    mailbox box;
    std::uint64_t answers = 0;  // getupdates answers, folded into each cursor
    std::set<std::string> known_users;
  };
  struct token_info {
    std::string account_id;
    std::string user_id;
    std::int64_t issued_ms = 0;
    int sends = 0;
  };
  struct sent_record {
    std::string account, to, text, context_token, client_id, run_id;
    std::int64_t time_ms = 0;
    std::int64_t item_type = 0;
    std::uint64_t message_id = 0;
    boost::json::array media;  // check_media_item's `seen` per media item
  };
  struct stalled_request {
    kit::http_request req;
    std::uint64_t log_id = 0;
  };
  struct qr_code {
    std::string id;
    std::string state = "wait";
    std::string account_id;     // once confirmed
    std::string redirect_host;  // scaned_but_redirect
    std::int64_t created_ms = 0;
  };
  struct request_ctx {
    const kit::http_request& req;
    std::uint64_t log_id;
    account* acct;
    bool after_stall;
    boost::json::object body;
  };

  // fake_ilink.cpp: dispatch, shared helpers
  outcome route(const kit::http_request& req, std::uint64_t log_id, bool after_stall);
  account* account_by_token(const kit::http_request& req);
  account* find_account(std::string_view account_id);
  kit::http_response reply(std::uint64_t log_id, const boost::json::object& answer,
                           unsigned status = 200);
  kit::http_response reply_text(std::uint64_t log_id, unsigned status, std::string body,
                                std::string content_type = "text/plain");
  kit::http_response session_timeout(std::uint64_t log_id, bool with_ret);
  kit::http_response bad_request(std::uint64_t log_id, const std::string& what);
  std::int64_t now() const { return now_(); }

  // bot_api.cpp: the authenticated /ilink/bot/ endpoints
  outcome bot_endpoint(request_ctx& c, std::string_view endpoint);
  outcome get_updates(request_ctx& c);
  kit::http_response updates_answer(account& a, std::uint64_t after_seq, std::uint64_t log_id);
  kit::http_response send_message(request_ctx& c);
  kit::http_response get_config(request_ctx& c);
  kit::http_response send_typing(request_ctx& c);
  kit::http_response notify_start(request_ctx& c);
  boost::json::value delivered(const stored_message& m) const;

  // control_api.cpp: /_fake/
  outcome control(const kit::http_request& req);
  outcome inject(const boost::json::object& body);
  outcome arm_fault(const boost::json::object& body);
  std::vector<completion> expire_sessions(const fault& f);
  std::vector<completion> wake_polls(account& a);
  void reset();
  // The account named by body["account"]; when absent, the only account. Sets `err` otherwise.
  account* pick_account(const boost::json::object& body, std::string& err);

  // cdn_api.cpp
  kit::http_response get_upload_url(request_ctx& c);
  kit::http_response cdn_request(const kit::http_request& req, std::uint64_t log_id);
  kit::http_response stage_media(const boost::json::object& body);
  // A media item of a sendmessage (type 2..5): its media must be a file on the CDN that decrypts
  // with the declared aes_key (base64 of 32 hex chars), sizes as §4.3 says. "" and `seen` = what
  // the user sees (kind, file_name, size, md5, data_base64 up to 256 KiB), else the problem.
  std::string check_media_item(const boost::json::object& item, std::int64_t type,
                               boost::json::object& seen) const;

  // qr_login.cpp
  kit::http_response qr_create(const kit::http_request& req, std::uint64_t log_id);
  kit::http_response qr_status(const kit::http_request& req, std::uint64_t log_id);
  kit::http_response qr_control(const boost::json::object& body);
  void qr_apply(qr_code& q, const boost::json::object& body);

  settings settings_;
  const settings initial_settings_;
  clock_fn now_;
  id_source ids_;
  std::string base_url_ = "http://127.0.0.1";

  std::vector<std::unique_ptr<account>> accounts_;
  std::unordered_map<std::string, account*> by_token_;
  std::unordered_map<std::string, account*> by_id_;
  fault_table faults_;
  poll_waiters waiters_;
  request_log log_;
  std::deque<sent_record> sent_;
  std::unordered_map<std::string, token_info> tokens_;         // context_token -> issue
  std::deque<std::string> token_order_;                        // bounds tokens_
  std::unordered_map<std::string, std::uint64_t> client_ids_;  // accepted sendmessage client_id
  std::deque<std::string> client_id_order_;
  std::map<std::string, std::string> typing_tickets_;  // account "\n" user -> ticket
  struct typing_record {
    std::string account, user;
    std::int64_t status = 0;  // 1 typing, 2 cancel
    std::int64_t time_ms = 0;
  };
  std::deque<typing_record> typing_log_;              // accepted sendtyping calls, bounded
  std::map<std::string, std::int64_t> typing_state_;  // "account/user" -> last status
  std::map<std::uint64_t, stalled_request> stalled_;
  std::uint64_t next_stall_ = 1;
  cdn_store cdn_;
  std::deque<qr_code> qrs_;
  std::optional<boost::json::object> qr_pending_;  // /_fake/qrcode before any QR exists
};

}  // namespace patchbay::fakes::ilink
