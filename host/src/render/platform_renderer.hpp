// The platform renderer: turns one turn's thread_response stream into sends and edits on the chat
// platform the message came from, driven by the channel's (narrowed) capabilities.
//
//  - First text → a placeholder message; that send consumes a single-use reply token (the token is
//    marked spent and persisted before the send goes out). Later sends never carry a spent token.
//  - Later deltas are coalesced into edits of the placeholder, no faster than the channel's
//    minimum edit interval, keeping one edit of the budget for the final one.
//  - Completion → one final edit with the exact full text; text beyond the limit is chunked, part
//    1 in the placeholder and the rest as new messages, in order.
//  - Error after the placeholder → the placeholder is edited with the error notice; if that edit
//    fails, the last flushed text stands. Without a placeholder the notice is sent.
//  - Streamed messages: the placeholder is sent flagged PB_SEND_STREAM and gets exactly one edit
//    flagged PB_EDIT_FINAL at the end, however the answer ends (complete, the error or /stop
//    notice, part 1 of a chunked answer), even when its text did not change. An edit refused as
//    "can no longer be updated" (PB_ERR_UNSUPPORTED / PB_ERR_NOT_FOUND: a closed or expired
//    streaming card) ends the edits; what the message does not show yet goes out once as new
//    messages, never a second copy of what it shows.
//  - Channels that cannot edit: the answer is buffered and sent once at completion or error.
//  - A per-reply send budget (caps.max_sends, render/reply_budget.hpp) is planned within: the
//    answer is fitted into the sends left, the last part saying it was cut; while the answer
//    streams one send stays in reserve for an error notice; nothing is sent past the budget.
//  - `content` is a message of its own (ephemeral where the channel can, else plain).
//  - An attachment is an op of its own, in order with the others: the port materialises and sends
//    the file; its caption follows as a message of its own. A file that cannot be sent becomes a
//    notice in its place (the port's failure message is the user-facing reason).
//  - Failed operations are classified: rate_limited waits retry-after, retryable backs off with
//    jitter for a bounded number of attempts, token_used is retried once without the token,
//    everything else is not retried; what cannot be delivered is logged, never dropped silently.
//    With retry_policy::port_retries (the host: the durable outbound queue's worker retries and
//    waits) every failure that reaches the renderer is final and only the fallbacks apply.
//  - The terminal state is persisted the moment the terminal event arrives, before any final
//    operation or retry runs, so a restart or redelivery never renders the answer twice. What is
//    decided but not yet handed to the port goes with it (pending_json, render/pending_plan.hpp):
//    a restart continues it (restore), so no part of a decided answer is lost in a crash.
//
// Threading: not thread-safe. All calls, and every callback of the port, must come from one
// serialized context (the turn's strand). No I/O here: everything goes through renderer_port.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/messages.hpp"
#include "render/capabilities.hpp"
#include "render/pending_plan.hpp"

