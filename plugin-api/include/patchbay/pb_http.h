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

typedef struct pb_http_header {
  pb_str name; /* as received (case preserved); compare case-insensitively */
  pb_str value;
} pb_http_header;

typedef struct pb_http_request {
  uint32_t struct_size;
  pb_str method;  /* "POST", "GET", ... */
  pb_str subpath; /* the path after /hooks/<channel-id>: "" or "/..." (not percent-decoded) */
  pb_str query;   /* after '?', without it; "" when absent */
  const pb_http_header* headers;
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

/* `user_data` is the host's value given to the `http` call. */
typedef void (*pb_http_respond_fn)(void* user_data, const pb_http_response* response);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PATCHBAY_PB_HTTP_H */
