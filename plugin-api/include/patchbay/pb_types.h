/*
 * patchbay plugin ABI: basic types shared by the host and plugin tables.
 *
 * VERSION POLICY (applies to every header in patchbay/pb_*.h)
 *   - The ABI has a MAJOR and a MINOR number (PB_ABI_MAJOR / PB_ABI_MINOR in pb_plugin.h).
 *   - A MINOR version only ever appends fields to the END of structs and tables and adds enum
 *     values. Nothing is removed, reordered, resized or re-typed within a major version.
 *   - Every struct and table starts with `uint32_t struct_size`, set by whoever fills it in to
 *     sizeof() as that side was compiled. A reader copies min(struct_size, sizeof(its own struct))
 *     bytes into a zero-filled local and must check PB_HAS_FIELD() before reading any member
 *     appended after PB_ABI_MINOR 0 of that struct.
 *   - The host refuses a plugin whose major differs or whose minor is newer than the host's, and
 *     accepts plugins of any older minor.
 *
 * TRUST MODEL
 *   Plugins run in the host process with the host's privileges. The ABI protects against honest
 *   mistakes (version skew, null pointers, exceptions, short structs), not against malice.
 *
 * LAYOUT RULES
 *   Fixed-width integers only; enums are stored in int32_t; 0 always means "unspecified" or
 *   "default"; no bool, no bit-fields, no packing pragmas. Strings are UTF-8 views that are NOT
 *   NUL-terminated unless a field says so.
 *
 * ARRAYS
 *   An array of structs cannot grow: a reader steps through it by its own sizeof, so its element
 *   type has no struct_size and is frozen for the major (pb_http_header). An array that must be
 *   able to grow is an array of POINTERS to sized structs, each element carrying its own
 *   struct_size (pb_inbound_message.mentions and .attachments).
 *
 * MEMORY
 *   Every pointer+length handed across the boundary is BORROWED for the duration of the call (or of
 *   the callback invocation) that carries it; copy what you keep. Whoever allocates frees. No C++
 *   exception, std:: type, or allocator crosses the boundary.
 */
#ifndef PATCHBAY_PB_TYPES_H
#define PATCHBAY_PB_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The size of `type` up to and including `field`: the struct_size a writer that stops at `field`
 * (e.g. one built against the minor that added it) fills in. The one way to spell "at least as
 * large as minor N defines": PB_SIZE_THROUGH(type, last field of minor N). */
#define PB_SIZE_THROUGH(type, field) (offsetof(type, field) + sizeof(((type*)0)->field))

/* True when a struct filled in by the other side (whose struct_size is in `ptr->struct_size`)
 * is large enough to contain `field`. Use before reading any field appended in a later minor. */
#define PB_HAS_FIELD(ptr, type, field) ((ptr)->struct_size >= PB_SIZE_THROUGH(type, field))

/* Borrowed UTF-8 (or binary) view. `data` may be NULL only when `size` is 0. */
typedef struct pb_str {
  const char* data;
  uint64_t size;
} pb_str;

/* Three-valued flag: 0 = unspecified (inherit / default), 1 = yes, 2 = no. */
typedef enum pb_tristate { PB_UNSPECIFIED = 0, PB_YES = 1, PB_NO = 2 } pb_tristate;

/* Classified errors. Errors are values: every failure crosses the boundary as one of these codes
 * plus a UTF-8 message that must never contain secrets (tokens, app secrets, keys). */
typedef enum pb_error_code {
  PB_OK = 0,
  PB_ERR_RETRYABLE = 1,     /* transient (network, 5xx, timeout): retry with backoff */
  PB_ERR_RATE_LIMITED = 2,  /* platform throttled us: retry after `retry_after_ms` */
  PB_ERR_AUTH = 3,          /* credentials invalid/expired/revoked: do not retry blindly */
  PB_ERR_REJECTED = 4,      /* the platform refused this request (permissions, cross-tenant...) */
  PB_ERR_TOKEN_USED = 5,    /* a single-use reply token is spent: never resend with it */
  PB_ERR_NOT_FOUND = 6,     /* target chat/message does not exist (or no longer) */
  PB_ERR_INVALID_INPUT = 7, /* the request itself is malformed (too long, bad target...) */
  PB_ERR_INTERNAL = 8,      /* a bug or unexpected state inside the plugin */
  PB_ERR_UNSUPPORTED = 9    /* the operation is not supported (e.g. edit on this chat) */
} pb_error_code;

