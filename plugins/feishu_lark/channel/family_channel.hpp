// Feishu/Lark family: the channel instance both plugins are made of (plugins/feishu and
// plugins/lark differ only in the brand_defaults they pass). It wires the pieces together on one
// strand of the plugin's shared runtime:
//
//   api_client     tenant token (cached, refreshed, dropped on the invalid-token codes), bot
//                  identity (bot/v3/info, fetched once and kept across reconnects), Open API calls
//                  with deadlines, rate limits and error classes
//   ws_supervisor  websocket mode: the long connection and its reconnect supervisor
//   on_http        webhook mode: POST /hooks/<channel-id> (challenge, signature, decryption)
//   inbound        events → dedup → mention policy → host (emit_inbound); the ack (WS) or the
//                  HTTP answer (webhook) goes out only once the host made the message durable
//   send / edit    reply, send to a chat, edit (PUT) with uuid idempotency keys; a send with an
//                  attachment uploads it and sends an image/file/audio/media message (media.cpp)
//   fetch_attachment  an inbound message's image or file streamed into the host's file
//   typing         a "Typing" reaction on the user's message while a turn runs (typing.cpp)
//
// Thread safety: the host serializes calls per instance; work runs on the instance's strand.
#pragma once

#include <memory>

#include "feishu_lark/proto/channel_config.hpp"
#include "patchbay/plugin.hpp"
#include "support/plugin_runtime.hpp"

namespace patchbay::plugins::feishu_family {

class family_channel : public sdk::channel {
 public:
  // Throws sdk::plugin_error(PB_ERR_INVALID_INPUT, …) for a bad config (no values in the text).
  family_channel(sdk::host h, sdk::create_info info, const brand_defaults& brand);
  ~family_channel() override;

  void start() override;
  void stop(std::chrono::milliseconds deadline, sdk::stop_completion done) override;
  void send(const pb_outbound_message& msg, sdk::completion done) override;
  void edit(const pb_edit_request& req, sdk::completion done) override;
  void fetch_attachment(const pb_fetch_request& req, sdk::completion done) override;
  void typing(const pb_typing_request& req, sdk::completion done) override;
  void on_http(const sdk::http_request& req, sdk::http_responder respond) override;

  struct impl;

 private:
  runtime_bound<impl> impl_;  // on the plugin's shared runtime
};

}  // namespace patchbay::plugins::feishu_family
