// The Weixin (WeChat) channel plugin, speaking the iLink bot protocol
// (shared/protocols/weixin-ilink.md). Skeleton: validates its config and reports that the
// transport is not there yet.
//
// Thread safety: starts no thread; the host serializes calls per instance.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "patchbay/plugin.hpp"

namespace {

namespace sdk = patchbay::sdk;

pb_capabilities weixin_capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  // The server limit is undocumented: 2.4 k to 7 k characters reported as the failure point
  // (weixin-ilink.md §6), so stay conservatively below every report.
  c.max_message_size = 2000;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_NO;  // iLink has no edit: every update is a new message
  c.can_typing = PB_YES;  // getconfig typing_ticket + sendtyping (§4.2)
  c.can_ephemeral = PB_NO;
  // The inbound context_token accompanies every reply of the turn (§2.3, §4.1).
  c.reply_token = PB_REPLY_TOKEN_REUSABLE;
  return c;
}

class weixin_channel final : public sdk::channel {
 public:
  weixin_channel(sdk::host h, sdk::create_info info) : channel(h) {
    // Never echo config values in errors: the config holds the bot token.
    boost::json::error_code ec;
    boost::json::value cfg = boost::json::parse(info.config_json, ec);
    if (ec || !cfg.is_object())
      throw sdk::plugin_error(PB_ERR_INVALID_INPUT, "config must be a JSON object");
  }

  void start() override {
    host().report_status(PB_STATE_DEGRADED, "Weixin transport not implemented yet");
  }
  void stop(std::chrono::milliseconds, sdk::stop_completion done) override {
    host().report_status(PB_STATE_STOPPED);
    done();
  }
  void send(const pb_outbound_message&, sdk::completion done) override {
    done.fail(PB_ERR_UNSUPPORTED, "Weixin send not implemented yet");
  }
  void edit(const pb_edit_request&, sdk::completion done) override {
    done.fail(PB_ERR_UNSUPPORTED, "Weixin edit not implemented yet");
  }
  void typing(const pb_typing_request&, sdk::completion done) override {
    done.fail(PB_ERR_UNSUPPORTED, "Weixin typing not implemented yet");
  }
};

}  // namespace

PATCHBAY_PLUGIN(weixin_channel, "weixin", PATCHBAY_PLUGIN_VERSION, "Weixin",
                "WeChat bots over the iLink bot API", weixin_capabilities())
