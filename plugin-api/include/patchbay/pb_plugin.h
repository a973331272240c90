/*
 * patchbay plugin ABI: the plugin descriptor, the plugin's function table and the entry point.
 * This is the header a plugin author includes (it includes the others).
 * Version policy, layout and memory rules: see pb_types.h.
 *
 * LOADING
 *   A plugin is a shared object exporting exactly one C symbol, PB_ENTRY_SYMBOL, whose name carries
 *   the ABI major. The host loads it with RTLD_NOW | RTLD_LOCAL and imports no other symbol; the
 *   plugin imports none of the host's (link with -Wl,-z,defs, hidden visibility). The host calls
 *   the entry once per library it loads, hands over its host API table and receives the
 *   descriptor.
 *
 * THREADS
 *   The host serializes all calls for one instance (create, start, stop, destroy, send, edit,
 *   typing, http never overlap for the same pb_instance, and each sees what the previous one
 *   did): they run on host threads, one at a time per instance. Calls for different instances
 *   may run concurrently. Every plugin function must return promptly (no network round trip, no
 * sleep): I/O runs on the plugin's own threads, ideally one io_context per plugin module shared by
 * all its instances, not a thread per instance.
 *
 * EXCEPTIONS
 *   Nothing may unwind across these functions. C++ plugins catch everything at the boundary (the
 *   C++ layer in patchbay/plugin.hpp does it for you) and report an error value instead.
 *
 * UNLOADING
 *   The host never unloads a plugin library once it loaded successfully (not even after its last
 *   instance is destroyed), so plugin threads and late completions never find their code
 *   unmapped. After `destroy` returns the plugin must not call the host for that instance.
 *
 * EVERY FUNCTION AND CALLBACK below (and in pb_host_api.h, pb_http.h) states:
 *   OWNERSHIP: who owns each pointer it receives and how long it stays valid;
 *   THREAD:    on which thread it is called (or may be called), and what it may overlap with;
 *   RETURNS:   what the return value means, or how the outcome is reported instead.
 */
#ifndef PATCHBAY_PB_PLUGIN_H
#define PATCHBAY_PB_PLUGIN_H

#include "pb_host_api.h"
#include "pb_http.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PB_ABI_MAJOR 1
/* Minor history: 0 = first release; 1 = pb_plugin_vtable.http (inbound HTTP, pb_http.h);
 * 2 = pb_host_api.report_liveness with pb_liveness (pb_messages.h);
 * 3 = attachments both ways (pb_plugin_vtable.fetch_attachment, pb_outbound_message.attachment),
 *     streamed messages (PB_SEND_STREAM, PB_EDIT_FINAL), typing start/stop, and the capabilities
 *     max_sends_per_reply, can_attachments and max_attachment_size;
 * 4 = pb_capabilities.single_consumer (one process at a time per instance, under a lease). */
#define PB_ABI_MINOR 4

/* Preprocessor helpers: expand the arguments, then stringize / paste them. */
#define PB_STRINGIFY_(x) #x
#define PB_STRINGIFY(x) PB_STRINGIFY_(x)
#define PB_PASTE_(a, b) a##b
#define PB_PASTE(a, b) PB_PASTE_(a, b)

/* The one exported symbol, spelled once, as a token: PB_ENTRY_STEM followed by the ABI major, i.e.
 * patchbay_plugin_entry_v1. Its name changes with the major version, so a host looking for
 * another major never finds it (and can report the mismatch by name). A plugin defines it as
 *     PB_EXPORT const pb_plugin_descriptor* PB_ENTRY_NAME(const pb_host_info* host) { ... }
 * (the prototype at the end of this header checks the signature; the C++ layer's PATCHBAY_PLUGIN
 * does it for you); the host looks it up by PB_ENTRY_SYMBOL, its name as a string. */
#define PB_ENTRY_STEM patchbay_plugin_entry_v
#define PB_ENTRY_NAME PB_PASTE(PB_ENTRY_STEM, PB_ABI_MAJOR)
#define PB_ENTRY_SYMBOL PB_STRINGIFY(PB_ENTRY_NAME) /* "patchbay_plugin_entry_v1" */
#define PB_ENTRY_PREFIX PB_STRINGIFY(PB_ENTRY_STEM) /* "patchbay_plugin_entry_v": any major */

/* Opaque, plugin-defined instance handle. */
typedef struct pb_instance pb_instance;

/* Completion of send/edit/typing: the host's function, called by the plugin exactly once per
 * operation with the `user_data` the host passed to that operation.
 * OWNERSHIP: `result` (and the error and strings it points to) is the plugin's, borrowed for this
 *   call: the host copies what it keeps before returning. `user_data` is the host's.
 * THREAD: any thread, including inside the send/edit/typing call that started the operation. A
 *   second call, or one after the host answered the operation itself at `destroy`, is logged and
 *   ignored.
 * RETURNS: nothing. A NULL or malformed `result` (struct_size below minor 0) counts as
 *   PB_ERR_INTERNAL; `result->error` NULL = success. */
