/*
 * patchbay plugin ABI, since minor 1: inbound HTTP for plugins whose platform calls the bot
 * (webhooks, relay callbacks). The host serves every method on
 *     /hooks/<channel-id>  and  /hooks/<channel-id>/<anything>
 * on its HTTP listener (no bearer token: the plugin authenticates the platform itself) and hands
 * each request to the instance's `http` function (pb_plugin_vtable, PB_HAS_FIELD-checked; NULL =
 * the channel takes no HTTP: the host answers 404).
 *
 * CONTRACT
 *   - The request is BORROWED for the duration of the `http` call only; copy what you keep.
 *   - The plugin answers by calling `respond` exactly once, from any thread, possibly inside the
 *     `http` call. The response is borrowed for the duration of the `respond` call.
 *   - The host waits at most PB_HTTP_DEADLINE_MS for it; later it answers 504 itself and ignores
 *     the late `respond` (which must still be called, exactly once). After `destroy` the host has
 *     answered every request still open (503); `respond` may still be called and is ignored.
 *   - Answer "received" (2xx) only after what the platform expects to be kept is durable: call
 *     emit_inbound and respond from its `done` callback.
 *   - Request bodies are limited by the host (1 MiB by default: 413 before the plugin sees it).
 *   - Never put secrets in a response body or a reason you log.
 */
#ifndef PATCHBAY_PB_HTTP_H
#define PATCHBAY_PB_HTTP_H

#include "pb_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PB_HTTP_DEADLINE_MS 10000u

/* One header. FROZEN: it has no struct_size and is passed as an array of structs (`headers` below),
 * whose stride is sizeof(pb_http_header) as the writer compiled it, so no minor may ever add a
 * field to it (a reader of another minor would step through the array wrongly). A future minor
 * that needs more per header appends to pb_http_request / pb_http_response a new array of
 * POINTERS to a new sized struct (struct_size first, as pb_inbound_message.mentions) plus its
 * count, and keeps filling `headers` for readers of older minors. */
typedef struct pb_http_header {
  pb_str name; /* as received (case preserved); compare case-insensitively */
  pb_str value;
} pb_http_header;

typedef struct pb_http_request {
  uint32_t struct_size;
  pb_str method;  /* "POST", "GET", ... */
  pb_str subpath; /* the path after /hooks/<channel-id>: "" or "/..." (not percent-decoded) */
  pb_str query;   /* after '?', without it; "" when absent */
  const pb_http_header* headers; /* array of `header_count` structs (frozen: see pb_http_header) */
  uint32_t header_count;
  pb_str body;           /* the exact bytes received (signatures are computed over them) */
  pb_str remote_address; /* "ip:port" of the peer (a proxy's, when behind one) */
} pb_http_request;

typedef struct pb_http_response {
  uint32_t struct_size;
  uint32_t status;               /* 100..599; anything else is answered as 500 */
  pb_str content_type;           /* empty = "application/json" */
  const pb_http_header* headers; /* extra headers; Content-Length etc. are the host's */
  uint32_t header_count;
  pb_str body;
} pb_http_response;

/* The answer to one `http` call: the host's function, called by the plugin exactly once per call.
 * OWNERSHIP: `response`, its strings and its header array are the plugin's, borrowed for this call:
 *   the host copies them (at most 64 headers) before returning. `user_data` is the host's value
 *   given to the `http` call; the host frees what it holds when `respond` is called, so a request
 *   never answered leaks it.
 * THREAD: any thread, including inside the `http` call; also after the deadline or after `destroy`
 *   (then ignored).
 * RETURNS: nothing. A NULL or malformed response (struct_size below minor 1's) is answered 500. */
typedef void (*pb_http_respond_fn)(void* user_data, const pb_http_response* response);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PATCHBAY_PB_HTTP_H */
