/* A tiny C plugin compiled once per ZOO_* variant: each variant breaks one rule of the ABI so the
 * loader's refusal for it can be tested (or, ZOO_BAD_VIEWS, misuses the host API so the host's
 * answers can be). Without a variant it is a minimal valid C plugin. */
#include <string.h>

#include "patchbay/pb_plugin.h"

static const pb_host_api* g_api;

static void fill(pb_error_buf* err, int32_t code, const char* msg) {
  if (!err) return;
  err->code = code;
  size_t n = strlen(msg);
  if (n > err->message_capacity) n = (size_t)err->message_capacity;
  memcpy(err->message, msg, n);
  err->message_size = n;
}

struct pb_instance {
  pb_host* host;
};
static struct pb_instance g_inst;

#ifdef ZOO_BAD_VIEWS
/* Calls the host API with arguments it must refuse (a NULL message, views with data == NULL and
 * size > 0, a NULL host) and counts, per call, how often its callback ran, how often it ran
 * inside the call (on the calling thread before the call returned) and how often it said
 * "refused". A last, valid kv_set's callback reports the counts as the status reason
 * "counts: <case>=<calls>/<inline>/<refused> ...": the host completes one instance's calls in the
 * order they were made, so every earlier callback has had its turn by then. `stop` reports them
 * again ("stop: ..."), so a late second call would show. */
#include <stdio.h>

typedef struct zoo_case {
  const char* name;
  int calls, inline_calls, refused;
} zoo_case;

enum {
  EMIT_NULL_MSG,
  EMIT_BAD_VIEW,
  EMIT_NULL_HOST,
  KV_SET_BAD_KEY,
  KV_SET_BAD_VALUE,
  KV_DELETE_BAD_KEY,
  KV_SET_NULL_HOST,
  ZOO_CASES
};
static zoo_case g_cases[ZOO_CASES] = {{"emit_null_msg", 0, 0, 0},    {"emit_bad_view", 0, 0, 0},
                                      {"emit_null_host", 0, 0, 0},   {"kv_set_bad_key", 0, 0, 0},
                                      {"kv_set_bad_value", 0, 0, 0}, {"kv_delete_bad_key", 0, 0, 0},
                                      {"kv_set_null_host", 0, 0, 0}};
static _Thread_local int t_in_call; /* set while this thread is inside a host API call */

static void count(zoo_case* c, int refused) {
  c->calls++;
  if (t_in_call) c->inline_calls++;
  if (refused) c->refused++;
}
static void on_inbound(void* ud, int32_t disposition, const pb_error* error) {
  count((zoo_case*)ud, disposition == PB_INBOUND_REFUSED && error != NULL && error->code != PB_OK);
}
static void on_kv(void* ud, const pb_error* error) {
  count((zoo_case*)ud, error != NULL && error->code != PB_OK);
}

static void report_counts(pb_host* host, const char* when) {
  char buf[512];
  size_t n = (size_t)snprintf(buf, sizeof buf, "%s:", when);
  for (int i = 0; i < ZOO_CASES && n < sizeof buf; ++i)
    n += (size_t)snprintf(buf + n, sizeof buf - n, " %s=%d/%d/%d", g_cases[i].name,
                          g_cases[i].calls, g_cases[i].inline_calls, g_cases[i].refused);
  pb_status st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  st.state = PB_STATE_CONNECTED;
  st.reason.data = buf;
  st.reason.size = n < sizeof buf ? n : sizeof buf - 1;
  g_api->report_status(host, &st);
}
static void on_probe(void* ud, const pb_error* error) {
  (void)error;
  report_counts((pb_host*)ud, "counts");
}

static void call_with_bad_views(pb_host* host) {
  pb_str key = {"k", 1}, bad = {NULL, 3};
  pb_inbound_message m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  m.event_id.data = "bad-view-1";
  m.event_id.size = 10;
  m.conversation_id = key;
  m.text = bad; /* data == NULL, size 3 */
  pb_inbound_message good = m;
  good.event_id.data = "null-host-1";
  good.event_id.size = 11;
  good.text = key;

  t_in_call = 1;
  g_api->emit_inbound(host, NULL, on_inbound, &g_cases[EMIT_NULL_MSG]);
  g_api->emit_inbound(host, &m, on_inbound, &g_cases[EMIT_BAD_VIEW]);
  g_api->emit_inbound(NULL, &good, on_inbound, &g_cases[EMIT_NULL_HOST]);
  g_api->kv_set(host, bad, key, on_kv, &g_cases[KV_SET_BAD_KEY]);
  g_api->kv_set(host, key, bad, on_kv, &g_cases[KV_SET_BAD_VALUE]);
  g_api->kv_delete(host, bad, on_kv, &g_cases[KV_DELETE_BAD_KEY]);
  g_api->kv_set(NULL, key, key, on_kv, &g_cases[KV_SET_NULL_HOST]);
  /* No callback to call: these must simply return. */
  g_api->kv_set(host, bad, key, NULL, NULL);
  g_api->kv_delete(host, bad, NULL, NULL);
  g_api->emit_inbound(host, &m, NULL, NULL);
  t_in_call = 0;

  pb_str probe = {"zoo_probe", 9};
  g_api->kv_set(host, probe, key, on_probe, host);
}
#endif

