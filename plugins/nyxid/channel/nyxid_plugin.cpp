// The NyxID channel plugin: chat platforms (Lark/Feishu, Telegram, Discord, Slack) relayed by
// NyxID's channel relay (docs/protocols/nyxid-relay.md). One channel instance per NyxID agent
// key; every instance shares the plugin's small I/O runtime (plugins/support/plugin_runtime.hpp).
// The transport lives in nyxid_channel*.cpp; the pure decisions in nyxid_config, reply_plan and
// proxy_send; the protocol in proto/.
//
// Thread safety: the host serializes calls per instance; each instance runs on its own strand.
// The shared runtime's refcount is only released on host threads (runtime_bound's destructor).
#include <memory>

#include "nyxid_channel.hpp"
#include "nyxid_config.hpp"
#include "patchbay/plugin.hpp"
#include "support/plugin_runtime.hpp"

namespace {

namespace sdk = patchbay::sdk;
namespace nx = patchbay::plugins::nyxid;

// Plugin-wide values; each inbound message narrows them for the platform behind it
// (nyxid/proto/platform_caps.hpp: only Lark/Feishu can edit; the text limit is the platform's).
// The plugin-wide limit is what proactive sends get (no inbound message narrows them): they go
// to Lark through the proxy, so Lark's 30000 characters — a 3 MB report becomes ≥ 100 parts.
pb_capabilities nyxid_capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  c.max_message_size = 30000;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_YES;
  c.can_typing = PB_NO;
  c.can_ephemeral = PB_NO;
  // The reply JWT's jti is consumed by the first /reply, even one that then fails (§2.2);
  // edits reuse it without consuming it.
  c.reply_token = PB_REPLY_TOKEN_SINGLE_USE;
  // The relay's /reply carries text (and a Lark card), never a file (§2.2).
  c.can_attachments = PB_NO;
  c.min_edit_interval_ms = 100;  // 10 edits/s per message id, burst 20 (§4)
  c.max_edits_per_message = 20;  // Lark 230072
  return c;
}

class nyxid_plugin_channel final : public sdk::channel {
 public:
  nyxid_plugin_channel(sdk::host h, sdk::create_info info)
      : channel(h), impl_(h, patchbay::plugins::parse_config_or_refuse("nyxid", [&] {
                            return nx::parse_config(info.config_json);
                          })) {}

  void start() override { impl_->start(); }
  void stop(std::chrono::milliseconds deadline, sdk::stop_completion done) override {
    impl_->stop(deadline, std::move(done));
  }
  void send(const pb_outbound_message& m, sdk::completion done) override {
    if (sdk::attachment_of(m) != nullptr)
      return done.fail(PB_ERR_UNSUPPORTED, "NyxID relay replies carry text only, no files");
    impl_->send(std::string(sdk::view(m.conversation_id)),
                std::string(sdk::view(m.reply_to_message_id)),
                std::string(sdk::view(m.reply_context)), std::string(sdk::view(m.text)),
                std::string(sdk::view(m.turn_id)), std::move(done));
  }
  void edit(const pb_edit_request& r, sdk::completion done) override {
    impl_->edit(std::string(sdk::view(r.message_id)), std::string(sdk::view(r.reply_context)),
                std::string(sdk::view(r.text)), std::move(done));
  }
  void fetch_attachment(const pb_fetch_request& r, sdk::completion done) override {
    impl_->fetch(std::string(sdk::view(r.url)), std::string(sdk::view(r.dest_path)), r.max_bytes,
                 std::move(done));
  }
  void on_http(const sdk::http_request& req, sdk::http_responder respond) override {
    impl_->on_http(req, std::move(respond));
  }

 private:
  patchbay::plugins::runtime_bound<nx::nyxid_channel> impl_;
};

}  // namespace

PATCHBAY_PLUGIN(nyxid_plugin_channel, "nyxid", PATCHBAY_PLUGIN_VERSION, "NyxID",
                "Chat platforms relayed by NyxID channel-relay", nyxid_capabilities())
