#include "render/platform_output.hpp"

#include <spdlog/spdlog.h>

#include "media/outbound_source.hpp"
#include "patchbay/common/log_subject.hpp"
#include "patchbay/pb_types.h"

#include <chrono>
#include <cstdio>

namespace patchbay::render {

namespace {

class forwarding_output final : public turns::turn_output {
 public:
  explicit forwarding_output(std::shared_ptr<platform_driver> d) : d_(std::move(d)) {}
  void delta(std::string_view t) override { d_->renderer().on_delta(t); }
  void content(std::string_view t, bool eph) override { d_->renderer().on_content(t, eph); }
  void attachment(const messages::attachment_spec& a) override { d_->renderer().on_attachment(a); }
  void error(std::string_view t) override { d_->renderer().on_error(t); }
  void complete() override { d_->renderer().on_complete(); }
  bool rendered() const override { return d_->rendered(); }
  void when_rendered(std::function<void()> fn) override { d_->when_rendered(std::move(fn)); }

 private:
  std::shared_ptr<platform_driver> d_;
};

}  // namespace

platform_driver::platform_driver(std::string channel_id, std::string ordering_key,
                                 render::turn_target target, render::effective_caps caps,
                                 turns::strand_scheduler& sched, state::store& store,
                                 outbound::worker& worker,
                                 std::function<void(platform_driver*)> on_idle,
                                 std::shared_ptr<const bool> sched_alive)
    : channel_id_(std::move(channel_id)),
      ordering_key_(std::move(ordering_key)),
      worker_(worker),
      target_(target),
      caps_(caps),
      sched_(sched),
      store_(store),
      on_idle_(std::move(on_idle)),
      single_use_token_(caps.reply_token == PB_REPLY_TOKEN_SINGLE_USE),
      rng_(std::chrono::steady_clock::now().time_since_epoch().count() | 1),
      sched_alive_(std::move(sched_alive)) {
  render::retry_policy policy;
  policy.port_retries = true;  // the outbound worker retries, waits and dead-letters
  renderer_ = std::make_unique<render::platform_renderer>(
      std::move(target), caps, *this,
      [this](render::turn_outcome) {
        // Finishing happens inside the renderer: look again once the call stack unwound.
        sched_.strand().post([w = weak_from_this()] {
          if (auto s = w.lock()) s->check_idle();
        });
      },
      policy);
}

platform_driver::~platform_driver() {
  if (timer_ && *sched_alive_) sched_.cancel(timer_);
}

std::unique_ptr<turns::turn_output> platform_driver::make_output() {
  return std::make_unique<forwarding_output>(shared_from_this());
}

void platform_driver::check_idle() {
  if (!rendered()) return;
  if (plan_saved_) {
    // Finished: nothing of the plan is left for a restart to continue.
    store_.save_turn(to_row(renderer_->record()), nullptr);
  }
  if (auto fn = std::move(on_rendered_)) {
    on_rendered_ = nullptr;
    fn();  // the router advances the thread
  }
  if (auto fn = std::move(on_idle_)) {
    on_idle_ = nullptr;
    fn(this);  // may destroy this driver: nothing after it
  }
}

// The worker completes on our strand, inside its own bookkeeping: answer the renderer from a
// fresh handler, so the renderer's next op never re-enters the worker mid-way.
render::renderer_port::op_done platform_driver::on_strand(op_done done) {
  return [w = weak_from_this(), done = std::move(done)](const messages::op_result& r) {
    auto s = w.lock();
    if (!s) return;
    s->sched_.strand().post([s, done, r] {
      done(r);
      s->check_idle();
    });
  };
}

namespace {
state::outbound_kind kind_of(render::op_kind k) {
  switch (k) {
    case render::op_kind::placeholder:
      return state::outbound_kind::placeholder;
    case render::op_kind::send:
      return state::outbound_kind::send;
    case render::op_kind::edit:
      return state::outbound_kind::edit;
    case render::op_kind::final_edit:
      return state::outbound_kind::final_edit;
    case render::op_kind::attachment:
      return state::outbound_kind::attachment;
    case render::op_kind::notice:
      break;
  }
  return state::outbound_kind::notice;
}
}  // namespace

void platform_driver::submit(const messages::outbound_op& op, render::op_kind kind, op_done done,
                             const std::string& spool_path) {
  if (!*sched_alive_) return;  // the turn service is gone (and its worker with it)
  state::outbound_row row;
  row.spool_path = spool_path;
  row.instance = channel_id_;
  row.ordering_key = ordering_key_;
  row.turn_id = target_.turn_id;
  row.kind = kind_of(kind);
  row.idempotency_key = target_.turn_id + "#" + std::to_string(++op_seq_);
  // Terminal: the row and the plan left after this op are durable with it, or none of them.
  std::optional<state::turn_row> also;
  if (renderer_->record().terminal) also = to_row(renderer_->record());
  terminal_unsaved_ = false;
  op_done answer = on_strand(std::move(done));
  if (kind == render::op_kind::placeholder) {
    // The placeholder's id is saved before the worker removes the op's row (it calls us first):
    // after a crash the turn shows that it had a visible message, and which one to edit.
    answer = [w = weak_from_this(), text = op.send.text,
              answer = std::move(answer)](const messages::op_result& r) {
      if (auto s = w.lock(); s && r.ok() && !r.message_id.empty()) {
        render::turn_record rec = s->renderer_->record();
        rec.placeholder_id = r.message_id;
        rec.flushed_text = text;
        s->store_.save_turn(s->to_row(rec), nullptr);
      }
      answer(r);
    };
  }
  if (worker_.submit(std::move(row), op, std::move(answer), also ? &*also : nullptr) == 0 &&
      !spool_path.empty())
    std::remove(spool_path.c_str());  // refused before a row took the file
}

void platform_driver::send_attachment(const messages::attachment_spec& file,
                                      messages::outbound_message msg, op_done done) {
  std::string name = media::display_name(file);
  op_done answer = on_strand(std::move(done));
  if (!caps_.can_attachments || materializer_ == nullptr) {
    log(render::log_level::warn, "this channel cannot send files; not sent: " + name);
    return answer(messages::op_result{PB_ERR_UNSUPPORTED, media::cannot_send_notice(name), 0, {}});
  }
  materializing_ = true;
  materializer_->materialize(
      file, caps_.max_attachment_size,
      [w = weak_from_this(), st = sched_.strand(), alive = sched_alive_, msg = std::move(msg), name,
       answer = std::move(answer)](media::materialized m) mutable {
        st.post([w, alive, msg = std::move(msg), name, answer = std::move(answer),
                 m = std::move(m)]() mutable {
          auto s = w.lock();
          if (!s || !*alive) {
            if (m.file) std::remove(m.file->path.c_str());
            return;
          }
          s->materializing_ = false;
          if (!m.file) {
            s->log(render::log_level::warn, "attachment " + name + " not sent: " + m.reason);
            return answer(messages::op_result{
                PB_ERR_INVALID_INPUT, media::failed_notice(name, m.reason), 0, {}});
          }
          std::string spool = m.file->path;
          msg.text.clear();
          msg.attachment = std::move(*m.file);
          messages::outbound_op op;
          op.single_use_token = s->single_use_token_;
          op.send = std::move(msg);
          // The platform's own failure becomes a notice the user can read.
          auto notice = [name, answer = std::move(answer)](const messages::op_result& r) {
            if (r.ok()) return answer(r);
            messages::op_result n = r;
            n.message = r.code == PB_ERR_UNSUPPORTED ? media::cannot_send_notice(name)
                        : r.code == PB_ERR_INVALID_INPUT
                            ? media::failed_notice(name, "the platform did not accept it")
                            : media::failed_notice(name, "the platform refused it");
            answer(n);
          };
          s->submit(op, render::op_kind::attachment, std::move(notice), spool);
        });
      });
}

void platform_driver::send(messages::outbound_message msg, render::op_kind kind, op_done done) {
  messages::outbound_op op;
  op.single_use_token = single_use_token_;
  op.send = std::move(msg);
  submit(op, kind, std::move(done));
}

void platform_driver::edit(messages::edit_request req, render::op_kind kind, op_done done) {
  messages::outbound_op op;
  op.single_use_token = single_use_token_;
  op.is_edit = true;
  op.edit = std::move(req);
  submit(op, kind, std::move(done));
}

void platform_driver::arm_timer(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (timer_) sched_.cancel(timer_);
  timer_ = sched_.schedule(delay, [this, fn = std::move(fn)] {
    timer_ = 0;
    fn();
    check_idle();
  });
}

int64_t platform_driver::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

state::turn_row platform_driver::to_row(const render::turn_record& rec) {
  state::turn_row row;
  row.turn_id = rec.turn_id;
  row.instance = channel_id_;
  row.conversation_id = target_.conversation_id;
  row.thread_id = target_.thread_id;
  row.reply_to_message_id = target_.reply_to_message_id;
  row.placeholder_id = rec.placeholder_id;
  row.flushed_text = rec.flushed_text;
  row.reply_token_spent = rec.reply_token_spent;
  row.terminal = rec.terminal;
  row.outcome = rec.outcome;
  row.updated_at_unix_ms = 0;  // the store stamps wall-clock time
  if (rec.terminal) {
    row.pending_plan = renderer_->pending_json(materializing_);
    plan_saved_ = !row.pending_plan.empty();
  }
  return row;
}

void platform_driver::persist(const render::turn_record& rec) {
  auto saved = [channel = channel_id_, id = rec.turn_id](const std::string& err) {
    if (!err.empty())
      spdlog::error("{}turn state not saved: {}", common::log_tag({channel, id}), err);
  };
  if (!rec.terminal) {
    terminal_unsaved_ = false;
    store_.save_turn(to_row(rec), saved);
    return;
  }
  // Terminal: saved together with the op the renderer decides next in this same handler (its
  // final edit, part or notice); if it decides none, saved alone right after.
  terminal_unsaved_ = true;
  sched_.strand().post([w = weak_from_this(), saved] {
    auto s = w.lock();
    if (!s || !s->terminal_unsaved_) return;
    s->terminal_unsaved_ = false;
    s->store_.save_turn(s->to_row(s->renderer_->record()), saved);
  });
}

void platform_driver::log(render::log_level level, const std::string& text) {
  auto l = level == render::log_level::error  ? spdlog::level::err
           : level == render::log_level::warn ? spdlog::level::warn
           : level == render::log_level::info ? spdlog::level::info
                                              : spdlog::level::debug;
  spdlog::log(l, "{}{}", common::log_tag({channel_id_, target_.turn_id}), text);
}

double platform_driver::random01() {
  rng_ ^= rng_ << 13;  // xorshift64: jitter only, no need for quality
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return static_cast<double>(rng_ >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace patchbay::render
