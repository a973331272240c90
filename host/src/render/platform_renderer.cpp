#include "render/platform_renderer.hpp"

#include "render/reply_budget.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "patchbay/pb_messages.h"
#include "render/chunker.hpp"

namespace patchbay::render {
using namespace std::chrono;

namespace {
constexpr std::string_view error_prefix = "\xE2\x9A\xA0\xEF\xB8\x8F ";  // "⚠️ "

// The plugin's answer to an edit of a message that can no longer be updated (a closed or expired
// streaming card, a deleted message): what it does not show yet goes out as new messages.
bool cannot_update(int32_t code) { return code == PB_ERR_UNSUPPORTED || code == PB_ERR_NOT_FOUND; }

const char* role_name(int r) {
  static const char* names[] = {"placeholder", "stream edit", "final edit", "error edit",
                                "part",        "content",     "attachment"};
  return names[r];
}
}  // namespace

// Overrides take ownership of `msg` and `done`: the signature passes them by value.
// NOLINTBEGIN(performance-unnecessary-value-param)
void renderer_port::send_attachment(const messages::attachment_spec& file,
                                    messages::outbound_message /*msg*/, op_done done) {
  done(messages::op_result{
      PB_ERR_UNSUPPORTED,
      "This channel cannot send files: " + (file.name.empty() ? file.kind : file.name),
      0,
      {}});
}
// NOLINTEND(performance-unnecessary-value-param)

platform_renderer::platform_renderer(turn_target target, effective_caps caps, renderer_port& port,
                                     std::function<void(turn_outcome)> on_finished,
                                     retry_policy policy)
    : target_(std::move(target)),
      caps_(caps),
      port_(port),
      on_finished_(std::move(on_finished)),
      policy_(policy),
      editing_(caps.can_edit) {
  rec_.turn_id = target_.turn_id;
}

platform_renderer::~platform_renderer() { *alive_ = false; }

void platform_renderer::resume(const turn_record& rec) {
  rec_ = rec;
  rec_.turn_id = target_.turn_id;
  rec_.terminal = false;
  rec_.outcome.clear();
  text_ = rec.flushed_text;  // what the user last saw (markers included, if it was split)
  shown_ = text_.size();
  placeholder_planned_ = has_placeholder();
  editing_ = caps_.can_edit && has_placeholder();
}

bool platform_renderer::restore(const turn_record& rec, const pending_plan& plan) {
  for (const auto& o : plan.ops)
    if (o.role < 0 || o.role > static_cast<int>(op_role::attachment) ||
        (o.role == static_cast<int>(op_role::attachment) && !o.file))
      return false;
  rec_ = rec;
  rec_.turn_id = target_.turn_id;
  rec_.terminal = true;
  rec_.outcome = plan.error ? "error" : "complete";
  terminal_ = plan.error ? terminal_kind::error : terminal_kind::complete;
  error_text_ = plan.error_text;
  text_ = plan.text;
  shown_ = std::min(plan.shown, text_.size());
  placeholder_planned_ = true;
  editing_ = caps_.can_edit && plan.editing && has_placeholder();
  final_planned_ = plan.final_planned;
  sends_planned_ = plan.sends_planned;
  edits_used_ = plan.edits_used;
  for (const auto& p : plan.ops) {
    op o{static_cast<op_role>(p.role), p.text, p.flags, p.recipient};
    o.file = p.file;
    queue_.push_back(std::move(o));
  }
  pump();
  return true;
}

planned_op platform_renderer::planned_of(const op& o) {
  return planned_op{static_cast<int>(o.role), o.text, o.flags, o.recipient, o.file};
}

std::string platform_renderer::pending_json(bool with_current) const {
  if (terminal_ == terminal_kind::none || finished_) return {};
  pending_plan p;
  if (with_current && current_) p.ops.push_back(planned_of(*current_));
  for (const auto& o : queue_) p.ops.push_back(planned_of(o));
  if (final_planned_ && p.ops.empty()) return {};
  p.error = terminal_ == terminal_kind::error;
  p.error_text = error_text_;
  // The answer's text only while a step left still reads it: the final plan, the placeholder's
  // preview, a final edit whose refusal sends what the message does not show.
  bool needs_text = !final_planned_;
  for (const auto& o : p.ops)
    needs_text = needs_text || (o.role != static_cast<int>(op_role::part) &&
                                o.role != static_cast<int>(op_role::content) &&
                                o.role != static_cast<int>(op_role::attachment));
  if (needs_text) {
    p.text = text_;
    p.shown = shown_;
  }
  p.editing = editing_;
  p.final_planned = final_planned_;
  p.sends_planned = sends_planned_;
  p.edits_used = edits_used_;
  return to_json(p);
}

// ---- events from the agent ----------------------------------------------------------------------

void platform_renderer::on_delta(std::string_view text) {
  if (terminal_ != terminal_kind::none || text.empty()) return;
  text_.append(text);
  if (editing_ && !placeholder_planned_ && sends_left(1) > 0) {
    placeholder_planned_ = true;
    ++sends_planned_;
    queue_.push_back(op{op_role::placeholder, {}, PB_SEND_STREAM});
  }
  pump();
}

void platform_renderer::on_content(std::string_view text, bool ephemeral) {
  if (terminal_ != terminal_kind::none || text.empty()) return;
  uint32_t flags = ephemeral && caps_.can_ephemeral ? PB_SEND_EPHEMERAL : 0;
  for (auto& part : budgeted_parts(std::string(text), 1))
    queue_.push_back(
        op{op_role::content, std::move(part), flags, flags ? target_.sender_id : std::string()});
  pump();
}

void platform_renderer::on_attachment(const messages::attachment_spec& file) {
  if (terminal_ != terminal_kind::none) return;
  op o{op_role::attachment, {}};
  o.file = file;
  queue_.push_back(std::move(o));
  for (auto& part : parts_of(file.caption)) queue_.push_back(op{op_role::content, std::move(part)});
  pump();
}

void platform_renderer::on_complete() {
  if (terminal_ != terminal_kind::none) return;
  terminal_ = terminal_kind::complete;
  rec_.terminal = true;
  rec_.outcome = "complete";
  persist();  // before any final operation or retry
  pump();
}

void platform_renderer::on_error(std::string_view user_text) {
  if (terminal_ != terminal_kind::none) return;
  terminal_ = terminal_kind::error;
  error_text_ = user_text.empty() ? "Something went wrong." : std::string(user_text);
  rec_.terminal = true;
  rec_.outcome = "error";
  persist();
  pump();
}

// ---- scheduling
// -----------------------------------------------------------------------------------

void platform_renderer::pump() {
  if (finished_ || current_ || retry_wait_) return;
  if (!queue_.empty()) {
    op o = std::move(queue_.front());
    queue_.pop_front();
    start(std::move(o));
    return;
  }
  if (terminal_ != terminal_kind::none) {
    if (!final_planned_) {
      plan_final();
      if (!queue_.empty()) return pump();
    }
    return finish();
  }
  // Streaming: bring the placeholder up to date, no faster than the edit interval.
  if (!editing_ || !has_placeholder() || shown_ == text_.size() || !edits_left(1)) return;
  int64_t wait = last_edit_ms_ + caps_.min_edit_interval_ms - port_.now_ms();
  if (wait > 0) return arm(milliseconds(wait));
  start(op{op_role::stream_edit, {}});
}

void platform_renderer::arm(milliseconds delay) {
  uint64_t gen = ++timer_gen_;
  timer_armed_ = true;
  port_.arm_timer(delay, [this, gen, alive = std::weak_ptr<bool>(alive_)] {
    auto a = alive.lock();
    if (!a || !*a || gen != timer_gen_) return;
    timer_armed_ = false;
    retry_wait_ = false;
    pump();
  });
}

size_t platform_renderer::sends_left(size_t reserve) const {
  if (caps_.max_sends == 0) return SIZE_MAX;
  const size_t used = sends_planned_ + reserve;
  return used >= caps_.max_sends ? 0 : caps_.max_sends - used;
}

std::vector<std::string> platform_renderer::budgeted_parts(const std::string& text,
                                                           size_t reserve) {
  const size_t left = sends_left(reserve);
  if (left == SIZE_MAX) return parts_of(text);
  if (text.empty()) return {};
  std::vector<std::string> parts;
  if (caps_.limit == 0) {
    if (left > 0) parts.push_back(text);
  } else {
    auto fit = render::fit_parts(text, render::chunk_options{caps_.limit, caps_.unit, true}, left);
    if (!fit.error.empty()) {
      port_.log(log_level::error, "turn " + target_.turn_id + ": cannot split the answer for a " +
                                      std::to_string(caps_.limit) + " limit: " + fit.error);
      fit.parts = left > 0 ? std::vector<std::string>{text} : std::vector<std::string>{};
    }
    if (fit.cut)
      port_.log(log_level::warn, "turn " + target_.turn_id + ": the answer was cut to " +
                                     std::to_string(fit.parts.size()) +
                                     " message(s): the channel allows " +
                                     std::to_string(caps_.max_sends) + " per reply");
    parts = std::move(fit.parts);
  }
  sends_planned_ += parts.size();
  return parts;
}

bool platform_renderer::edits_left(int reserve) const {
  return caps_.max_edits == 0 || edits_used_ + reserve < static_cast<int>(caps_.max_edits);
}

void platform_renderer::persist() { port_.persist(rec_); }

// ---- text ---------------------------------------------------------------------------------------

std::vector<std::string> platform_renderer::parts_of(const std::string& text) {
  if (text.empty()) return {};
  if (caps_.limit == 0) return {text};
  auto r = render::chunk_text(text, render::chunk_options{caps_.limit, caps_.unit, true});
  if (!r.error.empty() || r.parts.empty()) {
    port_.log(log_level::error, "turn " + target_.turn_id + ": cannot split the answer for a " +
                                    std::to_string(caps_.limit) + " limit: " + r.error);
    return {text};  // the plugin rejects it and the failure is logged there
  }
  return r.parts;
}

std::string platform_renderer::preview(size_t& covers) {
  auto parts = parts_of(text_);  // text_ is never empty here
  covers = parts.size() == 1 ? text_.size()
                             : parts[0].size() - render::continues_marker(1, parts.size()).size();
  return parts[0];
}

std::string platform_renderer::error_notice_for_placeholder() {
  std::string notice = std::string(error_prefix) + error_text_;
  std::string with_text = text_.empty() ? notice : text_ + "\n\n" + notice;
  if (caps_.limit == 0 || render::measure(with_text, caps_.unit) <= caps_.limit) return with_text;
  auto parts = parts_of(notice);  // keep the notice whole if it can be; else its first part
  return parts[0];
}

void platform_renderer::plan_final() {
  final_planned_ = true;
  if (terminal_ == terminal_kind::complete) {
    if (text_.empty()) return;
    std::vector<std::string> parts;
    size_t first = 0;
    if (has_placeholder() && editing_) {
      // The placeholder shows part 1: its send is counted again with the parts.
      if (sends_planned_ > 0) --sends_planned_;  // 0 for a placeholder resumed after a restart
      parts = budgeted_parts(text_, 0);
      if (parts.empty()) return;
      // Always, even when the text did not change: the final edit closes the stream.
      queue_.push_back(op{op_role::final_edit, parts[0], PB_EDIT_FINAL});
      first = 1;
    } else if (has_placeholder()) {
      // The platform stopped taking edits: what the placeholder does not show goes out as new
      // messages.
      if (shown_ < text_.size()) parts = budgeted_parts(text_.substr(shown_), 0);
    } else {
      parts = budgeted_parts(text_, 0);
    }
    for (size_t i = first; i < parts.size(); ++i) queue_.push_back(op{op_role::part, parts[i]});
    return;
  }
  if (has_placeholder() && editing_) {
    queue_.push_back(op{op_role::error_edit, error_notice_for_placeholder(), PB_EDIT_FINAL});
    return;
  }
  // No placeholder to edit: the buffered (or unshown) text and the notice as new messages.
  for (auto& p : unshown_with_notice()) queue_.push_back(op{op_role::part, std::move(p)});
}

std::vector<std::string> platform_renderer::unshown_with_notice() {
  std::string rest = has_placeholder() ? text_.substr(shown_) : text_;
  std::string notice = std::string(error_prefix) + error_text_;
  std::string both = rest.empty() ? notice : rest + "\n\n" + notice;
  if (sends_left(0) != SIZE_MAX && !rest.empty() && parts_of(both).size() > sends_left(0)) {
    // Over the budget: the text cut to what fits beside the notice, then the notice itself.
    const size_t left = sends_left(0);
    std::vector<std::string> parts;
    if (left > 1) {
      ++sends_planned_;  // the notice's send
      parts = budgeted_parts(rest, 0);
      --sends_planned_;
    }
    if (left > 0) {
      ++sends_planned_;
      parts.push_back(parts_of(notice)[0]);
    }
    return parts;
  }
  return budgeted_parts(both, 0);
}

void platform_renderer::finish() {
  if (finished_) return;
  finished_ = true;
  if (on_finished_)
    on_finished_(terminal_ == terminal_kind::complete ? turn_outcome::complete
                                                      : turn_outcome::error);
}

// ---- operations
// -----------------------------------------------------------------------------------

void platform_renderer::start(op o) {
  ++o.attempts;
  current_ = std::move(o);
  op& c = *current_;
  auto done = [this, alive = std::weak_ptr<bool>(alive_)](const messages::op_result& r) {
    auto a = alive.lock();
    if (a && *a) on_result(r);
  };
  bool is_edit = c.role == op_role::stream_edit || c.role == op_role::final_edit ||
                 c.role == op_role::error_edit;
  if (c.role == op_role::placeholder || c.role == op_role::stream_edit) c.text = preview(c.covers);
  c.sent_text = c.text;
  if (is_edit) {
    op_kind kind = c.role == op_role::stream_edit  ? op_kind::edit
                   : c.role == op_role::final_edit ? op_kind::final_edit
                                                   : op_kind::notice;
    port_.edit(messages::edit_request{target_.conversation_id, rec_.placeholder_id,
                                      target_.reply_context, c.text, target_.turn_id, c.flags},
               kind, std::move(done));
    return;
  }
  messages::outbound_message m;
  m.conversation_id = target_.conversation_id;
  m.thread_id = target_.thread_id;
  m.reply_to_message_id = target_.reply_to_message_id;
  m.text = c.text;
  m.turn_id = target_.turn_id;
  m.flags = c.flags;
  m.recipient_id = c.recipient;
  bool single_use = caps_.reply_token == PB_REPLY_TOKEN_SINGLE_USE;
  if (!single_use || !rec_.reply_token_spent) {
    m.reply_context = target_.reply_context;
    if (single_use && !target_.reply_context.empty()) {
      // Spent the moment the platform sees it, whatever it answers: record that first.
      rec_.reply_token_spent = true;
      c.sent_with_token = true;
      persist();
    }
  }
  if (c.role == op_role::attachment) {
    port_.send_attachment(*c.file, std::move(m), std::move(done));
    return;
  }
  op_kind kind = c.role == op_role::placeholder ? op_kind::placeholder
                 : c.role == op_role::part && terminal_ == terminal_kind::error ? op_kind::notice
                                                                                : op_kind::send;
  port_.send(std::move(m), kind, std::move(done));
}

void platform_renderer::on_result(const messages::op_result& r) {
  if (!current_) return;
  op o = std::move(*current_);
  current_.reset();
  if (r.ok())
    succeeded(o, r);
  else
    failed(o, r);
  pump();
}

void platform_renderer::succeeded(op& o, const messages::op_result& r) {
  switch (o.role) {
    case op_role::placeholder:
      if (r.message_id.empty()) {
        port_.log(log_level::warn, "turn " + target_.turn_id +
                                       ": placeholder sent without a message id; cannot edit it");
        editing_ = false;
      }
      rec_.placeholder_id = r.message_id;
      rec_.flushed_text = o.sent_text;
      shown_ = o.covers;
      last_edit_ms_ = port_.now_ms();
      persist();
      break;
    case op_role::stream_edit:
      shown_ = o.covers;
      [[fallthrough]];
    case op_role::final_edit:
    case op_role::error_edit:
      ++edits_used_;
      last_edit_ms_ = port_.now_ms();
      rec_.flushed_text = o.sent_text;
      persist();
      break;
    case op_role::part:
    case op_role::content:
    case op_role::attachment:
      break;
  }
}

void platform_renderer::failed(op& o, const messages::op_result& r) {
  milliseconds delay{-1};
  if (o.attempts < policy_.max_attempts && !policy_.port_retries) {
    if (r.code == PB_ERR_RATE_LIMITED) {
      delay =
          std::min(milliseconds(std::max<int64_t>(r.retry_after_ms, 0)), policy_.max_retry_after);
      if (delay.count() == 0) delay = policy_.base;
    } else if (r.code == PB_ERR_RETRYABLE) {
      double exp = std::min<double>(
          static_cast<double>(policy_.base.count()) * std::pow(2.0, o.attempts - 1),
          static_cast<double>(policy_.cap.count()));
      delay = milliseconds(static_cast<int64_t>(exp * (0.5 + 0.5 * port_.random01())));
    } else if (r.code == PB_ERR_TOKEN_USED && o.sent_with_token) {
      delay = milliseconds(0);  // once more, without the spent token (start() leaves it out now)
    }
  }
  std::string what = std::string(role_name(static_cast<int>(o.role))) + " failed (" +
                     std::to_string(r.code) + ": " + r.message + ")";
  if (delay.count() >= 0) {
    port_.log(log_level::warn, "turn " + target_.turn_id + ": " + what + "; retry " +
                                   std::to_string(o.attempts + 1) + " in " +
                                   std::to_string(delay.count()) + " ms");
    o.sent_with_token = false;
    if (o.role == op_role::stream_edit) {
      // No need to retry a stale preview: the next pump edits with the latest text.
      last_edit_ms_ = port_.now_ms() + delay.count() - caps_.min_edit_interval_ms;
      return;
    }
    queue_.push_front(std::move(o));
    retry_wait_ = true;
    arm(delay);
    return;
  }
  give_up(o, r);
}

void platform_renderer::give_up(op& o, const messages::op_result& r) {
  std::string why = std::string(role_name(static_cast<int>(o.role))) + " failed for good (" +
                    std::to_string(r.code) + ": " + r.message + ")";
  switch (o.role) {
    case op_role::placeholder:
      // No placeholder: the answer goes out as new messages at the end instead.
      editing_ = false;
      shown_ = 0;
      port_.log(log_level::warn,
                "turn " + target_.turn_id + ": " + why + "; the answer will be sent when complete");
      return;
    case op_role::stream_edit:
      if (cannot_update(r.code) || r.code == PB_ERR_REJECTED) {
        // The rest goes out as new messages at the end; the message gets no further edit (a
        // streaming plugin closed its stream when it refused this one).
        editing_ = false;
      }
      port_.log(log_level::warn, "turn " + target_.turn_id + ": " + why);
      return;
    case op_role::final_edit:
      if (cannot_update(r.code) || r.code == PB_ERR_REJECTED) {
        // Deliver the unshown remainder as new messages rather than lose it: they replace the
        // later parts already planned (those are a suffix of the same remainder), so nothing
        // the user sees comes twice.
        editing_ = false;
        drop_queued_parts();
        std::vector<std::string> rest = parts_of(text_.substr(shown_));
        if (shown_ < text_.size())
          for (auto it = rest.rbegin(); it != rest.rend(); ++it)
            queue_.push_front(op{op_role::part, std::move(*it)});
      }
      port_.log(log_level::error, "turn " + target_.turn_id + ": " + why);
      return;
    case op_role::error_edit:
      if (cannot_update(r.code)) {
        // The message can no longer be updated: what it does not show and the notice, as text.
        editing_ = false;
        std::vector<std::string> rest = unshown_with_notice();
        for (auto it = rest.rbegin(); it != rest.rend(); ++it)
          queue_.push_front(op{op_role::part, std::move(*it)});
        port_.log(log_level::warn,
                  "turn " + target_.turn_id + ": " + why + "; the rest is sent as a new message");
        return;
      }
      port_.log(log_level::error,
                "turn " + target_.turn_id + ": " + why + "; the last flushed text stands");
      return;
    case op_role::attachment:
      // The user learns why in place of the file (before its caption, if any).
      port_.log(log_level::warn, "turn " + target_.turn_id + ": " + why);
      queue_.push_front(op{op_role::content, std::string(error_prefix) + r.message});
      return;
    case op_role::part:
    case op_role::content: {
      // A platform that refuses one part for good (a spent reply budget, refused credentials)
      // refuses the rest as well: they fail here, once, instead of one doomed send each.
      size_t dropped = 0;
      if (o.role == op_role::part && (r.code == PB_ERR_REJECTED || r.code == PB_ERR_AUTH))
        dropped = drop_queued_parts();
      port_.log(log_level::error, "turn " + target_.turn_id + ": undeliverable: " + why +
                                      (dropped ? "; the " + std::to_string(dropped) +
                                                     " later part(s) of this answer are not sent"
                                               : std::string()));
      return;
    }
  }
}

size_t platform_renderer::drop_queued_parts() {
  auto rest = std::remove_if(queue_.begin(), queue_.end(),
                             [](const op& x) { return x.role == op_role::part; });
  auto dropped = static_cast<size_t>(std::distance(rest, queue_.end()));
  queue_.erase(rest, queue_.end());
  return dropped;
}

}  // namespace patchbay::render
