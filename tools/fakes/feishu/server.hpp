// patchbay-fake-feishu: the network side. Serves fake_feishu over the kit HTTP server (HTTPS by
// default, plain with --plain) on one port: Open API, discovery, the long connection (ws_accept
// on /ws/v2) and the control API.
//
// One mutex serializes fake_feishu and the session table. Sends, closes, aborts and stalls that
// fake_feishu asks for are queued on the sessions under it (none of those calls blocks). One kit
// timer, armed at fake_feishu::next_deadline(), drives ack deadlines and re-pushes (no timer per
// event); a stall with a duration has its own timer, dropped with the session. Webhook POSTs run
// on the kit HTTP client (deadlines from the control request) and answer the control exchange
// when done. ws_accept and http_fetch are called without the mutex held (their callbacks take it).
//
// Thread safety: start/stop from one thread; everything else runs on the runtime's threads.
#pragma once

#include <cstddef>
#include <string>

#include "fake_feishu.hpp"
#include "fake_server.hpp"

namespace patchbay::fakes::feishu {

struct server_options {
  std::string listen = "127.0.0.1:0";
  std::string tls_cert_file, tls_key_file;  // both empty: plain http/ws
  std::size_t max_connections = 4096;
};

// start() binds and sets fake's base URLs (https/wss with TLS, else http/ws); stop() answers
// nothing more (common::fake_http_server).
class feishu_server : public common::fake_http_server {
 public:
  feishu_server(kit::io_runtime& rt, fake_feishu& fake, const server_options& options);
};

}  // namespace patchbay::fakes::feishu
