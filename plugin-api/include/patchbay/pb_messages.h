/*
 * patchbay plugin ABI: the messages that cross the boundary (inbound, outbound, edits, status).
 * Version policy, layout and memory rules: see pb_types.h. Every struct here is BORROWED for the
 * duration of the call or callback that carries it; copy what you keep.
 */
#ifndef PATCHBAY_PB_MESSAGES_H
#define PATCHBAY_PB_MESSAGES_H

#include "pb_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pb_conversation_kind {
  PB_CONVERSATION_DIRECT = 1, /* one-to-one chat with the bot */
  PB_CONVERSATION_GROUP = 2,  /* group / channel */
  PB_CONVERSATION_THREAD = 3  /* a thread inside a group that has its own id */
} pb_conversation_kind;

/* A user mentioned in an inbound message. Reached through an array of pointers, so it may grow. */
typedef struct pb_mention {
  uint32_t struct_size;
  pb_str user_id;
  pb_str display_name;
  int32_t is_bot_self; /* pb_tristate: PB_YES when this mention addresses this bot */
} pb_mention;

/* Metadata of an attachment (the bytes stay on the platform; fetching them is the plugin's job,
 * pb_plugin_vtable.fetch_attachment, minor 3). Reached through an array of pointers, so it may
 * grow. `id` and `url` are handed back to fetch_attachment untouched: a plugin may put into `id`
 * whatever it needs to download the bytes later (a file key, an encrypted query parameter and its
 * key...), as long as it holds no credential of the bot. */
typedef struct pb_attachment {
  uint32_t struct_size;
  pb_str kind;      /* "image", "file", "audio", "video", "sticker", ... */
  pb_str id;        /* platform file key / media id */
  pb_str name;      /* file name if known */
  pb_str mime_type; /* if known */
  uint64_t size;    /* bytes, 0 = unknown */
  pb_str url;       /* if the platform gives one */
} pb_attachment;

/* A user message received by a plugin, handed to the host with pb_host_api.emit_inbound. */
typedef struct pb_inbound_message {
  uint32_t struct_size;
  pb_str event_id;        /* platform event id, unique per delivery source: the host dedups on it */
  pb_str conversation_id; /* chat id replies go to */
  int32_t conversation_kind; /* pb_conversation_kind */
  pb_str thread_id;          /* thread / root message id; empty = the conversation itself */
  pb_str message_id;         /* platform id of this message: what a reply replies to */
  pb_str sender_id;
  pb_str sender_name;
  pb_str text; /* UTF-8 plain text (the plugin flattens rich text) */
  /* Arrays of POINTERS, not of structs: each element carries its own struct_size, so pb_mention
   * and pb_attachment can grow in a later minor (the array's stride, sizeof(void*), never
   * changes; the host reads each element by its own struct_size). */
  const pb_mention* const* mentions; /* array of `mention_count` pointers */
  uint32_t mention_count;
  const pb_attachment* const* attachments; /* array of `attachment_count` pointers */
  uint32_t attachment_count;
  pb_str reply_context;    /* opaque bytes the host stores and hands back on every outbound
                              operation of this turn (reply token, context_token...) */
  int64_t sent_at_unix_ms; /* platform timestamp; 0 = unknown */
  const pb_capabilities* capabilities; /* NULL, or a narrowing for this message's conversation */
  pb_str raw_json; /* optional: the platform event as JSON, for agents that want it */
} pb_inbound_message;

/* How the host answered an emit_inbound. */
typedef enum pb_inbound_disposition {
  PB_INBOUND_ACCEPTED = 1,  /* durable in the host: the plugin may now ack the platform */
  PB_INBOUND_DUPLICATE = 2, /* already seen (same event_id): ack the platform, nothing more */
  PB_INBOUND_REFUSED = 3    /* not stored (invalid, host shutting down, store failure): see error;
                               do NOT ack if the platform will redeliver */
} pb_inbound_disposition;

/* Flags for pb_outbound_message.flags. */
#define PB_SEND_EPHEMERAL 0x1u /* only `recipient_id` should see it, where the channel can */
/* minor 3: the host will edit this message while the answer streams and ends with one edit
 * flagged PB_EDIT_FINAL (a plugin may render it as a streaming card). */
#define PB_SEND_STREAM 0x2u

struct pb_outbound_attachment;

/* A new message the host asks the plugin to send. */
typedef struct pb_outbound_message {
  uint32_t struct_size;
  pb_str conversation_id;
  pb_str thread_id;           /* empty = top level of the conversation */
  pb_str reply_to_message_id; /* empty = not a reply */
  pb_str reply_context;       /* as received on the inbound message of this turn; may be empty */
  pb_str text;                /* UTF-8, already within the channel's limit */
  pb_str turn_id;             /* for logs and idempotency keys: the same for every retry of the
                                 same message (proactive sends: "send-<id>-p<part>") */
  pb_str recipient_id;        /* with PB_SEND_EPHEMERAL: the user who may see it */
  uint32_t flags;             /* PB_SEND_* */
  /* ---- minor 3 ---- */
  const struct pb_outbound_attachment* attachment; /* NULL = a text message. Otherwise a media
                                 message carrying this one file; `text` is then empty (the host
                                 sends a caption as a message of its own) */
} pb_outbound_message;

/* A file the host asks the plugin to send (pb_outbound_message.attachment, minor 3). The bytes
 * are in a local file the host owns: read it, do not move or delete it. Grows by minor. */
