/* Expected layout of every ABI struct on LP64 (x86_64, aarch64), checked from C11 and C++20 so
 * the two languages agree and an accidental change to a minor-0 layout fails the build. */
#ifndef PB_LAYOUT_EXPECT_H
#define PB_LAYOUT_EXPECT_H
#include <stddef.h>
#include "patchbay/pb_plugin.h"

#ifdef __cplusplus
#define PB_SA(c, m) static_assert(c, m)
#else
#define PB_SA(c, m) _Static_assert(c, m)
#endif

#define PB_CHECK_LAYOUT()                                                                          \
  PB_SA(sizeof(pb_str) == 16, "pb_str");                                                           \
  PB_SA(sizeof(pb_error) == 32 && offsetof(pb_error, message) == 16, "pb_error");                  \
  PB_SA(sizeof(pb_error_buf) == 40 && offsetof(pb_error_buf, message_size) == 32, "pb_error_buf"); \
  PB_SA(sizeof(pb_capabilities) == 64 && offsetof(pb_capabilities, max_edits_per_message) == 32 && \
            offsetof(pb_capabilities, max_sends_per_reply) == 36 &&                                \
            offsetof(pb_capabilities, max_attachment_size) == 48 &&                                \
            offsetof(pb_capabilities, single_consumer) == 56,                                      \
        "pb_capabilities (minor 3 appends the send budget and attachments, minor 4 "               \
        "single_consumer)");                                                                       \
  PB_SA(offsetof(pb_inbound_message, event_id) == 8 &&                                             \
            offsetof(pb_inbound_message, mentions) == 128 &&                                       \
            offsetof(pb_inbound_message, reply_context) == 160 &&                                  \
            offsetof(pb_inbound_message, capabilities) == 184 &&                                   \
            sizeof(pb_inbound_message) == 208,                                                     \
        "pb_inbound_message");                                                                     \
  PB_SA(sizeof(pb_outbound_message) == 136 && offsetof(pb_outbound_message, flags) == 120 &&       \
            offsetof(pb_outbound_message, attachment) == 128,                                      \
        "pb_outbound_message (minor 3 appends attachment)");                                       \
  PB_SA(sizeof(pb_outbound_attachment) == 96 && offsetof(pb_outbound_attachment, size) == 72,      \
        "pb_outbound_attachment (minor 3)");                                                       \
  PB_SA(sizeof(pb_fetch_request) == 128 && offsetof(pb_fetch_request, max_bytes) == 120,           \
        "pb_fetch_request (minor 3)");                                                             \
  PB_SA(sizeof(pb_edit_request) == 96 && offsetof(pb_edit_request, flags) == 88,                   \
        "pb_edit_request (minor 3 appends flags)");                                                \
  PB_SA(sizeof(pb_typing_request) == 96 && offsetof(pb_typing_request, action) == 72 &&            \
            offsetof(pb_typing_request, message_id) == 80,                                         \
        "pb_typing_request (minor 3 appends action, message_id)");                                 \
  PB_SA(sizeof(pb_op_result) == 48 && offsetof(pb_op_result, mime_type) == 32,                     \
        "pb_op_result (minor 3 appends mime_type)");                                               \
  PB_SA(sizeof(pb_status) == 40 && offsetof(pb_status, reason) == 24, "pb_status");                \
  PB_SA(sizeof(pb_host_api) == 80 && offsetof(pb_host_api, monotonic_ms) == 64 &&                  \
            offsetof(pb_host_api, report_liveness) == 72,                                          \
        "pb_host_api (minor 2 appends report_liveness)");                                          \
  PB_SA(sizeof(pb_liveness) == 12 && offsetof(pb_liveness, window_ms) == 8,                        \
        "pb_liveness (minor 2)");                                                                  \
  PB_SA(sizeof(pb_plugin_vtable) == 80 && offsetof(pb_plugin_vtable, typing) == 56 &&              \
            offsetof(pb_plugin_vtable, http) == 64 &&                                              \
            offsetof(pb_plugin_vtable, fetch_attachment) == 72,                                    \
        "pb_plugin_vtable (minor 1 appends http, minor 3 fetch_attachment)");                      \
  PB_SA(sizeof(pb_http_header) == 32 && sizeof(pb_http_request) == 104 &&                          \
            offsetof(pb_http_request, body) == 72 && sizeof(pb_http_response) == 56 &&             \
            offsetof(pb_http_response, body) == 40,                                                \
        "pb_http (minor 1)");                                                                      \
  PB_SA(sizeof(pb_create_args) == 48, "pb_create_args");                                           \
  PB_SA(sizeof(pb_host_info) == 32, "pb_host_info");                                               \
  PB_SA(sizeof(pb_plugin_descriptor) == 64 && offsetof(pb_plugin_descriptor, vtable) == 56,        \
        "pb_plugin_descriptor");                                                                   \
  PB_SA(sizeof(pb_mention) == 48 && sizeof(pb_attachment) == 96, "pb_mention/attachment")

#endif
