// patchbay-fake-ilink: the server-wide knobs. The defaults follow the protocol note
// (docs/protocols/weixin-ilink.md); every behaviour the note marks as unverified is a knob
// here, settable on the command line (hold) or at run time with POST /_fake/config.
//
// Plain data; no thread safety of its own (owned by fake_ilink, which its caller serializes).
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace patchbay::fakes::ilink {

struct settings {
  // getupdates: how long a poll without news is held, and the longpolling_timeout_ms advertised
  // in every answer (the real hold time is undocumented; the client's default timeout is 35 s).
  std::int64_t hold_ms = 35'000;
  std::int64_t longpolling_timeout_ms = 35'000;
  // get_updates_buf "" replays the retained backlog (true) or starts at "now" (false): unverified.
  bool empty_cursor_backlog = true;
  // message_id / msg_id / svr_id as JSON strings instead of bare integers above 2^53.
  bool ids_as_strings = false;
  // -14 answers carry "ret":-14 besides "errcode":-14 (the real server was seen without ret).
  bool session_error_with_ret = false;
  std::size_t max_batch = 100;          // messages per getupdates answer
  std::size_t retain_messages = 1'000;  // per account; older ones are forgotten

  // sendmessage validation (all unverified limits, see the note's §4.1 and §10).
  int send_budget_per_token = 10;  // sends per context_token; 0 = unlimited
  bool progress_counts = true;     // item types 11/12 count against that budget
  std::size_t max_text_units =
      4'000;                   // UTF-16 units (as JS counts); longer => ret -2 "prepare failed"
  int missing_token_ret = -3;  // no context_token; 0 = accept the send
  int bad_token_ret = -2;      // unknown, foreign or expired context_token; 0 = accept
  std::int64_t context_token_ttl_ms = 24LL * 3600 * 1000;
  std::string send_success = "message_id";     // "message_id" | "ret_only" | "empty_object"
  std::string duplicate_client_id = "accept";  // "accept" | "dedupe" | "reject"

  // getuploadurl answers upload_full_url besides upload_param (false: only upload_param, so the
  // client builds <cdn>/upload?encrypted_query_param=…&filekey=… itself).
  bool upload_full_url = true;

  // QR login.
  std::string qr_verify_code = "123456";
  std::int64_t qr_ttl_ms = 5 * 60 * 1000;

  // Bounds of what the control API keeps.
  std::size_t max_requests = 10'000;
  std::size_t max_sent = 10'000;
};

boost::json::object to_json(const settings& s);
// Applies the keys present in `patch` (same names as to_json). Returns "" or what is wrong;
// on error nothing is changed.
std::string apply_patch(settings& s, const boost::json::object& patch);

}  // namespace patchbay::fakes::ilink