typedef struct pb_outbound_attachment {
  uint32_t struct_size;
  pb_str kind;      /* "image", "file", "audio" or "video" */
  pb_str name;      /* file name to show, UTF-8 (may be empty for images) */
  pb_str mime_type; /* may be empty */
  pb_str path;      /* local file with the bytes, readable until the operation's `done` */
  uint64_t size;    /* bytes in the file */
  pb_str md5_hex;   /* lower-case hex MD5 of the file's bytes (the host computes it) */
} pb_outbound_attachment;

/* An edit of a message this plugin sent earlier. */
typedef struct pb_edit_request {
  uint32_t struct_size;
  pb_str conversation_id;
  pb_str message_id;    /* as returned by the send completion */
  pb_str reply_context; /* as on the inbound message of this turn; may be empty */
  pb_str text;          /* the full new text (not a diff) */
  pb_str turn_id;
  /* ---- minor 3 ---- */
  uint32_t flags; /* PB_EDIT_* */
} pb_edit_request;

/* Flags for pb_edit_request.flags (minor 3). The last edit of a message sent with PB_SEND_STREAM:
 * the answer (or its error notice) is complete; a plugin that streams closes the stream. Sent once
 * per such message, even when the text did not change. */
#define PB_EDIT_FINAL 0x1u

/* Show a typing indicator in a conversation. */
typedef struct pb_typing_request {
  uint32_t struct_size;
  pb_str conversation_id;
  pb_str thread_id;
  pb_str reply_context;
  pb_str user_id; /* for platforms whose typing indicator is per user */
  /* ---- minor 3 ---- */
  int32_t action;    /* pb_typing_action; 0 = PB_TYPING_START */
  pb_str message_id; /* the user's message the turn answers (e.g. the target of a reaction) */
} pb_typing_request;

/* pb_typing_request.action (minor 3). A host sends STOP only to plugins of minor 3 or later, once
 * per turn that sent START, whatever way the turn ended (answer, error, /stop, agent crash). */
typedef enum pb_typing_action {
  PB_TYPING_START = 1, /* the turn started, or is still running (refresh) */
  PB_TYPING_STOP = 2   /* the turn ended: remove the indicator */
} pb_typing_action;

/* Result of a send/edit/typing, reported through the operation's completion callback. */
typedef struct pb_op_result {
  uint32_t struct_size;
  const pb_error* error; /* NULL on success */
  pb_str message_id;     /* send: the platform id of the new message; edit: may repeat it */
  /* ---- minor 3 ---- */
  pb_str mime_type; /* fetch_attachment: the MIME type the platform reported; may be empty */
} pb_op_result;

/* Download the bytes of an inbound attachment (pb_plugin_vtable.fetch_attachment, minor 3). */
typedef struct pb_fetch_request {
  uint32_t struct_size;
  pb_str conversation_id; /* of the inbound message that carried the attachment */
  pb_str message_id;      /* that message's platform id */
  pb_str reply_context;   /* as on that message; may be empty */
  pb_str kind;            /* pb_attachment.kind as reported */
  pb_str attachment_id;   /* pb_attachment.id as reported */
  pb_str url;             /* pb_attachment.url as reported; may be empty */
  pb_str dest_path;       /* write the bytes here (create or truncate); the host owns the file */
  uint64_t max_bytes;     /* fail with PB_ERR_INVALID_INPUT ("too large") past this many bytes */
} pb_fetch_request;

typedef enum pb_channel_state {
  PB_STATE_STARTING = 1,
  PB_STATE_CONNECTED = 2,
  PB_STATE_RECONNECTING = 3, /* attempt and next_attempt_unix_ms say when */
  PB_STATE_DEGRADED = 4,     /* partly working (e.g. sends ok, receive paused); reason says why */
  PB_STATE_FAILED = 5,       /* not working; reason says why and what the operator can do */
  PB_STATE_STOPPED = 6
} pb_channel_state;

typedef struct pb_status {
  uint32_t struct_size;
  int32_t state;                /* pb_channel_state */
  uint32_t attempt;             /* reconnect attempt, 1-based; 0 when not reconnecting */
  int64_t next_attempt_unix_ms; /* 0 = unknown / not scheduled */
  pb_str reason;                /* operator-facing, no secrets; may be empty */
} pb_status;

/* ---- minor 2 ---- */

/* What proved the platform connection alive (pb_host_api.report_liveness). */
typedef enum pb_liveness_kind {
  PB_LIVENESS_CONNECTED = 1, /* a connection or session was just established (handshake done) */
  PB_LIVENESS_PONG = 2,      /* the platform answered our ping / heartbeat */
  PB_LIVENESS_POLL = 3,      /* a (long) poll was answered, an empty answer included */
  PB_LIVENESS_EVENT = 4,     /* the platform delivered an event, a frame or a verified callback */
  PB_LIVENESS_API_OK = 5     /* an API call to the platform succeeded */
} pb_liveness_kind;

/* Proof that the platform connection is alive, with how long it counts for. A plugin that
 * reports CONNECTED and also reports liveness is shown `degraded` by the host when no proof came
 * for longer than the latest `window_ms` ("no sign of life for N s"); one that never reports
 * liveness is trusted on its reported state. */
typedef struct pb_liveness {
  uint32_t struct_size;
  int32_t kind;       /* pb_liveness_kind (a value this host does not know still counts) */
  uint32_t window_ms; /* the channel counts as dead when the next proof does not come within this
                         many ms (e.g. ping interval x 3; long-poll hold + margin); 0 = this proof
                         sets no deadline (the previous window, if any, stays) */
} pb_liveness;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PATCHBAY_PB_MESSAGES_H */