namespace patchbay::render {

// Where the answer goes, taken from the inbound message of the turn.
struct turn_target {
  std::string turn_id;
  std::string conversation_id;
  std::string thread_id;
  std::string reply_to_message_id;
  std::string reply_context;
  std::string sender_id;
};

// The turn's durable rendering state.
struct turn_record {
  std::string turn_id;
  std::string placeholder_id;
  std::string flushed_text;
  bool reply_token_spent = false;
  bool terminal = false;
  std::string outcome;  // "", "complete" or "error"
};

enum class log_level { debug, info, warn, error };

// What an operation is for (the durable outbound queue keeps it with the op; recovery after a
// restart learns the placeholder's id from a resumed `placeholder` send).
enum class op_kind { placeholder, send, edit, final_edit, notice, attachment };

// The renderer's only window on the world. Implemented by the host (plugin instance, strand
// timers, state store) and by tests (a scripted fake platform and a fake clock).
class renderer_port {
 public:
  using op_done = std::function<void(const messages::op_result&)>;
  virtual ~renderer_port() = default;
  virtual void send(messages::outbound_message msg, op_kind kind, op_done done) = 0;
  virtual void edit(messages::edit_request req, op_kind kind, op_done done) = 0;
  // A file: `msg` addresses it (its text and attachment empty); the port materialises `file` and
  // sends it. On failure `done`'s message is the text the user is shown instead. The default
  // refuses: a port that cannot send files says so.
  virtual void send_attachment(const messages::attachment_spec& file,
                               messages::outbound_message msg, op_done done);
  // Runs `fn` after `delay`. Arming again replaces the previous arm (which then never runs).
  virtual void arm_timer(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  virtual int64_t now_ms() = 0;
  virtual void persist(const turn_record& rec) = 0;
  virtual void log(log_level level, const std::string& text) = 0;
  virtual double random01() = 0;  // jitter source, [0, 1)
};

struct retry_policy {
  int max_attempts = 4;                 // per operation, the first try included
  std::chrono::milliseconds base{500};  // retryable: base * 2^(attempt-1), jittered
  std::chrono::milliseconds cap{8'000};
  std::chrono::milliseconds max_retry_after{60'000};  // rate_limited waits at most this
  // The port retries itself (the durable outbound queue: rate limits waited out, backoff, token
  // dropped on token_used): a failure reaching the renderer is final, never retried here.
  bool port_retries = false;
};

enum class turn_outcome { complete, error };

class platform_renderer {
 public:
  platform_renderer(turn_target target, effective_caps caps, renderer_port& port,
                    std::function<void(turn_outcome)> on_finished, retry_policy policy = {});
  ~platform_renderer();
  platform_renderer(const platform_renderer&) = delete;
  platform_renderer& operator=(const platform_renderer&) = delete;

  // Restart recovery: continue a turn from its persisted record (placeholder, flushed text, token
  // state) before feeding it its terminal event. Call before any other event.
  void resume(const turn_record& rec);
  // Restart recovery of a turn stored as terminal with a plan left (pending_json): continue it,
  // instead of resume() and a terminal event. False, and nothing done, for a plan this renderer
  // cannot follow (an unknown operation).
  bool restore(const turn_record& rec, const pending_plan& plan);

  // Once the turn is terminal: what it still has to deliver, in pending_plan's JSON form; "" while
  // it is not terminal, once it finished, or when nothing is left. `with_current`: the operation
  // under way was not handed to the port's queue yet (a file being materialised), so it counts as
  // left.
  std::string pending_json(bool with_current) const;

  void on_delta(std::string_view text);
  void on_content(std::string_view text, bool ephemeral);
  void on_attachment(const messages::attachment_spec& file);
  void on_error(std::string_view user_text);
  void on_complete();

  bool finished() const { return finished_; }
  // No operation or timer outstanding: safe to destroy.
  bool idle() const { return !current_ && !timer_armed_; }
  const turn_record& record() const { return rec_; }

 private:
  enum class terminal_kind { none, complete, error };
  enum class op_role {
    placeholder,
    stream_edit,
    final_edit,
    error_edit,
    part,
    content,
    attachment
  };
  struct op {
    op_role role;
    std::string text;  // fixed text; the placeholder/stream edit compute theirs at start
    uint32_t flags = 0;
    std::string recipient;
    int attempts = 0;
    bool sent_with_token = false;
    std::string sent_text;
    size_t covers = 0;  // placeholder / stream edit: bytes of the answer this text shows
    std::optional<messages::attachment_spec> file;  // attachment
  };

  static planned_op planned_of(const op& o);
  void pump();
  void start(op o);
  void on_result(const messages::op_result& r);
  void succeeded(op& o, const messages::op_result& r);
  void failed(op& o, const messages::op_result& r);
  void give_up(op& o, const messages::op_result& r);
  void plan_final();
  void finish();
  void arm(std::chrono::milliseconds delay);
  void persist();

  std::string preview(size_t& covers);  // what the placeholder shows while streaming
  std::vector<std::string> parts_of(const std::string& text);
  std::string error_notice_for_placeholder();
  std::vector<std::string> unshown_with_notice();  // error: what the user has not seen + notice
  size_t drop_queued_parts();                      // returns how many
  bool has_placeholder() const { return !rec_.placeholder_id.empty(); }
  bool edits_left(int reserve) const;
  // Sends the budget still allows, keeping `reserve` back (SIZE_MAX without a budget).
  size_t sends_left(size_t reserve) const;
  // `text` as new messages within the sends left (cut when over); counted as planned.
  std::vector<std::string> budgeted_parts(const std::string& text, size_t reserve);

  turn_target target_;
  effective_caps caps_;
  renderer_port& port_;
  std::function<void(turn_outcome)> on_finished_;
  retry_policy policy_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  turn_record rec_;
  std::string text_;  // the whole streamed answer so far
  size_t shown_ = 0;  // bytes of text_ the placeholder shows (confirmed by the platform)
  std::deque<op> queue_;
  std::optional<op> current_;
  bool placeholder_planned_ = false;
  bool editing_ = false;  // can_edit, until the platform says this message cannot be edited
  terminal_kind terminal_ = terminal_kind::none;
  std::string error_text_;
  bool final_planned_ = false;
  bool finished_ = false;
  bool timer_armed_ = false;
  bool retry_wait_ = false;  // a failed op waits for its retry: nothing else may start
  uint64_t timer_gen_ = 0;
  int edits_used_ = 0;
  size_t sends_planned_ = 0;  // sends queued for this reply (placeholder, parts, content)
  int64_t last_edit_ms_ = 0;
};

}  // namespace patchbay::render
