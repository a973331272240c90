#include "plugin/host_api.hpp"

#include <spdlog/spdlog.h>

namespace patchbay::plugin {
namespace {

// Every entry point: a null host, a throwing service or a bad view never reaches the plugin as an
// exception. Misuse is logged (once per call site would be nicer; it is rare and cheap).
host_services* svc(pb_host* h) { return h ? h->services : nullptr; }

void api_log(pb_host* h, int32_t level, pb_str text) noexcept {
  try {
    if (auto* s = svc(h); s && valid_view(text)) s->log(level, to_view(text));
  } catch (...) {
  }
}

void api_emit_inbound(pb_host* h, const pb_inbound_message* msg, pb_inbound_done_fn done,
                      void* ud) noexcept {
  try {
    auto* s = svc(h);
    if (s == nullptr || done == nullptr) {
      spdlog::error("plugin called emit_inbound with a null host or callback; message dropped");
      return;
    }
    if (msg == nullptr) {
      pb_error e{sizeof(pb_error), PB_ERR_INVALID_INPUT, 0, to_pb("null message")};
      done(ud, PB_INBOUND_REFUSED, &e);
      return;
    }
    s->emit_inbound(*msg, done, ud);
  } catch (const std::exception& ex) {
    spdlog::error("emit_inbound failed inside the host: {}", ex.what());
  } catch (...) {
  }
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

void api_kv_set(pb_host* h, pb_str key, pb_str value, pb_kv_done_fn done, void* ud) noexcept {
  try {
    if (auto* s = svc(h); s && valid_view(key) && valid_view(value))
      s->kv_write(to_view(key), to_view(value), done, ud);
  } catch (...) {
  }
}

void api_kv_delete(pb_host* h, pb_str key, pb_kv_done_fn done, void* ud) noexcept {
  try {
    if (auto* s = svc(h); s && valid_view(key)) s->kv_write(to_view(key), std::nullopt, done, ud);
  } catch (...) {
  }
}

int64_t api_now(pb_host* h) noexcept {
  auto* s = svc(h);
  return s ? s->now_unix_ms() : 0;
}

int64_t api_monotonic(pb_host* h) noexcept {
  auto* s = svc(h);
  return s ? s->monotonic_ms() : 0;
}

const pb_host_api table{sizeof(pb_host_api), &api_log,    &api_emit_inbound,
                        &api_report_status,  &api_kv_get, &api_kv_set,
                        &api_kv_delete,      &api_now,    &api_monotonic};

const pb_host_info info{sizeof(pb_host_info), PB_ABI_MAJOR, PB_ABI_MINOR, PATCHBAY_VERSION, &table};

}  // namespace

const pb_host_api* host_api_table() { return &table; }
const pb_host_info* host_info() { return &info; }

}  // namespace patchbay::plugin
