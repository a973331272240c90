// The NyxID channel plugin: a relay that fronts several chat platforms
// (shared/protocols/nyxid-relay.md). Skeleton: validates its config and reports that the
// transport is not there yet.
//
// Thread safety: starts no thread; the host serializes calls per instance.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "patchbay/plugin.hpp"

namespace {

namespace sdk = patchbay::sdk;

// Plugin-wide values; each inbound message narrows them for the platform behind it (only
// Lark/Feishu can edit through the relay, others answer 501; the text limit is the platform's).
pb_capabilities nyxid_capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  c.max_message_size = 0;  // the relay has no cap of its own (§4): narrowed per message
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_YES;
  c.can_typing = PB_NO;
  c.can_ephemeral = PB_NO;
  // The reply JWT's jti is consumed by the first /reply, even one that then fails (§2.2);
  // edits reuse it without consuming it.
  c.reply_token = PB_REPLY_TOKEN_SINGLE_USE;
  c.min_edit_interval_ms = 100;  // 10 edits/s per message id, burst 20 (§4)
  return c;
}

class nyxid_channel final : public sdk::channel {
 public:
  nyxid_channel(sdk::host h, sdk::create_info info) : channel(h) {
    // Never echo config values in errors: the config holds the agent API key.
    boost::json::error_code ec;
    boost::json::value cfg = boost::json::parse(info.config_json, ec);
    if (ec || !cfg.is_object())
      throw sdk::plugin_error(PB_ERR_INVALID_INPUT, "config must be a JSON object");
  }

  void start() override {
    host().report_status(PB_STATE_DEGRADED, "NyxID transport not implemented yet");
  }
  void stop(std::chrono::milliseconds, sdk::stop_completion done) override {
    host().report_status(PB_STATE_STOPPED);
    done();
  }
  void send(const pb_outbound_message&, sdk::completion done) override {
    done.fail(PB_ERR_UNSUPPORTED, "NyxID send not implemented yet");
  }
  void edit(const pb_edit_request&, sdk::completion done) override {
    done.fail(PB_ERR_UNSUPPORTED, "NyxID edit not implemented yet");
  }
  void typing(const pb_typing_request&, sdk::completion done) override {
    done.fail(PB_ERR_UNSUPPORTED, "NyxID typing not implemented yet");
  }
};

}  // namespace

PATCHBAY_PLUGIN(nyxid_channel, "nyxid", PATCHBAY_PLUGIN_VERSION, "NyxID",
                "Chat platforms relayed by NyxID channel-relay", nyxid_capabilities())
