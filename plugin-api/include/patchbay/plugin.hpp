// patchbay plugin SDK: header-only C++20 layer over the C ABI (patchbay/pb_plugin.h).
//
// A plugin author derives from patchbay::sdk::channel, implements send() (and optionally start,
// stop, edit, typing), and exports the class with one macro:
//
//   PATCHBAY_PLUGIN(my_channel, "myplatform", "1.0.0", "My Platform", "one line", my_caps())
//
// where my_channel has a constructor my_channel(patchbay::sdk::host, patchbay::sdk::create_info).
// Everything here is compiled into the plugin: no std:: type crosses the ABI. Every entry from the
// host runs inside a fail-closed barrier: an exception becomes an error value (PB_ERR_INTERNAL, or
// the code carried by patchbay::sdk::plugin_error) and never unwinds into the host.
//
// Thread safety: `host` is a thin value over the host API and may be used from any thread.
// `completion` objects may be completed from any thread, exactly once; one that is destroyed
// without being completed reports PB_ERR_INTERNAL, so the host never waits forever.
#pragma once

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "patchbay/pb_plugin.h"

namespace patchbay::sdk {

inline std::string_view view(pb_str s) noexcept {
  return s.size == 0 ? std::string_view{} : std::string_view{s.data, static_cast<size_t>(s.size)};
}
inline pb_str str(std::string_view s) noexcept { return pb_str{s.data(), s.size()}; }

// Throw from a constructor, start() or an operation to report a classified error.
class plugin_error : public std::runtime_error {
 public:
  plugin_error(pb_error_code code, const std::string& message,
               std::chrono::milliseconds retry_after = {})
      : std::runtime_error(message), code_(code), retry_after_(retry_after) {}
  pb_error_code code() const noexcept { return code_; }
  std::chrono::milliseconds retry_after() const noexcept { return retry_after_; }

 private:
  pb_error_code code_;
  std::chrono::milliseconds retry_after_;
};

// An error value on the plugin side (owns its message).
struct error {
  pb_error_code code = PB_ERR_INTERNAL;
  std::string message;
  std::chrono::milliseconds retry_after{};
};

namespace detail {

inline const pb_host_api*& host_api_slot() noexcept {
  static const pb_host_api* api = nullptr;
  return api;
}

inline void fill_error(pb_error_buf* buf, pb_error_code code, std::string_view msg,
                       std::chrono::milliseconds retry_after = {}) noexcept {
  if (buf == nullptr) return;
  buf->code = code;
  buf->retry_after_ms = retry_after.count();
  if (buf->message == nullptr || buf->message_capacity == 0) {
    buf->message_size = 0;
    return;
  }
  size_t n = msg.size() < buf->message_capacity ? msg.size() : buf->message_capacity;
  // Do not cut a UTF-8 sequence in half.
  while (n > 0 && n < msg.size() && (static_cast<unsigned char>(msg[n]) & 0xC0) == 0x80) --n;
  std::memcpy(buf->message, msg.data(), n);
  buf->message_size = n;
}

// Runs fn; converts any exception into an error code written to `buf`.
template <class F>
int32_t barrier(pb_error_buf* buf, F&& fn) noexcept {
  try {
    fn();
    return PB_OK;
  } catch (const plugin_error& e) {
    fill_error(buf, e.code(), e.what(), e.retry_after());
    return e.code();
  } catch (const std::exception& e) {
    fill_error(buf, PB_ERR_INTERNAL, e.what());
    return PB_ERR_INTERNAL;
  } catch (...) {
    fill_error(buf, PB_ERR_INTERNAL, "unknown exception");
    return PB_ERR_INTERNAL;
  }
}

}  // namespace detail

// The host, as seen by one instance. Cheap to copy; usable from any thread until the instance is
// destroyed.
class host {
 public:
  host() = default;
  host(const pb_host_api* api, pb_host* h) noexcept : api_(api), host_(h) {}

  void log(pb_log_level level, std::string_view text) const noexcept {
    if (api_ && api_->log) api_->log(host_, level, str(text));
  }
  void debug(std::string_view t) const noexcept { log(PB_LOG_DEBUG, t); }
  void info(std::string_view t) const noexcept { log(PB_LOG_INFO, t); }
  void warn(std::string_view t) const noexcept { log(PB_LOG_WARN, t); }
  void error(std::string_view t) const noexcept { log(PB_LOG_ERROR, t); }

