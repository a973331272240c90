/*
 * patchbay plugin ABI: the host API table, handed to the plugin by the entry point.
 * Version policy, layout and memory rules: see pb_types.h.
 *
 * THREADS: every function in pb_host_api may be called from ANY thread (plugin I/O threads
 * included), concurrently, at any time from the start of `create` for `host` (a plugin may log
 * while it validates its configuration) until `destroy` for that instance returns. None of them
 * blocks on I/O: work that needs I/O is queued and completes through a callback. Completion
 * callbacks run on a host thread, never inside the call that registered them, each exactly once,
 * also when the host refuses the call (a NULL message, a view with data == NULL and size > 0):
 * the callback then carries the refusal. Only two refusals run the callback inside the call: a
 * NULL `host` (there is no instance to queue the answer on) and a host that fails internally
 * (e.g. out of memory). The callbacks of one instance run one at a time, in the order the host
 * finished the work (emit_inbound and kv writes complete in the order they were made), and never
 * while a plugin function for that instance is running. The host calls `destroy` only after every
 * callback it owes the instance has run, so user_data registered here never leaks.
 *
 * GROWTH: functions are only appended. Check PB_HAS_FIELD(api, pb_host_api, fn) before calling a
 * function added after minor 0; a host of an older minor simply does not have it.
 */
#ifndef PATCHBAY_PB_HOST_API_H
#define PATCHBAY_PB_HOST_API_H

#include "pb_messages.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque per-instance host context. Pass it back on every host API call for that instance. */
typedef struct pb_host pb_host;

/* Completion of emit_inbound. `error` is NULL unless disposition is PB_INBOUND_REFUSED. */
typedef void (*pb_inbound_done_fn)(void* user_data, int32_t disposition, const pb_error* error);

/* Receives a stored value inside kv_get. `value` is borrowed for the duration of this call. */
typedef void (*pb_kv_value_fn)(void* user_data, pb_str value);

/* Completion of kv_set / kv_delete: NULL error = durable. */
typedef void (*pb_kv_done_fn)(void* user_data, const pb_error* error);

typedef struct pb_host_api {
  uint32_t struct_size;

  /* Write one log line attributed to this instance. The host adds time, level, plugin and
   * channel id. Text must not contain secrets. Never blocks (lines may be dropped under overload,
   * and the host counts what it drops). */
  void (*log)(pb_host* host, int32_t level /* pb_log_level */, pb_str text);

  /* Hand an inbound user message to the host. Returns at once; `done` (required, not NULL) is
   * called exactly once when the message is durable (PB_INBOUND_ACCEPTED), recognised as a
   * duplicate of an earlier event_id, or refused. Acknowledge the platform only after `done`
   * says ACCEPTED or DUPLICATE. `msg` is borrowed for this call only. */
  void (*emit_inbound)(pb_host* host, const pb_inbound_message* msg, pb_inbound_done_fn done,
                       void* user_data);

  /* Report the channel's connection state. The latest report is what `GET /v1/channels` and
   * `patchbay status` show. Cheap: call it on every transition. */
  void (*report_status)(pb_host* host, const pb_status* status);

  /* Read a value from this instance's durable key-value store (cursors, bindings, tokens the
   * platform issued). Served from memory: never blocks. If the key exists, `on_value` is called
   * once, inside this call, and 1 is returned; 0 = not found; negative = store unavailable.
   * Keys are at most 256 bytes, values at most 64 KiB. */
  int32_t (*kv_get)(pb_host* host, pb_str key, pb_kv_value_fn on_value, void* user_data);

  /* Store a value. Visible to kv_get at once; `done` (may be NULL) reports when it is durable. */
  void (*kv_set)(pb_host* host, pb_str key, pb_str value, pb_kv_done_fn done, void* user_data);

  /* Remove a value. Same rules as kv_set. */
  void (*kv_delete)(pb_host* host, pb_str key, pb_kv_done_fn done, void* user_data);

  /* Wall-clock time in milliseconds since the Unix epoch (tests may run the host on a fake
   * clock: use these rather than the system clock for anything the host compares). */
  int64_t (*now_unix_ms)(pb_host* host);

  /* Monotonic milliseconds for measuring intervals; arbitrary origin. */
  int64_t (*monotonic_ms)(pb_host* host);
} pb_host_api;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PATCHBAY_PB_HOST_API_H */
