/*
 * patchbay plugin ABI: the host API table, handed to the plugin by the entry point.
 * Version policy, layout and memory rules: see pb_types.h.
 *
 * THREADS: every function in pb_host_api may be called from ANY thread (plugin I/O threads
 * included), concurrently, at any time from the start of `create` for `host` (a plugin may log
 * while it validates its configuration) until `destroy` for that instance returns. None of them
 * blocks on I/O: work that needs I/O is queued and completes through a callback. Completion
 * callbacks (pb_inbound_done_fn, pb_kv_done_fn) run on a host thread, never inside the call that
 * registered them, each exactly once, also when the host refuses the call (a NULL message, a view
 * with data == NULL and size > 0): the callback then carries the refusal. Only two refusals run
 * the callback inside the call: a NULL `host` (there is no instance to queue the answer on) and a
 * host that fails internally (e.g. out of memory). The callbacks of one instance run one at a
 * time, in the order the host finished the work (accepted emit_inbound and kv writes complete in
 * the order they were made; a refusal may overtake them), and never while a plugin function for
 * that instance is running. The host calls `destroy` only after every callback it owes the
 * instance has run, so user_data registered here never leaks. (kv_get's pb_kv_value_fn is not a
 * completion: it runs inside kv_get.)
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

/* Opaque per-instance host context. Pass it back on every host API call for that instance.
 * OWNERSHIP: the host's; valid from `create` until `destroy` for that instance returns. */
typedef struct pb_host pb_host;

/* Completion of emit_inbound: the plugin's function, called by the host exactly once per call.
 * OWNERSHIP: `error` is the host's, borrowed for this callback; `user_data` is the plugin's, handed
 *   back untouched (free it here if it was allocated for the call).
 * THREAD: a host thread, after emit_inbound returned, never while a plugin function for the
 *   instance runs (exceptions: THREADS above).
 * RETURNS: nothing. `disposition` is a pb_inbound_disposition; `error` is NULL unless it is
 *   PB_INBOUND_REFUSED. */
typedef void (*pb_inbound_done_fn)(void* user_data, int32_t disposition, const pb_error* error);

/* Receives a stored value inside kv_get: the plugin's function.
 * OWNERSHIP: `value` is the host's, borrowed for this callback only: copy it. `user_data` is the
 *   plugin's, as passed to kv_get.
 * THREAD: the thread that called kv_get, inside that call, at most once.
 * RETURNS: nothing. */
typedef void (*pb_kv_value_fn)(void* user_data, pb_str value);

/* Completion of kv_set / kv_delete: the plugin's function, called by the host exactly once per
 * call that passed it.
 * OWNERSHIP: `error` is the host's, borrowed for this callback; `user_data` is the plugin's, handed
 *   back untouched.
 * THREAD: a host thread, after the call returned, never while a plugin function for the instance
 *   runs (exceptions: THREADS above).
 * RETURNS: nothing. `error` NULL = the write is durable; otherwise it was not made. */
typedef void (*pb_kv_done_fn)(void* user_data, const pb_error* error);