  void report_status(pb_channel_state state, std::string_view reason = {}, uint32_t attempt = 0,
                     int64_t next_attempt_unix_ms = 0) const noexcept {
    pb_status st{};
    st.struct_size = sizeof st;
    st.state = state;
    st.attempt = attempt;
    st.next_attempt_unix_ms = next_attempt_unix_ms;
    st.reason = str(reason);
    if (api_ && api_->report_status) api_->report_status(host_, &st);
  }

  // Tells the host the platform just proved the connection alive (ABI minor 2): `kind` says how,
  // `window` how long until the next proof must come before the host shows the channel degraded
  // ("no sign of life"); a zero window sets no deadline. A no-op on a host older than minor 2,
  // which then trusts the reported state alone. Cheap; any thread.
  void report_liveness(pb_liveness_kind kind,
                       std::chrono::milliseconds window = {}) const noexcept {
    if (api_ == nullptr || !PB_HAS_FIELD(api_, pb_host_api, report_liveness) ||
        api_->report_liveness == nullptr)
      return;
    pb_liveness p{};
    p.struct_size = sizeof p;
    p.kind = kind;
    const auto ms = window.count();
    p.window_ms = ms <= 0 ? 0 : ms >= 0xFFFFFFFFLL ? 0xFFFFFFFFu : static_cast<uint32_t>(ms);
    api_->report_liveness(host_, &p);
  }

  using inbound_done = std::function<void(pb_inbound_disposition, const pb_error*)>;
  // Hands a message to the host; `done` runs on a host thread once it is durable / duplicate /
  // refused. `msg.struct_size` is set for you.
  void emit_inbound(pb_inbound_message msg, inbound_done done) const {
    msg.struct_size = sizeof msg;
    auto* heap = new inbound_done(std::move(done));
    api_->emit_inbound(host_, &msg, &inbound_trampoline, heap);
  }

  std::optional<std::string> kv_get(std::string_view key) const {
    std::optional<std::string> out;
    // Runs inside the host's C code: nothing may escape it.
    auto sink = [](void* ud, pb_str v) noexcept {
      try {
        static_cast<std::optional<std::string>*>(ud)->emplace(view(v));
      } catch (...) {
      }
    };
    if (api_->kv_get(host_, str(key), sink, &out) < 0)
      throw plugin_error(PB_ERR_RETRYABLE, "instance store unavailable");
    return out;
  }
  using kv_done = std::function<void(const pb_error*)>;
  void kv_set(std::string_view key, std::string_view value, kv_done done = {}) const {
    auto* heap = done ? new kv_done(std::move(done)) : nullptr;
    api_->kv_set(host_, str(key), str(value), heap ? &kv_trampoline : nullptr, heap);
  }
  void kv_delete(std::string_view key, kv_done done = {}) const {
    auto* heap = done ? new kv_done(std::move(done)) : nullptr;
    api_->kv_delete(host_, str(key), heap ? &kv_trampoline : nullptr, heap);
  }

  int64_t now_unix_ms() const noexcept { return api_->now_unix_ms(host_); }
  int64_t monotonic_ms() const noexcept { return api_->monotonic_ms(host_); }

  const pb_host_api* api() const noexcept { return api_; }
  pb_host* handle() const noexcept { return host_; }

 private:
  static void inbound_trampoline(void* ud, int32_t disposition, const pb_error* err) {
    std::unique_ptr<inbound_done> fn(static_cast<inbound_done*>(ud));
    try {
      (*fn)(static_cast<pb_inbound_disposition>(disposition), err);
    } catch (...) {
    }
  }
  static void kv_trampoline(void* ud, const pb_error* err) {
    std::unique_ptr<kv_done> fn(static_cast<kv_done*>(ud));
    try {
      (*fn)(err);
    } catch (...) {
    }
  }

  const pb_host_api* api_ = nullptr;
  pb_host* host_ = nullptr;
};

// Completes one asynchronous operation (send/edit/typing) exactly once, from any thread.
class completion {
 public:
  completion() = default;
  completion(pb_op_done_fn fn, void* ud) : state_(std::make_shared<state>(fn, ud)) {}

  void succeed(std::string_view message_id = {}) const noexcept { finish(nullptr, message_id); }
  // fetch_attachment's success (ABI minor 3): the MIME type the platform reported, may be empty.
  void succeed_fetch(std::string_view mime_type) const noexcept { finish(nullptr, {}, mime_type); }
  void fail(pb_error_code code, std::string_view message,
            std::chrono::milliseconds retry_after = {}) const noexcept {
    pb_error e{};
    e.struct_size = sizeof e;
    e.code = code;
    e.retry_after_ms = retry_after.count();
    e.message = str(message);
    finish(&e, {});
  }
  void fail(const error& e) const noexcept { fail(e.code, e.message, e.retry_after); }
  bool done() const noexcept { return !state_ || state_->fired.load(); }

