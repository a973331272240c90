// Feishu and Lark are one protocol under two brands: same Open API paths, JSON shapes and
// WebSocket protocol; only the domain differs (shared/protocols/feishu-lark.md §1). Both plugins
// are this one skeleton, instantiated with their brand, until the real transport lands here.
//
// Thread safety: the skeleton starts no thread and keeps no shared state; the host serializes
// calls per instance, as for every channel.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "patchbay/plugin.hpp"

namespace patchbay::plugins::feishu_family {

struct brand {
  std::string_view platform;        // shown to operators: status reasons, log lines
  std::string_view default_domain;  // Open API base URL when the config names none
};

inline constexpr brand feishu{"Feishu", "https://open.feishu.cn"};
inline constexpr brand lark{"Lark", "https://open.larksuite.com"};

// What both brands can do (feishu-lark.md §3.5 and §5).
inline pb_capabilities capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  // The platform limit is 150 KB of *request body*, not of text: the text travels JSON-encoded
  // twice (`content` is a string holding serialized JSON), so quotes, backslashes and control
  // characters grow on the wire, and UTF-8 spends up to 4 bytes per code point. 30000 code points
  // is at most 120 KB of raw UTF-8, which leaves the envelope and ordinary escaping inside 150 KB.
  // The transport still checks the encoded size and fails with PB_ERR_INVALID_INPUT beyond it.
  c.max_message_size = 30000;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_YES;  // text and post messages, with PUT (§3.5)
  c.can_typing = PB_NO;
  c.can_ephemeral = PB_NO;
  c.reply_token = PB_REPLY_TOKEN_NONE;  // replies are addressed by chat / message id
  // 5 QPS per recipient and per group (§5): two edits a second leaves room for new parts.
  c.min_edit_interval_ms = 500;
  c.max_edits_per_message = 20;  // error 230072 beyond that
  return c;
}

template <const brand& Brand>
class skeleton_channel final : public sdk::channel {
 public:
  skeleton_channel(sdk::host h, sdk::create_info info) : channel(h) {
    // Error texts name the key and the expected type, never a value: the config holds secrets.
    boost::json::error_code ec;
    boost::json::value cfg = boost::json::parse(info.config_json, ec);
    if (ec || !cfg.is_object())
      throw sdk::plugin_error(PB_ERR_INVALID_INPUT, "config must be a JSON object");
    const boost::json::object& obj = cfg.get_object();
    domain_ = Brand.default_domain;
    if (const boost::json::value* d = obj.if_contains("domain")) {
      if (!d->is_string())
        throw sdk::plugin_error(PB_ERR_INVALID_INPUT, "config.domain must be a string");
      domain_ = std::string(d->get_string());
    }
  }

  void start() override {
    host().report_status(PB_STATE_DEGRADED,
                         std::string(Brand.platform) + " transport not implemented yet");
  }

  void stop(std::chrono::milliseconds, sdk::stop_completion done) override {
    host().report_status(PB_STATE_STOPPED);
    done();
  }

  void send(const pb_outbound_message&, sdk::completion done) override {
    done.fail(PB_ERR_UNSUPPORTED, std::string(Brand.platform) + " send not implemented yet");
  }
  void edit(const pb_edit_request&, sdk::completion done) override {
    done.fail(PB_ERR_UNSUPPORTED, std::string(Brand.platform) + " edit not implemented yet");
  }
  void typing(const pb_typing_request&, sdk::completion done) override {
    done.fail(PB_ERR_UNSUPPORTED, std::string(Brand.platform) + " typing not implemented yet");
  }

 private:
  std::string domain_;  // not a secret: the Open API base URL
};

}  // namespace patchbay::plugins::feishu_family