typedef struct pb_host_api {
  uint32_t struct_size;

  /* Write one log line attributed to this instance. The host adds time, level, plugin and
   * channel id. Text must not contain secrets. Never blocks (lines may be dropped under overload,
   * and the host counts what it drops).
   * OWNERSHIP: `text` is borrowed for this call (the host copies at most 4096 bytes of it).
   * THREAD: any thread (see THREADS).
   * RETURNS: nothing. A NULL host or an invalid view drops the line. */
  void (*log)(pb_host* host, int32_t level /* pb_log_level */, pb_str text);

  /* Hand an inbound user message to the host. Returns at once; `done` (required, not NULL) is
   * called exactly once when the message is durable (PB_INBOUND_ACCEPTED), recognised as a
   * duplicate of an earlier event_id, or refused. Acknowledge the platform only after `done`
   * says ACCEPTED or DUPLICATE.
   * OWNERSHIP: `msg`, its strings, its mention and attachment arrays and what they point to are
   *   borrowed for this call only: the host validates and copies the message before returning.
   *   `user_data` stays the plugin's; the host hands it back to `done`.
   * THREAD: any thread (see THREADS); `done` runs later on a host thread.
   * RETURNS: nothing; the outcome is `done`'s disposition. A malformed message (NULL, a view with
   *   data == NULL and size > 0, a missing event_id...) is PB_INBOUND_REFUSED with
   *   PB_ERR_INVALID_INPUT. Without `done` the message is dropped (there is no one to tell). */
  void (*emit_inbound)(pb_host* host, const pb_inbound_message* msg, pb_inbound_done_fn done,
                       void* user_data);

  /* Report the channel's connection state. The latest report is what `GET /v1/channels` and
   * `patchbay status` show. Cheap: call it on every transition.
   * OWNERSHIP: `status` and its reason are borrowed for this call: the host copies them.
   * THREAD: any thread (see THREADS).
   * RETURNS: nothing. A NULL status or one whose struct_size is below minor 0's is ignored. */
  void (*report_status)(pb_host* host, const pb_status* status);

  /* Read a value from this instance's durable key-value store (cursors, bindings, tokens the
   * platform issued). Served from memory: never blocks. If the key exists, `on_value` is called
   * once, inside this call, and 1 is returned; 0 = not found; negative = store unavailable.
   * Keys are at most 256 bytes, values at most 64 KiB.
   * OWNERSHIP: `key` is borrowed for this call; the value handed to `on_value` is borrowed for
   *   that callback (see pb_kv_value_fn). `user_data` stays the plugin's.
   * THREAD: any thread (see THREADS); `on_value` runs on the calling thread, inside this call.
   * RETURNS: 1 = found (`on_value` ran), 0 = not found, negative = unavailable or refused (NULL
   *   host or `on_value`, a key that is empty, longer than 256 bytes or an invalid view, or an
   *   instance already destroyed). */
  int32_t (*kv_get)(pb_host* host, pb_str key, pb_kv_value_fn on_value, void* user_data);

  /* Store a value. Visible to kv_get at once; `done` (may be NULL) reports when it is durable.
   * OWNERSHIP: `key` and `value` are borrowed for this call (the host copies them before
   *   returning); `user_data` stays the plugin's, handed back to `done`.
   * THREAD: any thread (see THREADS); `done` runs later on a host thread.
   * RETURNS: nothing; the outcome is `done`'s error: NULL = durable, else not stored (a key that
   *   is empty or over 256 bytes, a value over 64 KiB, a view with data == NULL and size > 0, a
   *   store failure). */
  void (*kv_set)(pb_host* host, pb_str key, pb_str value, pb_kv_done_fn done, void* user_data);

  /* Remove a value. Same rules as kv_set.
   * OWNERSHIP: `key` is borrowed for this call; `user_data` stays the plugin's.
   * THREAD: any thread (see THREADS); `done` runs later on a host thread.
   * RETURNS: nothing; the outcome is `done`'s error: NULL = the removal is durable. */
  void (*kv_delete)(pb_host* host, pb_str key, pb_kv_done_fn done, void* user_data);

  /* Wall-clock time in milliseconds since the Unix epoch (tests may run the host on a fake
   * clock: use these rather than the system clock for anything the host compares).
   * OWNERSHIP: nothing is handed over.
   * THREAD: any thread (see THREADS).
   * RETURNS: the time; 0 with a NULL host. */
  int64_t (*now_unix_ms)(pb_host* host);

  /* Monotonic milliseconds for measuring intervals; arbitrary origin.
   * OWNERSHIP: nothing is handed over.
   * THREAD: any thread (see THREADS).
   * RETURNS: the time; 0 with a NULL host. */
  int64_t (*monotonic_ms)(pb_host* host);

  /* ---- minor 2 ---- */
  /* Report that the platform just proved the connection alive (a pong, a poll answer, an event,
   * an API call that worked), and for how long that proof counts (`proof->window_ms`). The host
   * keeps the time of the latest proof; a channel reported CONNECTED whose latest proof is older
   * than its window is shown `degraded` ("no sign of life for N s"). A plugin that never calls
   * this is trusted on the state it reports. Cheap (no I/O, one short lock): call it on every
   * proof, or at most a few times a second. Check PB_HAS_FIELD(api, pb_host_api,
   * report_liveness) first: a host of an older minor does not have it.
   * OWNERSHIP: `proof` is borrowed for this call (the host copies it).
   * THREAD: any thread (see THREADS).
   * RETURNS: nothing. A NULL host or proof, or one whose struct_size is below minor 2's
   *   (PB_SIZE_THROUGH(pb_liveness, window_ms)), is ignored. */
  void (*report_liveness)(pb_host* host, const pb_liveness* proof);
} pb_host_api;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PATCHBAY_PB_HOST_API_H */
