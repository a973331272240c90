// channel_instance::emit_inbound: admit it under the host's admission limit (else refuse it
// before anything is stored: the platform delivers it again), validate and copy what the plugin
// hands over (it is borrowed), make it durable (dedup by event id, then by the fallback
// fingerprint), then answer the plugin and pass the message on.
#include <spdlog/spdlog.h>

#include "patchbay/common/log_subject.hpp"
#include "plugin/channel_instance.hpp"
#include "state/inbound_fingerprint.hpp"

namespace patchbay::plugin {
namespace {

constexpr size_t max_text_bytes = 1 << 20;
constexpr uint32_t max_list = 1024;

std::string copy(pb_str s) { return std::string(to_view(s)); }

// Returns "" when `in` is acceptable, else why not (no message content in the text).
std::string convert(const pb_inbound_message& raw, messages::inbound_message& m) {
  pb_inbound_message in;
  if (!read_sized(&raw, PB_SIZE_THROUGH(pb_inbound_message, raw_json), in))
    return "struct_size " + std::to_string(raw.struct_size) + " is below the ABI 1.0 minimum";
  for (pb_str s : {in.event_id, in.conversation_id, in.thread_id, in.message_id, in.sender_id,
                   in.sender_name, in.text, in.reply_context, in.raw_json})
    if (!valid_view(s)) return "a string field has size > 0 and a NULL pointer";
  if (in.event_id.size == 0) return "event_id is empty (the host dedups on it)";
  if (in.conversation_id.size == 0) return "conversation_id is empty";
  if (in.text.size > max_text_bytes) return "text exceeds 1 MiB";
  if (in.mention_count > max_list || in.attachment_count > max_list)
    return "more than 1024 mentions or attachments";
  if ((in.mention_count && !in.mentions) || (in.attachment_count && !in.attachments))
    return "a list has a count and a NULL pointer";
  m.event_id = copy(in.event_id);
  m.conversation_id = copy(in.conversation_id);
  m.conversation_kind = in.conversation_kind;
  m.thread_id = copy(in.thread_id);
  m.message_id = copy(in.message_id);
  m.sender_id = copy(in.sender_id);
  m.sender_name = copy(in.sender_name);
  m.text = copy(in.text);
  m.reply_context = copy(in.reply_context);
  m.sent_at_unix_ms = in.sent_at_unix_ms;
  m.raw_json = copy(in.raw_json);
  for (uint32_t i = 0; i < in.mention_count; ++i) {
    pb_mention x;
    if (!read_sized(in.mentions[i], PB_SIZE_THROUGH(pb_mention, is_bot_self), x) ||
        !valid_view(x.user_id) || !valid_view(x.display_name))
      return "mention " + std::to_string(i) + " is malformed";
    m.mentions.push_back({copy(x.user_id), copy(x.display_name), x.is_bot_self});
  }
  for (uint32_t i = 0; i < in.attachment_count; ++i) {
    pb_attachment a;
    if (!read_sized(in.attachments[i], PB_SIZE_THROUGH(pb_attachment, url), a))
      return "attachment " + std::to_string(i) + " is malformed";
    for (pb_str s : {a.kind, a.id, a.name, a.mime_type, a.url})
      if (!valid_view(s)) return "attachment " + std::to_string(i) + " is malformed";
    m.attachments.push_back(
        {copy(a.kind), copy(a.id), copy(a.name), copy(a.mime_type), copy(a.url), a.size});
  }
  if (in.capabilities != nullptr) {
    pb_capabilities c;
    if (!read_sized(in.capabilities, PB_SIZE_THROUGH(pb_capabilities, max_edits_per_message), c))
      return "capabilities narrowing is malformed";
    m.capabilities = c;
  }
  return {};
}

}  // namespace

void channel_instance::emit_inbound(const pb_inbound_message& raw, pb_inbound_done_fn done,
                                    void* ud) {
  owing(true, [&] { intake_inbound(raw, done, ud); });
}

void channel_instance::refuse_inbound(pb_inbound_done_fn done, void* ud, int32_t code,
                                      std::string_view why) {
  owing(true, [&] { answer_inbound(done, ud, PB_INBOUND_REFUSED, code, std::string(why)); });
}

void channel_instance::unreserve() {
  if (admission_) admission_->release();
}

void channel_instance::answer_inbound(pb_inbound_done_fn done, void* ud, pb_inbound_disposition d,
                                      int32_t code, std::string why, int64_t retry_after_ms) {
  // Never inside the plugin's call, never on the store's writer thread; on the instance strand,
  // so completions arrive in order and never overlap a plugin call for this instance.
  strand_.post(
      [self = shared_from_this(), done, ud, d, code, why = std::move(why), retry_after_ms] {
        if (self->accepting_) {
          pb_error e{sizeof(pb_error), code, retry_after_ms, to_pb(why)};
          done(ud, d, d == PB_INBOUND_REFUSED ? &e : nullptr);
          if (self->events_.inbound_outcome) self->events_.inbound_outcome(d);
        }
        self->paid();
      });
}

void channel_instance::intake_inbound(const pb_inbound_message& raw, pb_inbound_done_fn done,
                                      void* ud) {
  if (!accepting_)
    return answer_inbound(done, ud, PB_INBOUND_REFUSED, PB_ERR_RETRYABLE, "channel is stopped");
  // Over the host's admission limit: refused before the event is copied or stored.
  if (admission_ && !admission_->try_reserve()) {
    if (events_.overloaded) events_.overloaded();
    return answer_inbound(done, ud, PB_INBOUND_REFUSED, PB_ERR_RATE_LIMITED,
                          "the host is overloaded; deliver the event again later",
                          admission_->retry_after().count());
  }

  auto m = std::make_shared<messages::inbound_message>();
  m->channel_id = id_;
  if (std::string why = convert(raw, *m); !why.empty()) {
    unreserve();
    spdlog::warn("{}plugin {} emitted a malformed inbound message: {}",
                 common::log_tag({.channel = id_}), module_->name, why);
    return answer_inbound(done, ud, PB_INBOUND_REFUSED, PB_ERR_INVALID_INPUT,
                          "malformed inbound message: " + why);
  }
  store_.record_inbound(
      id_, m->event_id, messages::to_json(*m),
      [self = shared_from_this(), m, done, ud](state::inbound_outcome o, const std::string& err) {
        if (o != state::inbound_outcome::accepted) self->unreserve();
        if (o == state::inbound_outcome::failed) {
          spdlog::error("{}inbound event could not be stored: {}",
                        common::log_tag({.channel = self->id_}), err);
          return self->answer_inbound(done, ud, PB_INBOUND_REFUSED, PB_ERR_RETRYABLE,
                                      "host could not store the event");
        }
        if (o == state::inbound_outcome::duplicate) {
          spdlog::debug("{}duplicate inbound event ignored",
                        common::log_tag({.channel = self->id_}));
          return self->answer_inbound(done, ud, PB_INBOUND_DUPLICATE, PB_OK, {});
        }
        self->check_fingerprint(m, done, ud);
      });
}

// The fallback dedup (state/inbound_fingerprint.hpp) of a message whose event id was new: the same
// message re-pushed under new event and message ids is a duplicate too.
void channel_instance::check_fingerprint(const std::shared_ptr<messages::inbound_message>& m,
                                         pb_inbound_done_fn done, void* ud) {
  auto fp = state::inbound_fingerprint(*m);
  if (!fp) return accept_inbound(m, done, ud);
  store_.record_fingerprint(
      id_, *fp,
      [self = shared_from_this(), m, done, ud](state::inbound_outcome o, const std::string& err) {
        if (o == state::inbound_outcome::duplicate) {
          self->unreserve();
          spdlog::info("{}inbound event {} repeats message {} under new ids; not answered again",
                       common::log_tag({.channel = self->id_}), m->event_id, m->message_id);
          return self->answer_inbound(done, ud, PB_INBOUND_DUPLICATE, PB_OK, {});
        }
        // The event id is stored already: refusing now would make the re-push a duplicate that
        // is never answered, so a failed fingerprint write only costs the fallback check.
        if (o == state::inbound_outcome::failed)
          spdlog::warn("{}fallback dedup key not stored ({}); answering the message",
                       common::log_tag({.channel = self->id_}), err);
        self->accept_inbound(m, done, ud);
      });
}

void channel_instance::accept_inbound(const std::shared_ptr<messages::inbound_message>& m,
                                      pb_inbound_done_fn done, void* ud) {
  answer_inbound(done, ud, PB_INBOUND_ACCEPTED, PB_OK, {});
  // The reservation ends once the turn service counts the message (events_.inbound).
  strand_.post([self = shared_from_this(), m] {
    if (self->events_.inbound) self->events_.inbound(*m);
    self->unreserve();
  });
}

}  // namespace patchbay::plugin
