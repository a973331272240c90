// The Weixin (WeChat) channel plugin, speaking the iLink bot protocol
// (docs/protocols/weixin-ilink.md): one channel instance per bot account, all accounts of the
// process sharing one small I/O runtime (refcounted: created with the first instance, stopped
// after the last one is destroyed).
//
// Thread safety: the host serializes calls per instance; each account runs on its own strand
// (weixin_account.hpp). The shared runtime's refcount is only ever released by instances on the
// host's threads (plugin_runtime.hpp runtime_bound: never on an I/O thread).
#include <memory>

#include "patchbay/plugin.hpp"
#include "support/plugin_runtime.hpp"
#include "weixin/proto/weixin_config.hpp"
#include "weixin_account.hpp"

namespace {

namespace sdk = patchbay::sdk;
namespace wx = patchbay::weixin;

pb_capabilities weixin_capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  // The server limit is undocumented: 2.4 k to 7 k characters reported as the failure point
  // (docs/protocols/weixin-ilink.md §6), so stay conservatively below every report. The host
  // chunks.
  c.max_message_size = 2000;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_NO;     // iLink has no edit: the host buffers and sends once per part
  c.can_typing = PB_YES;  // getconfig typing_ticket + sendtyping (§4.2)
  c.can_ephemeral = PB_NO;
  // The inbound context_token accompanies every reply of the turn (§2.3, §4.1).
  c.reply_token = PB_REPLY_TOKEN_REUSABLE;
  // Images, files, video and SILK voice through the CDN (§4.3). No upload limit is documented;
  // the official client caps inbound media at 100 MB, and so does patchbay both ways
  // (max_media_bytes may lower it per channel).
  c.can_attachments = PB_YES;
  c.max_attachment_size = static_cast<uint64_t>(wx::default_max_media_bytes);
  // About ten messages per context_token (§4.1): the host plans a reply within it, and the
  // account refuses a send past it (weixin_account::send).
  c.max_sends_per_reply = wx::sends_per_context_token;
  // One long poll per account with a server-side cursor (§2.1): two pollers of one account would
  // steal each other's messages, so with several replicas one runs it under a lease.
  c.single_consumer = PB_YES;
  return c;
}

class weixin_channel final : public sdk::channel {
 public:
  weixin_channel(sdk::host h, sdk::create_info info)
      : channel(h), account_(h, patchbay::plugins::parse_config_or_refuse("weixin", [&] {
                               return wx::parse_config(info.config_json, PATCHBAY_PLUGIN_VERSION);
                             })) {}

  void start() override { account_->start(); }
  void stop(std::chrono::milliseconds deadline, sdk::stop_completion done) override {
    account_->stop(deadline, std::move(done));
  }
  void send(const pb_outbound_message& msg, sdk::completion done) override {
    if (const pb_outbound_attachment* a = sdk::attachment_of(msg)) {
      wx::outbound_media m;
      m.to_user = std::string(sdk::view(msg.conversation_id));
      if (m.to_user.empty()) m.to_user = std::string(sdk::view(msg.recipient_id));
      m.reply_context = std::string(sdk::view(msg.reply_context));
      m.turn_id = std::string(sdk::view(msg.turn_id));
      m.kind = std::string(sdk::view(a->kind));
      m.name = std::string(sdk::view(a->name));
      m.mime_type = std::string(sdk::view(a->mime_type));
      m.path = std::string(sdk::view(a->path));
      m.md5_hex = std::string(sdk::view(a->md5_hex));
      m.size = a->size;
      return account_->send_media(std::move(m), std::move(done));
    }
    wx::outbound_text t;
    t.to_user = std::string(sdk::view(msg.conversation_id));
    if (t.to_user.empty()) t.to_user = std::string(sdk::view(msg.recipient_id));
    t.text = std::string(sdk::view(msg.text));
    t.reply_context = std::string(sdk::view(msg.reply_context));
    t.turn_id = std::string(sdk::view(msg.turn_id));
    account_->send(std::move(t), std::move(done));
  }
  void fetch_attachment(const pb_fetch_request& req, sdk::completion done) override {
    const auto ref = wx::decode_media_id(sdk::view(req.attachment_id));
    if (!ref)
      return done.fail(PB_ERR_UNSUPPORTED,
                       "this attachment has nothing to download (not a file item of this channel)");
    wx::media_fetch f{*ref, std::string(sdk::view(req.dest_path)), req.max_bytes};
    account_->fetch(f, std::move(done));
  }
  void typing(const pb_typing_request& req, sdk::completion done) override {
    std::string user(sdk::view(req.user_id));
    if (user.empty()) user = std::string(sdk::view(req.conversation_id));
    account_->typing(std::move(user), std::string(sdk::view(req.reply_context)),
                     sdk::typing_action(req) == PB_TYPING_STOP, std::move(done));
  }

 private:
  patchbay::plugins::runtime_bound<wx::weixin_account> account_;
};

}  // namespace

PATCHBAY_PLUGIN(weixin_channel, "weixin", PATCHBAY_PLUGIN_VERSION, "Weixin",
                "WeChat bots over the iLink bot API", weixin_capabilities())