typedef void (*pb_op_done_fn)(void* user_data, const pb_op_result* result);

/* Completion of stop: the host's function, called by the plugin exactly once per `stop`.
 * OWNERSHIP: `user_data` is the host's, valid until `destroy` returns.
 * THREAD: any thread, including inside `stop` (or inside `destroy`); never after `destroy`
 *   returned. One that comes after the deadline is ignored.
 * RETURNS: nothing. */
typedef void (*pb_stop_done_fn)(void* user_data);

/* Arguments of `create`. Borrowed for the duration of the call, except `host` (see `create`). */
typedef struct pb_create_args {
  uint32_t struct_size;
  pb_host* host;      /* this instance's host context: pass to every pb_host_api function */
  pb_str instance_id; /* the channel id from the host configuration */
  pb_str config_json; /* the channel's `config:` block as one JSON object, secrets already
                         substituted: NEVER log it or echo it in an error message */
} pb_create_args;

/* The plugin's function table. Every pointer of minor 0 is required (the host refuses a plugin
 * with a NULL entry; entries of later minors say whether they are optional); a plugin without
 * e.g. typing support implements it by completing with
 * PB_ERR_UNSUPPORTED. */
typedef struct pb_plugin_vtable {
  uint32_t struct_size;

  /* Create an instance from its configuration. Validate the configuration here and report what is
   * wrong (without secret values) in `err`. Start no I/O yet. The host API may already be used.
   * OWNERSHIP: `args` and its strings are borrowed for this call (the host wipes config_json when
   *   it returns); `args->host` stays valid until `destroy` returns. `out` and `err` (with its
   *   message buffer) are the host's, writable during this call only.
   * THREAD: a host thread, once per instance, before any other call for it.
   * RETURNS: PB_OK and sets *out (non-NULL; PB_OK with *out NULL counts as PB_ERR_INTERNAL), or
   *   an error code with `err` filled in and *out untouched. After a failure the host calls
   *   nothing else for this instance, not even `destroy`. */
  int32_t (*create)(const pb_create_args* args, pb_instance** out, pb_error_buf* err);

  /* Begin connecting. Returns at once: connection progress is reported through
   * pb_host_api.report_status.
   * OWNERSHIP: `inst` is the plugin's; `err` (with its message buffer) is the host's, writable
   *   during this call only.
   * THREAD: a host thread, once, right after a successful `create`; serialized per instance.
   * RETURNS: PB_OK = running; any other code (with `err` filled in) means the instance cannot run
   *   at all (e.g. a required resource is missing): the host reports the channel failed and,
   *   without calling `stop`, calls `destroy` once every callback it owes the instance has run. */
  int32_t (*start)(pb_instance* inst, pb_error_buf* err);

  /* Stop gracefully: stop receiving, finish or abandon in-flight operations (completing them),
   * close connections, then call `done` exactly once. Must call `done` within `deadline_ms`;
   * the host proceeds to destroy after the deadline regardless.
   * OWNERSHIP: `done` and `user_data` are the host's (see pb_stop_done_fn).
   * THREAD: a host thread, at most once, only after a successful `start`; serialized per
   *   instance. `done` may be called from any thread, inside this call included.
   * RETURNS: nothing; completion is `done`. */
  void (*stop)(pb_instance* inst, uint32_t deadline_ms, pb_stop_done_fn done, void* user_data);

  /* Free the instance. Called once, after stop completed (or its deadline passed), or after a
   * failed start. No host API call and no callback for this instance after it returns.
   * OWNERSHIP: `inst` is the plugin's to free; the host never uses it again.
   * THREAD: a host thread, last of all calls for the instance, once every callback the host owed
   *   it has run (a host that drops an instance it never shut down calls it from the thread that
   *   drops it, without `stop`). Nothing else runs for the instance meanwhile or afterwards.
   * RETURNS: nothing. */
  void (*destroy)(pb_instance* inst);

  /* Send a new message. `done` is called exactly once with the new platform message id or a
   * classified error.
   * OWNERSHIP: `msg` and its strings are borrowed for this call only; `done` and `user_data` are
   *   the host's (see pb_op_done_fn).
   * THREAD: a host thread, only while the instance runs (between a successful `start` and
   *   `stop`); serialized per instance. `done` from any thread, inside this call included.
   * RETURNS: nothing; the outcome is `done`'s result. If `done` never comes, the host fails the
   *   operation itself (PB_ERR_INTERNAL) at `destroy`. */
  void (*send)(pb_instance* inst, const pb_outbound_message* msg, pb_op_done_fn done,
               void* user_data);

  /* Replace the text of a message this instance sent. `done` exactly once.
   * OWNERSHIP: `req` and its strings are borrowed for this call only; `done` and `user_data` are
   *   the host's (see pb_op_done_fn).
   * THREAD: as `send`.
   * RETURNS: nothing; the outcome is `done`'s result (PB_ERR_UNSUPPORTED where edits are not
   *   possible). */
  void (*edit)(pb_instance* inst, const pb_edit_request* req, pb_op_done_fn done, void* user_data);

  /* Show a typing indicator. `done` exactly once.
   * OWNERSHIP: `req` and its strings are borrowed for this call only; `done` and `user_data` are
   *   the host's (see pb_op_done_fn).
   * THREAD: as `send`.
   * RETURNS: nothing; the outcome is `done`'s result (PB_ERR_UNSUPPORTED where there is no typing
   *   indicator). */
  void (*typing)(pb_instance* inst, const pb_typing_request* req, pb_op_done_fn done,
                 void* user_data);
  /* ---- minor 1 ---- */
  /* OPTIONAL (may be NULL): an HTTP request for this instance, see pb_http.h. Called only while
   * the instance runs (between a successful `start` and `stop`). `respond` exactly once.
   * OWNERSHIP: `req`, its strings and its header array are borrowed for this call only;
   *   `respond` and `user_data` are the host's (see pb_http_respond_fn).
   * THREAD: a host thread; serialized per instance. `respond` from any thread, inside this call
   *   included.
   * RETURNS: nothing; the answer is `respond`. */
  void (*http)(pb_instance* inst, const pb_http_request* req, pb_http_respond_fn respond,
               void* user_data);
  /* ---- minor 3 ---- */
  /* OPTIONAL (may be NULL: this channel's attachments cannot be fetched): download the bytes of an
   * attachment the plugin reported on an inbound message into `req->dest_path`, streamed (never
   * the whole file in memory), within the plugin's own deadline for the download. `done` exactly
   * once: success with the MIME type the platform reported (pb_op_result.mime_type), or an error
   * (PB_ERR_INVALID_INPUT past `max_bytes`, PB_ERR_NOT_FOUND when the platform no longer has it).
   * After an error the host discards whatever the file holds.
   * OWNERSHIP: `req` and its strings are borrowed for this call only; the file at dest_path is
   *   the host's; `done` and `user_data` are the host's (see pb_op_done_fn).
   * THREAD: as `send`.
   * RETURNS: nothing; the outcome is `done`'s result. */
  void (*fetch_attachment)(pb_instance* inst, const pb_fetch_request* req, pb_op_done_fn done,
                           void* user_data);
} pb_plugin_vtable;