 private:
  struct state {
    state(pb_op_done_fn f, void* u) : fn(f), ud(u) {}
    ~state() {
      if (!fired.exchange(true) && fn) {
        pb_error e{sizeof(pb_error), PB_ERR_INTERNAL, 0, str("operation dropped by plugin")};
        pb_op_result r{sizeof(pb_op_result), &e, {}, {}};
        fn(ud, &r);
      }
    }
    pb_op_done_fn fn;
    void* ud;
    std::atomic<bool> fired{false};
  };

  void finish(const pb_error* err, std::string_view id,
              std::string_view mime_type = {}) const noexcept {
    if (!state_ || state_->fired.exchange(true)) return;
    pb_op_result r{};
    r.struct_size = sizeof r;
    r.error = err;
    r.message_id = str(id);
    r.mime_type = str(mime_type);
    state_->fn(state_->ud, &r);
  }

  std::shared_ptr<state> state_;
};

// Completes stop() exactly once; destroying it uncompleted completes it.
class stop_completion {
 public:
  stop_completion(pb_stop_done_fn fn, void* ud) : state_(std::make_shared<state>(fn, ud)) {}
  void operator()() const noexcept { state_->fire(); }

 private:
  struct state {
    state(pb_stop_done_fn f, void* u) : fn(f), ud(u) {}
    ~state() { fire(); }
    void fire() noexcept {
      if (!fired.exchange(true) && fn) fn(ud);
    }
    pb_stop_done_fn fn;
    void* ud;
    std::atomic<bool> fired{false};
  };
  std::shared_ptr<state> state_;
};

// An inbound HTTP request (ABI minor 1, see pb_http.h), as views valid during on_http only.
struct http_request {
  std::string_view method, subpath, query, body, remote_address;
  const pb_http_header* headers = nullptr;
  uint32_t header_count = 0;
  // First header of that name (case-insensitive), or "" when absent.
  std::string_view header(std::string_view name) const noexcept {
    for (uint32_t i = 0; i < header_count; ++i) {
      std::string_view n = view(headers[i].name);
      if (n.size() != name.size()) continue;
      bool eq = true;
      for (size_t k = 0; k < n.size() && eq; ++k) {
        char a = n[k], b = name[k];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
        eq = a == b;
      }
      if (eq) return view(headers[i].value);
    }
    return {};
  }
};

// Answers one inbound HTTP request exactly once, from any thread; dropping it unanswered answers
// 500. Copyable (copies share the one answer).
class http_responder {
 public:
  http_responder(pb_http_respond_fn fn, void* ud) : state_(std::make_shared<state>(fn, ud)) {}
  void respond(uint32_t status, std::string_view body,
               std::string_view content_type = "application/json") const noexcept {
    if (!state_ || state_->fired.exchange(true)) return;
    pb_http_response r{};
    r.struct_size = sizeof r;
    r.status = status;
    r.content_type = str(content_type);
    r.body = str(body);
    state_->fn(state_->ud, &r);
  }
  bool done() const noexcept { return !state_ || state_->fired.load(); }