static int32_t zoo_create(const pb_create_args* args, pb_instance** out, pb_error_buf* err) {
#ifdef ZOO_CREATE_FAILS
  (void)args;
  (void)out;
  fill(err, PB_ERR_AUTH, "bad credentials for app cli_zoo");
  return PB_ERR_AUTH;
#else
  (void)err;
  g_inst.host = args->host;
  *out = &g_inst;
#ifdef ZOO_BAD_VIEWS
  for (int i = 0; i < ZOO_CASES; ++i) /* the library outlives its instances: count per instance */
    g_cases[i].calls = g_cases[i].inline_calls = g_cases[i].refused = 0;
#endif
  return PB_OK;
#endif
}
static int32_t zoo_start(pb_instance* inst, pb_error_buf* err) {
#ifdef ZOO_START_FAILS
  (void)inst;
  fill(err, PB_ERR_REJECTED, "app is disabled on the platform");
  return PB_ERR_REJECTED;
#else
  (void)err;
  pb_status st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  st.state = PB_STATE_CONNECTED;
  g_api->report_status(inst->host, &st);
#ifdef ZOO_BAD_VIEWS
  call_with_bad_views(inst->host);
#endif
  return PB_OK;
#endif
}
static void zoo_stop(pb_instance* inst, uint32_t deadline_ms, pb_stop_done_fn done, void* ud) {
  (void)inst;
  (void)deadline_ms;
#ifdef ZOO_BAD_VIEWS
  report_counts(inst->host, "stop");
#endif
#ifndef ZOO_STOP_NEVER_COMPLETES
  done(ud);
#else
  (void)done;
  (void)ud;
#endif
}
static void zoo_destroy(pb_instance* inst) { (void)inst; }
static void zoo_send(pb_instance* inst, const pb_outbound_message* msg, pb_op_done_fn done,
                     void* ud) {
  (void)inst;
#ifdef ZOO_SEND_NEVER_COMPLETES
  (void)msg;
  (void)done;
  (void)ud;
#else
  pb_op_result r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  r.message_id = msg->conversation_id; /* echo something recognisable */
  done(ud, &r);
#ifdef ZOO_SEND_COMPLETES_TWICE
  done(ud, &r);
#endif
#endif
}
static void zoo_unsupported(pb_instance* inst, const void* req, pb_op_done_fn done, void* ud) {
  (void)inst;
  (void)req;
  pb_error e = {sizeof(pb_error), PB_ERR_UNSUPPORTED, 0, {"unsupported", 11}};
  pb_op_result r = {sizeof(pb_op_result), &e, {0, 0}, {0, 0}};
  done(ud, &r);
}
static void zoo_edit(pb_instance* i, const pb_edit_request* q, pb_op_done_fn d, void* u) {
  zoo_unsupported(i, q, d, u);
}
static void zoo_typing(pb_instance* i, const pb_typing_request* q, pb_op_done_fn d, void* u) {
  zoo_unsupported(i, q, d, u);
}

static const pb_capabilities g_caps = {
#ifdef ZOO_MINOR2 /* built against ABI 1.2: capabilities end with max_edits_per_message */
    PB_SIZE_THROUGH(pb_capabilities, max_edits_per_message),
#else
    sizeof(pb_capabilities),
#endif
    4000,
    PB_UNIT_BYTES,
    PB_NO,
    PB_NO,
    PB_NO,
    PB_REPLY_TOKEN_NONE,
    0,
    0};

static const pb_plugin_vtable g_vtable = {
#ifdef ZOO_MINOR0 /* built against ABI 1.0: the table ends with `typing` */
    PB_SIZE_THROUGH(pb_plugin_vtable, typing),
#elif defined(ZOO_MINOR2) /* built against ABI 1.2: the table ends with `http` */
    PB_SIZE_THROUGH(pb_plugin_vtable, http),
#else
    sizeof(pb_plugin_vtable),
#endif
    zoo_create,
    zoo_start,
    zoo_stop,
    zoo_destroy,
    zoo_send,
#ifdef ZOO_NULL_FUNCTION
    NULL,
#else
    zoo_edit,
#endif
    zoo_typing};

#ifndef ZOO_NAME
#define ZOO_NAME "zoo"
#endif

static const pb_plugin_descriptor g_desc = {
#ifdef ZOO_SHORT_DESCRIPTOR
    16,
#else
    sizeof(pb_plugin_descriptor),
#endif
#ifdef ZOO_DESCRIPTOR_MAJOR_2
    2,
#else
    PB_ABI_MAJOR,
#endif
#ifdef ZOO_NEWER_MINOR
    PB_ABI_MINOR + 1,
#elif defined(ZOO_MINOR0)
    0,
#elif defined(ZOO_MINOR1) /* built against ABI 1.1: never reports liveness (minor 2) */
    1,
#elif defined(ZOO_MINOR2) /* built against ABI 1.2: no attachments, streams or typing stop */
    2,
#else
    PB_ABI_MINOR,
#endif
    ZOO_NAME,
    "0.0.1",
    "Zoo",
    "ABI conformance test plugin",
    &g_caps,
    &g_vtable};

#ifdef ZOO_NO_ENTRY
PB_EXPORT int zoo_something_else(void) { return 42; }
#elif defined(ZOO_ENTRY_V2) /* another major's name: written by hand on purpose */
PB_EXPORT const pb_plugin_descriptor* patchbay_plugin_entry_v2(const pb_host_info* host) {
  g_api = host->host_api;
  return &g_desc;
}
#else
#ifdef ZOO_UNRESOLVED_SYMBOL
extern int zoo_symbol_that_does_not_exist(void);
#endif
PB_EXPORT const pb_plugin_descriptor* PB_ENTRY_NAME(const pb_host_info* host) {
#ifdef ZOO_UNRESOLVED_SYMBOL
  if (zoo_symbol_that_does_not_exist() == 1) return 0;
#endif
#ifdef ZOO_ENTRY_RETURNS_NULL
  (void)host;
  return 0;
#else
  g_api = host->host_api;
  return &g_desc;
#endif
}
#endif
