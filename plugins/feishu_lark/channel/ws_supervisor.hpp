// Feishu/Lark family: the WebSocket long connection and the supervisor that owns its whole
// lifetime (docs/protocols/feishu-lark.md §2). One per channel instance in websocket mode.
//
// Cycle: endpoint discovery (POST {domain}/callback/ws/endpoint, every attempt, never a reused
// URL) → wss connect (certificate verified; ca_file for tests) → ping right after open and then
// every PingInterval (the discovered ClientConfig, replaced by a valid pong-carried one) →
// binary pbbp2 frames: pongs applied, type=event data frames reassembled (fragments.hpp, with
// fragment_timeout) and handed to on_event, type=card and unknown types dropped without an ack,
// text messages ignored → each event acked (make_ack with biz_rt) when on_event's ack is called.
//
// Death is detected actively, never trusted to a library: a closed or failed socket, and no
// inbound frame at all for PingInterval + liveness_margin (a stalled or half-open connection).
// Then the connection is aborted and rebuilt after a backoff delay: jittered exponential
// (reconnect policy), reset only once a connection stayed up stable_after (common::stability_gate).
// Fatal errors — a fatal discovery code (endpoint.hpp: bad credentials, forbidden, connection
// limit …) or a fatal handshake verdict (Handshake-Status 403 / 514+1000040350) — report status
// `failed` with the reason and retry only after fatal_retry, never in a fast loop.
//
// Liveness goes out through on_alive (the open, every pong, every data frame) with the window
// PingInterval x 3 (at least PingInterval + liveness_margin), for the host's watchdog.
//
// Status goes out through on_status: connecting (STARTING, first attempt), connected,
// reconnecting (attempt, next try in unix ms, reason), failed (reason, next try). Logs name the
// cause (discovery code and msg, handshake status, close code, "no frame for N ms") and never
// the app secret or the discovered URL's query (it holds the ticket).
//
// Threading: everything runs on the strand given at creation; the public functions may be
// called from any thread (they post). on_event/on_status/log run on that strand. The ack
// function handed to on_event may be called from any thread, at most once; an ack that arrives
// after its connection died is dropped (the platform re-pushes the event, and dedup answers the
// re-push).
//
// Lifetime: stop() cancels every timer, the discovery request and the connection at whatever
// await they are in, and calls `done` once nothing is left running (no callback reaches the
// hooks after done). Nothing grows per cycle: one connection, one discovery request, a fixed set
// of timers and a bounded fragment cache at any time (counters() shows it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "feishu_lark/proto/channel_config.hpp"
#include "patchbay/kit/runtime.hpp"
#include "patchbay/plugin.hpp"

namespace patchbay::plugins::feishu_family {

// code: ack_ok (200) or ack_failed (500); data_json: an optional callback answer
// (card.action.trigger), sent base64-encoded in the ack's "data".
using ws_ack_fn = std::function<void(int code, std::optional<std::string> data_json)>;

struct ws_hooks {
  // A complete event payload (the event JSON as sent). Call `ack` once the event is durable
  // (or was a duplicate / deliberately ignored); not calling it means "not acked".
  std::function<void(std::string payload, ws_ack_fn ack)> on_event;
  std::function<void(pb_channel_state state, std::string reason, uint32_t attempt,
                     int64_t next_attempt_unix_ms)>
      on_status;
  std::function<void(pb_log_level level, std::string text)> log;
  // The platform proved the connection alive: the handshake (connected), a pong, an event frame.
  // `window`: how long until the next proof is due (PingInterval x 3).
  std::function<void(pb_liveness_kind kind, std::chrono::milliseconds window)> on_alive;
  std::function<int64_t()> now_unix_ms;   // wall clock, for next_attempt_unix_ms
  std::function<int64_t()> monotonic_ms;  // for the stability gate and fragment expiry
};

// For tests and debug logs: what the supervisor holds right now and has done so far.
struct ws_counters {
  uint64_t cycles = 0;  // connection attempts started (discovery included)
  uint64_t opened = 0;  // connections that completed the handshake
  uint64_t events = 0;  // complete events handed to on_event
  uint64_t acks_sent = 0;
  uint64_t pings_sent = 0;
  uint64_t pongs = 0;
  uint32_t consecutive_failures = 0;
  uint32_t live_connections = 0;  // 0 or 1
  uint32_t pending_fragments = 0;
  uint32_t armed_timers = 0;
};

class ws_supervisor {
 public:
  virtual ~ws_supervisor() = default;
  virtual void start() = 0;
  virtual void stop(std::function<void()> done) = 0;
  virtual ws_counters counters() const = 0;  // any thread
};

std::shared_ptr<ws_supervisor> make_ws_supervisor(kit::io_runtime& rt, kit::strand strand,
                                                  const channel_config& cfg, ws_hooks hooks);

}  // namespace patchbay::plugins::feishu_family