 private:
  struct state {
    state(pb_http_respond_fn f, void* u) : fn(f), ud(u) {}
    ~state() {
      if (!fired.exchange(true) && fn) {
        static constexpr char body[] = R"({"error":"request dropped by the plugin"})";
        pb_http_response r{sizeof(pb_http_response), 500, {}, nullptr, 0, {body, sizeof body - 1}};
        fn(ud, &r);
      }
    }
    pb_http_respond_fn fn;
    void* ud;
    std::atomic<bool> fired{false};
  };
  std::shared_ptr<state> state_;
};

// Fields appended in ABI minor 3, read safely from a struct a host of any minor filled in (a
// host older than minor 3 never sets them: the defaults below).
inline const pb_outbound_attachment* attachment_of(const pb_outbound_message& m) noexcept {
  // NOLINTNEXTLINE(bugprone-sizeof-expression): the size of the pointer member is meant
  return PB_HAS_FIELD(&m, pb_outbound_message, attachment) ? m.attachment : nullptr;
}
inline bool is_final_edit(const pb_edit_request& r) noexcept {
  return PB_HAS_FIELD(&r, pb_edit_request, flags) && (r.flags & PB_EDIT_FINAL) != 0;
}
inline pb_typing_action typing_action(const pb_typing_request& r) noexcept {
  return PB_HAS_FIELD(&r, pb_typing_request, action) && r.action == PB_TYPING_STOP
             ? PB_TYPING_STOP
             : PB_TYPING_START;
}
inline std::string_view typing_message_id(const pb_typing_request& r) noexcept {
  return PB_HAS_FIELD(&r, pb_typing_request, message_id) ? view(r.message_id) : std::string_view{};
}

struct create_info {
  std::string_view instance_id;
  std::string_view config_json;  // contains secrets: never log it
};

// Base class for a channel instance. Every virtual is called serialized per instance.
class channel {
 public:
  explicit channel(sdk::host h) : host_(h) {}
  virtual ~channel() = default;
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  // Begin connecting; return promptly. Throw to refuse to start.
  virtual void start() {}
  // The completions and the responder are taken by value on purpose: an override owns them and
  // usually moves them into asynchronous work; these defaults merely answer at once.
  // Stop gracefully, then call done() (at the latest by the deadline).
  virtual void stop(std::chrono::milliseconds /*deadline*/,
                    stop_completion done) {  // NOLINT(performance-unnecessary-value-param): owned
    done();
  }
  virtual void send(const pb_outbound_message& msg, completion done) = 0;
  virtual void edit(const pb_edit_request& /*req*/,
                    completion done) {  // NOLINT(performance-unnecessary-value-param): owned
    done.fail(PB_ERR_UNSUPPORTED, "edit is not supported by this channel");
  }
  virtual void typing(const pb_typing_request& /*req*/,
                      completion done) {  // NOLINT(performance-unnecessary-value-param): owned
    done.fail(PB_ERR_UNSUPPORTED, "typing is not supported by this channel");
  }

  // Download an inbound attachment's bytes into req.dest_path, streamed, at most req.max_bytes
  // (ABI minor 3); complete with done.succeed_fetch(mime_type). A channel that cannot leaves this.
  virtual void fetch_attachment(
      const pb_fetch_request& /*req*/,
      completion done) {  // NOLINT(performance-unnecessary-value-param): owned
    done.fail(PB_ERR_UNSUPPORTED, "this channel cannot fetch attachments");
  }

  // An HTTP request the host received on /hooks/<channel-id>[/...] (webhooks, relay callbacks).
  // Answer through `respond` exactly once; see pb_http.h for deadlines and durability.
  virtual void on_http(
      const http_request& /*req*/,
      http_responder respond) {  // NOLINT(performance-unnecessary-value-param): owned, see above
    respond.respond(404, R"({"error":"this channel takes no HTTP requests"})");
  }

  const sdk::host& host() const noexcept { return host_; }

 private:
  sdk::host host_;
};

namespace detail {

template <class T>
struct thunks {
  static T* self(pb_instance* inst) noexcept { return reinterpret_cast<T*>(inst); }

  static int32_t create(const pb_create_args* args, pb_instance** out, pb_error_buf* err) noexcept {
    return barrier(err, [&] {
      if (args == nullptr || out == nullptr) throw plugin_error(PB_ERR_INVALID_INPUT, "null args");
      sdk::host h(host_api_slot(), args->host);
      create_info info{view(args->instance_id), view(args->config_json)};
      // std::bad_alloc is caught by barrier() and becomes PB_ERR_INTERNAL (fail closed).
      *out = reinterpret_cast<pb_instance*>(
          new T(h, info));  // NOLINT(bugprone-unhandled-exception-at-new): inside barrier()
    });
  }
  static int32_t start(pb_instance* inst, pb_error_buf* err) noexcept {
    return barrier(err, [&] { self(inst)->start(); });
  }
  static void stop(pb_instance* inst, uint32_t deadline_ms, pb_stop_done_fn done,
                   void* ud) noexcept {
    stop_completion sc(done, ud);
    int32_t rc =
        barrier(nullptr, [&] { self(inst)->stop(std::chrono::milliseconds(deadline_ms), sc); });
    if (rc != PB_OK) sc();
  }
  static void destroy(pb_instance* inst) noexcept {
    try {
      delete self(inst);
    } catch (...) {
    }
  }
  template <class Req, class Fn>
  static void op(pb_instance* inst, const Req* req, pb_op_done_fn done, void* ud, Fn fn) noexcept {
    completion c(done, ud);
    char buf[512];
    pb_error_buf eb{sizeof eb, 0, 0, buf, sizeof buf, 0};
    int32_t rc = barrier(&eb, [&] {
      if (req == nullptr) throw plugin_error(PB_ERR_INVALID_INPUT, "null request");
      fn(*self(inst), *req, c);
    });
    if (rc != PB_OK)
      c.fail(static_cast<pb_error_code>(rc), std::string_view(buf, eb.message_size),
             std::chrono::milliseconds(eb.retry_after_ms));
  }
  static void send(pb_instance* i, const pb_outbound_message* m, pb_op_done_fn d,
                   void* u) noexcept {
    op(i, m, d, u,
       [](T& t, const pb_outbound_message& r, completion c) { t.send(r, std::move(c)); });
  }
  static void edit(pb_instance* i, const pb_edit_request* m, pb_op_done_fn d, void* u) noexcept {
    op(i, m, d, u, [](T& t, const pb_edit_request& r, completion c) { t.edit(r, std::move(c)); });
  }
  static void typing(pb_instance* i, const pb_typing_request* m, pb_op_done_fn d,
                     void* u) noexcept {
    op(i, m, d, u,
       [](T& t, const pb_typing_request& r, completion c) { t.typing(r, std::move(c)); });
  }

