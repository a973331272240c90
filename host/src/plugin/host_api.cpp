#include "plugin/host_api.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <optional>
#include <string_view>
#include <utility>

namespace patchbay::plugin {
namespace {

// Every entry point: a null host, a throwing service or a bad view never reaches the plugin as an
// exception. Misuse is logged (once per call site would be nicer; it is rare and cheap).
host_services* svc(pb_host* h) { return h ? h->services : nullptr; }

template <class... Args>
void note(spdlog::format_string_t<Args...> fmt, Args&&... args) noexcept {
  try {
    spdlog::error(fmt, std::forward<Args>(args)...);
  } catch (...) {
  }
}

// Every callback the plugin hands over runs exactly once (pb_host_api.h). The service answers on
// the instance's strand, after the call returned; these answer INSIDE the call, for the two cases
// where that is impossible: a NULL host (there is no instance to queue on) and a service that
// threw before it scheduled anything (host_services' contract), e.g. out of memory.
void refuse_inline(pb_inbound_done_fn done, void* ud, int32_t code, std::string_view why) noexcept {
  pb_error e{sizeof(pb_error), code, 0, to_pb(why)};
  done(ud, PB_INBOUND_REFUSED, &e);
}
void refuse_inline(pb_kv_done_fn done, void* ud, int32_t code, std::string_view why) noexcept {
  if (done == nullptr) return;
  pb_error e{sizeof(pb_error), code, 0, to_pb(why)};
  done(ud, &e);
}

void api_log(pb_host* h, int32_t level, pb_str text) noexcept {
  try {
    if (auto* s = svc(h); s && valid_view(text)) s->log(level, to_view(text));
  } catch (...) {
  }
}

void api_emit_inbound(pb_host* h, const pb_inbound_message* msg, pb_inbound_done_fn done,
                      void* ud) noexcept {
  if (done == nullptr) {
    note("plugin called emit_inbound without a callback; message dropped");
    return;
  }
  auto* s = svc(h);
  if (s == nullptr) {
    note("plugin called emit_inbound with a null host; message refused");
    return refuse_inline(done, ud, PB_ERR_INVALID_INPUT, "null host");
  }
  try {
    if (msg == nullptr)
      s->refuse_inbound(done, ud, PB_ERR_INVALID_INPUT, "null message");
    else
      s->emit_inbound(*msg, done, ud);  // validates the message's views and sizes itself
    return;
  } catch (const std::exception& ex) {
    note("emit_inbound failed inside the host: {}", ex.what());
  } catch (...) {
    note("emit_inbound failed inside the host");
  }
  refuse_inline(done, ud, PB_ERR_RETRYABLE, "the host could not take the message");
}

void api_report_status(pb_host* h, const pb_status* st) noexcept {
  try {
    pb_status copy;
    if (auto* s = svc(h); s && read_sized(st, PB_SIZE_THROUGH(pb_status, reason), copy))
      s->report_status(copy);
  } catch (...) {
  }
}

int32_t api_kv_get(pb_host* h, pb_str key, pb_kv_value_fn on_value, void* ud) noexcept {
  try {
    auto* s = svc(h);
    if (s == nullptr || on_value == nullptr || !valid_view(key)) return -1;
    return s->kv_get(to_view(key), on_value, ud);
  } catch (...) {
    return -1;
  }
}

// kv_set (value != nullptr) and kv_delete.
void kv_write(const char* what, pb_host* h, pb_str key, const pb_str* value, pb_kv_done_fn done,
              void* ud) noexcept {
  auto* s = svc(h);
  if (s == nullptr) {
    note("plugin called {} with a null host; refused", what);
    return refuse_inline(done, ud, PB_ERR_INVALID_INPUT, "null host");
  }
  try {
    if (!valid_view(key) || (value != nullptr && !valid_view(*value)))
      s->refuse_kv_write(done, ud, "a key or value has size > 0 and a NULL pointer");
    else
      s->kv_write(to_view(key), value ? std::optional(to_view(*value)) : std::nullopt, done, ud);
    return;
  } catch (const std::exception& ex) {
    note("{} failed inside the host: {}", what, ex.what());
  } catch (...) {
    note("{} failed inside the host", what);
  }
  refuse_inline(done, ud, PB_ERR_RETRYABLE, "the host could not take the write");
}

void api_kv_set(pb_host* h, pb_str key, pb_str value, pb_kv_done_fn done, void* ud) noexcept {
  kv_write("kv_set", h, key, &value, done, ud);
}

void api_kv_delete(pb_host* h, pb_str key, pb_kv_done_fn done, void* ud) noexcept {
  kv_write("kv_delete", h, key, nullptr, done, ud);
}

int64_t api_now(pb_host* h) noexcept {
  auto* s = svc(h);
  return s ? s->now_unix_ms() : 0;
}

int64_t api_monotonic(pb_host* h) noexcept {
  auto* s = svc(h);
  return s ? s->monotonic_ms() : 0;
}

void api_report_liveness(pb_host* h, const pb_liveness* proof) noexcept {
  try {
    pb_liveness copy;
    if (auto* s = svc(h); s && read_sized(proof, PB_SIZE_THROUGH(pb_liveness, window_ms), copy))
      s->report_liveness(copy);
  } catch (...) {
  }
}

const pb_host_api table{
    sizeof(pb_host_api), &api_log, &api_emit_inbound, &api_report_status,  &api_kv_get, &api_kv_set,
    &api_kv_delete,      &api_now, &api_monotonic,    &api_report_liveness};

const pb_host_info info{sizeof(pb_host_info), PB_ABI_MAJOR, PB_ABI_MINOR, PATCHBAY_VERSION, &table};

}  // namespace

const pb_host_api* host_api_table() { return &table; }
const pb_host_info* host_info() { return &info; }

}  // namespace patchbay::plugin
