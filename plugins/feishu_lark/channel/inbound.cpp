// inbound: decide what an event is, dedup it, hand messages to the host, answer after durable.
#include "feishu_lark/channel/inbound.hpp"

#include <algorithm>
#include <vector>

#include "feishu_lark/proto/brand.hpp"

namespace patchbay::plugins::feishu_family {

event_decision decide_event(const envelope& env, const std::string& bot_open_id,
                            bool group_require_mention) {
  event_decision d;
  if (env.kind == envelope_kind::url_verification) {
    d.reason = "url_verification outside a webhook request";
    return d;
  }
  if (env.event_type == event_type::card_action) {
    d.action = event_action::card;
    return d;
  }
  if (env.event_type != event_type::message_receive &&
      env.event_type != event_type::message_receive_v1) {
    d.reason = "event type " + env.event_type + " is not handled";
    return d;
  }
  message_options opt;
  opt.bot_open_id = bot_open_id;
  std::string error;
  auto m = parse_message_event(env, opt, &error);
  if (!m) {
    d.reason = "unusable message event: " + error;
    return d;
  }
  if (!bot_open_id.empty() && m->sender_open_id == bot_open_id) {
    d.reason = "the bot's own message";
    return d;
  }
  if (m->chat != chat_kind::p2p && group_require_mention) {
    if (bot_open_id.empty()) {
      d.action = event_action::need_identity;
      d.reason = "a group message arrived before the bot identity is known";
      return d;
    }
    // @all passes: the host's access rule (groups.mention_all) decides whether it addresses
    // this bot.
    if (!m->bot_mentioned && !m->mentions_all) {
      d.reason = "group message without an @-mention of the bot";
      return d;
    }
  }
  d.action = event_action::emit;
  d.msg = std::move(m);
  return d;
}

inbound_handler::inbound_handler(kit::strand strand, const channel_config& cfg,
                                 std::shared_ptr<host_gate> host,
                                 std::function<int64_t()> monotonic_ms)
    : strand_(std::move(strand)),
      group_require_mention_(cfg.group_require_mention),
      text_edits_(cfg.render == render_mode::text),
      ttl_ms_(cfg.dedup_ttl.count()),
      host_(std::move(host)),
      monotonic_ms_(std::move(monotonic_ms)),
      seen_(cfg.dedup_capacity) {}

void inbound_handler::log(pb_log_level l, const std::string& s) {
  host_->with([&](const sdk::host& h) { h.log(l, s); });
}

bool inbound_handler::seen(const std::string& key, int64_t now) {
  const int64_t* at = seen_.get(key);
  if (at == nullptr) return false;
  if (now - *at < ttl_ms_) return true;
  seen_.erase(key);
  return false;
}

void inbound_handler::handle(const std::string& payload, std::optional<envelope> env,
                             const inbound_answer& answer) {
  if (!env) {
    std::string error;
    env = parse_envelope(payload, &error);
    if (!env) {
      // A payload that is not an event never becomes one: acknowledge, do not invite re-pushes.
      log(PB_LOG_WARN, "unreadable event ignored: " + error);
      return answer(true);
    }
  }
  const int64_t now = monotonic_ms_();
  const std::string event_key = env->event_id.empty() ? std::string() : "e:" + env->event_id;
  if (!event_key.empty() && seen(event_key, now)) {
    log(PB_LOG_DEBUG, "duplicate event " + env->event_id + " acknowledged again");
    return answer(true);
  }
  event_decision d = decide_event(*env, bot_open_id_, group_require_mention_);
  switch (d.action) {
    case event_action::card:
      log(PB_LOG_INFO, "card.action.trigger " + env->event_id + " acknowledged (no card flows)");
      break;
    case event_action::ignore:
      log(PB_LOG_DEBUG, "event " + env->event_id + " acknowledged, not acted on: " + d.reason);
      break;
    case event_action::need_identity:
      log(PB_LOG_WARN, "event " + env->event_id + ": " + d.reason + "; leaving it to a re-push");
      return answer(false);
    case event_action::emit: {
      const std::string message_key = "m:" + d.msg->message_id;
      if (seen(message_key, now)) {
        log(PB_LOG_DEBUG,
            "message " + d.msg->message_id + " already delivered (event " + env->event_id + ")");
        break;
      }
      return emit(payload, *d.msg, event_key, answer);
    }
  }
  if (!event_key.empty()) seen_.put(event_key, now);
  answer(true);
}

void inbound_handler::emit(const std::string& payload, const inbound_message& m,
                           const std::string& event_key, const inbound_answer& answer) {
  std::vector<pb_mention> mentions;
  mentions.reserve(m.mentions.size());
  for (const auto& x : m.mentions) {
    pb_mention pm{};
    pm.struct_size = sizeof pm;
    pm.user_id = sdk::str(x.open_id.empty() ? x.user_id : x.open_id);
    pm.display_name = sdk::str(x.name);
    pm.is_bot_self = x.is_bot ? PB_YES : PB_NO;
    if (x.key != "@_all") mentions.push_back(pm);
  }
  // The host's access gate reads mentions, not this parser's flags: an old-schema event says
  // "the bot was mentioned" without a mention list, and @all is reported as user id "all".
  const bool self_listed =
      std::any_of(m.mentions.begin(), m.mentions.end(), [](const mention& x) { return x.is_bot; });
  if (m.bot_mentioned && !self_listed) {
    pb_mention pm{};
    pm.struct_size = sizeof pm;
    pm.user_id = sdk::str(bot_open_id_);
    pm.is_bot_self = PB_YES;
    mentions.push_back(pm);
  }
  if (m.mentions_all) {
    pb_mention pm{};
    pm.struct_size = sizeof pm;
    pm.user_id = sdk::str("all");
    pm.display_name = sdk::str("all");
    pm.is_bot_self = PB_NO;
    mentions.push_back(pm);
  }
  std::vector<const pb_mention*> mention_ptrs;
  mention_ptrs.reserve(mentions.size());
  for (const auto& pm : mentions) mention_ptrs.push_back(&pm);
  std::vector<pb_attachment> files;
  files.reserve(m.attachments.size());
  for (const auto& a : m.attachments) {
    pb_attachment pa{};
    pa.struct_size = sizeof pa;
    pa.kind = sdk::str(a.kind);
    pa.id = sdk::str(a.id);
    pa.name = sdk::str(a.name);
    pa.mime_type = sdk::str(a.mime_type);
    pa.size = a.size;
    files.push_back(pa);
  }
  std::vector<const pb_attachment*> file_ptrs;
  file_ptrs.reserve(files.size());
  for (const auto& pa : files) file_ptrs.push_back(&pa);

  pb_inbound_message msg{};
  msg.event_id = sdk::str(m.message_id);
  msg.conversation_id = sdk::str(m.chat_id);
  msg.conversation_kind = m.chat == chat_kind::p2p ? PB_CONVERSATION_DIRECT : PB_CONVERSATION_GROUP;
  const std::string& thread = m.thread_id.empty() ? m.root_id : m.thread_id;
  msg.thread_id = sdk::str(thread);
  msg.message_id = sdk::str(m.message_id);
  msg.sender_id = sdk::str(m.sender_open_id);
  msg.text = sdk::str(m.text);
  msg.mentions = mention_ptrs.empty() ? nullptr : mention_ptrs.data();
  msg.mention_count = static_cast<uint32_t>(mention_ptrs.size());
  msg.attachments = file_ptrs.empty() ? nullptr : file_ptrs.data();
  msg.attachment_count = static_cast<uint32_t>(file_ptrs.size());
  msg.sent_at_unix_ms = m.create_time_ms;
  msg.raw_json = sdk::str(payload);
  // The plugin's edit budget is a streaming card's (none); a text message takes 20 edits.
  pb_capabilities text_edits = sdk::make_capabilities();
  text_edits.max_edits_per_message = text_max_edits;
  if (text_edits_) msg.capabilities = &text_edits;

  std::weak_ptr<inbound_handler> w = shared_from_this();
  auto on_done = [w, answer, event_key, id = m.message_id](pb_inbound_disposition d,
                                                           const pb_error* e) {
    std::string why = e ? std::string(sdk::view(e->message)) : std::string();
    // The host's overload is logged by the host, once per interval: not a warning per message.
    const bool overload = e != nullptr && e->code == PB_ERR_RATE_LIMITED;
    auto self = w.lock();
    if (!self) return;
    self->strand_.post([self, answer, event_key, id, d, why, overload] {
      if (d == PB_INBOUND_REFUSED) {
        self->log(overload ? PB_LOG_DEBUG : PB_LOG_WARN,
                  "host refused message " + id + " (" + why +
                      "); not acknowledged, the platform will re-push it");
        return answer(false);
      }
      const int64_t now = self->monotonic_ms_();
      if (!event_key.empty()) self->seen_.put(event_key, now);
      self->seen_.put("m:" + id, now);
      answer(true);
    });
  };
  bool emitted = false;
  host_->with([&](const sdk::host& h) {
    h.emit_inbound(msg, on_done);
    emitted = true;
  });
  if (!emitted) answer(false);  // destroyed: nothing is durable
}

}  // namespace patchbay::plugins::feishu_family