  static void fetch_attachment(pb_instance* i, const pb_fetch_request* m, pb_op_done_fn d,
                               void* u) noexcept {
    op(i, m, d, u,
       [](T& t, const pb_fetch_request& r, completion c) { t.fetch_attachment(r, std::move(c)); });
  }

  static void http(pb_instance* i, const pb_http_request* req, pb_http_respond_fn respond,
                   void* ud) noexcept {
    http_responder r(respond, ud);
    try {
      if (req == nullptr) return r.respond(400, R"({"error":"null request"})");
      http_request v{view(req->method), view(req->subpath),        view(req->query),
                     view(req->body),   view(req->remote_address), req->headers,
                     req->header_count};
      self(i)->on_http(v, r);
    } catch (...) {
      r.respond(500, R"({"error":"internal error"})");
    }
  }

  static const pb_plugin_vtable* vtable() noexcept {
    static const pb_plugin_vtable vt{
        sizeof(pb_plugin_vtable), &create, &start, &stop, &destroy, &send, &edit, &typing, &http,
        &fetch_attachment};
    return &vt;
  }
};

// Called by the entry point: remembers the host API and refuses an incompatible host.
inline bool accept_host(const pb_host_info* info) noexcept {
  // NOLINTNEXTLINE(bugprone-sizeof-expression): the size of the pointer member is meant
  if (info == nullptr || info->struct_size < PB_SIZE_THROUGH(pb_host_info, host_api)) return false;
  if (info->abi_major != PB_ABI_MAJOR || info->host_api == nullptr) return false;
  host_api_slot() = info->host_api;
  return true;
}

}  // namespace detail

// Builds a capabilities struct with struct_size set; adjust fields, then pass to PATCHBAY_PLUGIN.
inline pb_capabilities make_capabilities() noexcept {
  pb_capabilities c{};
  c.struct_size = sizeof c;
  return c;
}

}  // namespace patchbay::sdk

// Exports `Class` as this shared object's plugin. Use once per plugin, at namespace scope.
// `caps_expr` is an expression yielding pb_capabilities, evaluated once.
#define PATCHBAY_PLUGIN(Class, name_, version_, platform_, description_, caps_expr)             \
  extern "C" PB_EXPORT const pb_plugin_descriptor* PB_ENTRY_NAME(const pb_host_info* info) {    \
    try {                                                                                       \
      if (!::patchbay::sdk::detail::accept_host(info)) return nullptr;                          \
      static const pb_capabilities patchbay_caps_ = (caps_expr);                                \
      static const pb_plugin_descriptor desc{sizeof(pb_plugin_descriptor),                      \
                                             PB_ABI_MAJOR,                                      \
                                             PB_ABI_MINOR,                                      \
                                             name_,                                             \
                                             version_,                                          \
                                             platform_,                                         \
                                             description_,                                      \
                                             &patchbay_caps_,                                   \
                                             ::patchbay::sdk::detail::thunks<Class>::vtable()}; \
      return &desc;                                                                             \
    } catch (...) {                                                                             \
      return nullptr;                                                                           \
    }                                                                                           \
  }