/* Passed to the entry point. OWNERSHIP: the host's, static for the life of the process (the
 * plugin may keep the pointers it holds). */
typedef struct pb_host_info {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* host_version;    /* NUL-terminated */
  const pb_host_api* host_api; /* valid until the library is unloaded */
} pb_host_info;

/* Returned by the entry point. OWNERSHIP: the plugin's; must stay valid (typically static) until
 * the library is unloaded. The host copies the strings, capabilities and vtable while it
 * validates the descriptor, right after the entry returns. All strings NUL-terminated UTF-8. */
typedef struct pb_plugin_descriptor {
  uint32_t struct_size;
  uint32_t abi_major;                  /* PB_ABI_MAJOR the plugin was built with */
  uint32_t abi_minor;                  /* PB_ABI_MINOR the plugin was built with */
  const char* name;                    /* unique plugin name, e.g. "feishu"; [a-z0-9_-]+ */
  const char* version;                 /* the plugin's own version, e.g. "1.2.0" */
  const char* platform;                /* the chat platform, e.g. "Feishu" */
  const char* description;             /* one line, may be NULL */
  const pb_capabilities* capabilities; /* required */
  const pb_plugin_vtable* vtable;      /* required */
} pb_plugin_descriptor;

/* The entry point, PB_ENTRY_NAME (declared below).
 * OWNERSHIP: `host` and everything it points to are the host's, valid for the life of the
 *   process. The descriptor returned is the plugin's (see pb_plugin_descriptor).
 * THREAD: the thread loading the library (host start-up), before any other call into it. The
 *   host's loader calls it once per library file; a process that loads the same file through
 *   several loaders (tests do) calls it again, and it must return the same descriptor.
 * RETURNS: the descriptor, or NULL if the plugin cannot run with this host (the host then reports
 *   "entry returned no descriptor"; the plugin may write one line to stderr saying why). */
typedef const pb_plugin_descriptor* (*pb_entry_fn)(const pb_host_info* host);

#if defined(_WIN32)
#define PB_EXPORT __declspec(dllexport)
#else
#define PB_EXPORT __attribute__((visibility("default")))
#endif

/* The entry point's prototype (see pb_entry_fn): patchbay_plugin_entry_v1. */
PB_EXPORT const pb_plugin_descriptor* PB_ENTRY_NAME(const pb_host_info* host);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PATCHBAY_PB_PLUGIN_H */
