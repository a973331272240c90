/* A tiny C plugin compiled once per ZOO_* variant: each variant breaks one rule of the ABI so the
 * loader's refusal for it can be tested. Without a variant it is a minimal valid C plugin. */
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
  return PB_OK;
#endif
}
static void zoo_stop(pb_instance* inst, uint32_t deadline_ms, pb_stop_done_fn done, void* ud) {
  (void)inst;
  (void)deadline_ms;
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
  pb_op_result r = {sizeof(pb_op_result), &e, {0, 0}};
  done(ud, &r);
}
static void zoo_edit(pb_instance* i, const pb_edit_request* q, pb_op_done_fn d, void* u) {
  zoo_unsupported(i, q, d, u);
}
static void zoo_typing(pb_instance* i, const pb_typing_request* q, pb_op_done_fn d, void* u) {
  zoo_unsupported(i, q, d, u);
}

static const pb_capabilities g_caps = {
    sizeof(pb_capabilities), 4000, PB_UNIT_BYTES, PB_NO, PB_NO, PB_NO, PB_REPLY_TOKEN_NONE, 0, 0};

static const pb_plugin_vtable g_vtable = {
#ifdef ZOO_MINOR0 /* built against ABI 1.0: the table ends with `typing` */
    PB_SIZE_THROUGH(pb_plugin_vtable, typing),
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