/* An error as reported in a completion callback. Borrowed for the duration of the callback. */
typedef struct pb_error {
  uint32_t struct_size;
  int32_t code;           /* pb_error_code */
  int64_t retry_after_ms; /* with PB_ERR_RATE_LIMITED: how long to wait; 0 = unknown */
  pb_str message;         /* UTF-8, human readable, no secrets */
} pb_error;

/* A caller-owned buffer into which a synchronous call writes its error.
 * The callee sets `code`, `retry_after_ms` and copies at most `message_capacity` bytes of its
 * message into `message`, storing the copied length in `message_size` (truncating at a UTF-8
 * boundary is the callee's courtesy, not a guarantee). OWNERSHIP: the caller owns the buffer. */
typedef struct pb_error_buf {
  uint32_t struct_size;
  int32_t code;
  int64_t retry_after_ms;
  char* message;
  uint64_t message_capacity;
  uint64_t message_size;
} pb_error_buf;

/* Log levels for pb_host_api.log. */
typedef enum pb_log_level {
  PB_LOG_TRACE = 1,
  PB_LOG_DEBUG = 2,
  PB_LOG_INFO = 3,
  PB_LOG_WARN = 4,
  PB_LOG_ERROR = 5
} pb_log_level;

/* The unit in which a platform measures its message size limit. */
typedef enum pb_text_unit {
  PB_UNIT_BYTES = 1,     /* UTF-8 bytes */
  PB_UNIT_UTF16 = 2,     /* UTF-16 code units (JavaScript string length) */
  PB_UNIT_CODEPOINTS = 3 /* Unicode code points */
} pb_text_unit;

/* What a reply token (pb_inbound_message.reply_context) may be used for. */
typedef enum pb_reply_token_kind {
  PB_REPLY_TOKEN_NONE = 1,       /* no token: replies are addressed by chat id alone */
  PB_REPLY_TOKEN_SINGLE_USE = 2, /* spent by the first send that reaches the platform, success or
                                    not; edits of that message do not need it */
  PB_REPLY_TOKEN_REUSABLE = 3    /* may accompany any number of sends (e.g. iLink context_token) */
} pb_reply_token_kind;

/* What a channel can do. Declared once per plugin (pb_plugin_descriptor.capabilities) and
 * optionally narrowed per inbound message (pb_inbound_message.capabilities), where any field left
 * 0 / PB_UNSPECIFIED inherits the plugin-wide value. The host always uses the narrower of the two.
 */
typedef struct pb_capabilities {
  uint32_t struct_size;
  uint32_t max_message_size; /* limit for one message's text, in `message_size_unit`; 0 = none */
  int32_t message_size_unit; /* pb_text_unit */
  int32_t can_edit;          /* pb_tristate: edit a message this plugin sent */
  int32_t can_typing;        /* pb_tristate: show a typing indicator */
  int32_t can_ephemeral;     /* pb_tristate: show a message only to one user */
  int32_t reply_token;       /* pb_reply_token_kind */
  uint32_t min_edit_interval_ms;  /* host coalesces edits of one message no faster than this */
  uint32_t max_edits_per_message; /* 0 = unlimited; the host stops editing and sends new parts */
  /* ---- minor 3 ---- */
  uint32_t max_sends_per_reply; /* sends one reply context allows (iLink: about 10 per
                                   context_token); 0 = unlimited. The host plans a reply within it:
                                   the answer is fitted into that many messages, the last saying it
                                   was cut, and nothing is tried past the budget. */
  int32_t can_attachments;      /* pb_tristate: send pb_outbound_message.attachment */
  uint32_t reserved_m3;         /* 0; keeps the next field 8-aligned on every ABI */
  uint64_t max_attachment_size; /* largest file the platform takes, bytes; 0 = unknown (the plugin
                                   checks and fails with PB_ERR_INVALID_INPUT) */
  /* ---- minor 4 ---- */
  int32_t single_consumer; /* pb_tristate, plugin-wide (ignored in pb_inbound_message): YES = at
                              most one process may run a channel instance at a time, because its
                              inbound side is a single consumer (a long poll with a cursor). With
                              several replicas on one state store the host then runs each instance
                              only on the replica holding the instance's lease, and stops it at
                              once when the lease is lost. 0/NO = every replica may run it
                              (push or webhook delivery that tolerates several receivers). */
  uint32_t reserved_m4;    /* 0 */
} pb_capabilities;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PATCHBAY_PB_TYPES_H */
