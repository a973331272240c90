// patchbay kit: what the WebSocket client (ws_client.hpp) and server sessions (ws_server.hpp)
// report. Plain types: no Asio, no Beast.
#pragma once

#include <cstdint>
#include <string>

#include "patchbay/kit/http_types.hpp"

namespace patchbay::kit {

enum class ws_message_kind { binary, text };

// Why a WebSocket connection ended.
enum class ws_close_cause {
  peer_closed,         // the peer sent a close frame first (code/reason are the peer's)
  local_closed,        // close() was called (or the handle dropped); see `error` for a timeout
  aborted,             // abort() was called: no close frame was sent
  handshake_rejected,  // client only: the server answered the upgrade with a non-101 status
  failed,              // connect, TLS, handshake, read or write error, a timeout, a protocol error
  runtime_stopped,     // the io_runtime stopped with the connection still open
};

// "peer_closed", "local_closed", ... (for logs and status texts).
const char* ws_close_cause_name(ws_close_cause cause) noexcept;

struct ws_close_info {
  ws_close_cause cause = ws_close_cause::failed;
  // The close frame's code and reason: the peer's when one was received, else the one we sent
  // (e.g. 1009 after a message over max_message_bytes); 0 and "" when there was none.
  std::uint16_t code = 0;
  std::string reason;
  // "" when the connection ended with a completed close handshake; else a short classified text:
  // "connect timeout", "connection refused", "tls: ...", "handshake timeout", "handshake
  // rejected: HTTP 403", "message too big", "close timeout", "idle timeout", "connection closed
  // by peer without a close frame", "aborted", "runtime stopped", "bad url: ...", ...
  std::string error;
  bool opened = false;  // the opening handshake had completed (on_open was called)
  // handshake_rejected: the HTTP answer (e.g. the Handshake-Status / Handshake-Msg headers a
  // Feishu-style server sends); the body is cut at 4 KiB.
  unsigned http_status = 0;
  http_headers response_headers;
  std::string response_body;
};

}  // namespace patchbay::kit
