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

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "fake_feishu.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace patchbay::fakes::feishu {

struct server_options {
  std::string listen = "127.0.0.1:0";
  std::string tls_cert_file, tls_key_file;  // both empty: plain http/ws
  std::size_t max_connections = 4096;
};

class feishu_server {
 public:
  feishu_server(kit::io_runtime& rt, fake_feishu& fake, server_options options);
  ~feishu_server();
  feishu_server(const feishu_server&) = delete;
  feishu_server& operator=(const feishu_server&) = delete;

  // Binds (throws std::runtime_error naming the address on failure) and sets fake's base URLs.
  void start();
  std::string local_endpoint() const;
  void stop(std::chrono::milliseconds grace, std::function<void()> on_stopped);

 private:
  struct state;
  std::shared_ptr<state> state_;
  std::unique_ptr<kit::http_server> server_;
  bool tls_ = false;
};

}  // namespace patchbay::fakes::feishu
