// The host side of the ABI: the pb_host_api table handed to every plugin, and the interface a
// channel instance implements to serve it. The C functions in host_api.cpp validate arguments,
// never throw into the plugin and forward to the instance's host_services.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "patchbay/pb_plugin.h"

namespace patchbay::plugin {

// Every method that takes a callback (`done`) either takes it over, and then calls it exactly
// once, on a host thread, after the plugin's call returned; or throws before anything was
// scheduled, and then never calls it: host_api.cpp answers the plugin itself in that case.
class host_services {
 public:
  virtual ~host_services() = default;
  virtual void log(int32_t level, std::string_view text) = 0;
  virtual void emit_inbound(const pb_inbound_message& msg, pb_inbound_done_fn done,
                            void* user_data) = 0;
  // Answers an emit_inbound that host_api.cpp refused before it got here (a NULL message):
  // PB_INBOUND_REFUSED with `code` and `why`, the same way as every other answer.
  virtual void refuse_inbound(pb_inbound_done_fn done, void* user_data, int32_t code,
                              std::string_view why) = 0;
  virtual void report_status(const pb_status& status) = 0;
  virtual int32_t kv_get(std::string_view key, pb_kv_value_fn on_value, void* user_data) = 0;
  // value == nullopt: delete. `done` may be NULL.
  virtual void kv_write(std::string_view key, std::optional<std::string_view> value,
                        pb_kv_done_fn done, void* user_data) = 0;
  // Answers a kv_set / kv_delete that host_api.cpp refused before it got here (an invalid key or
  // value view) with PB_ERR_INVALID_INPUT and `why`, the same way as every other answer.
  // `done` may be NULL (then nothing is called).
  virtual void refuse_kv_write(pb_kv_done_fn done, void* user_data, std::string_view why) = 0;
  virtual int64_t now_unix_ms() = 0;
  virtual int64_t monotonic_ms() = 0;
  // ABI minor 2: the platform proved the connection alive (already copied and size-checked).
  virtual void report_liveness(const pb_liveness& proof) = 0;
};

// The one way the host copies a struct the plugin filled in (the growth rule of pb_types.h):
//   - zero-fills `out` first, so every field the plugin's (older) struct lacks reads as 0;
//   - refuses, returning false with `out` all zero, a NULL `src` or a `src->struct_size` below
//     `min_size` (PB_SIZE_THROUGH the last field the ABI requires, usually minor 0's last field);
//   - else copies min(src->struct_size, sizeof(T)) bytes, sets `out.struct_size` to that count
//     (so PB_HAS_FIELD on the copy says which fields came from the plugin) and returns true.
template <class T>
bool read_sized(const T* src, std::size_t min_size, T& out) noexcept {
  out = T{};
  if (src == nullptr || src->struct_size < min_size) return false;
  const std::size_t n = std::min<std::size_t>(src->struct_size, sizeof(T));
  std::memcpy(&out, src, n);
  out.struct_size = static_cast<uint32_t>(n);
  return true;
}

// A view is usable when it is empty or has data.
inline bool valid_view(pb_str s) { return s.size == 0 || s.data != nullptr; }
inline std::string_view to_view(pb_str s) {
  return s.size == 0 ? std::string_view{} : std::string_view(s.data, s.size);
}
inline pb_str to_pb(std::string_view s) { return pb_str{s.data(), s.size()}; }

const pb_host_api* host_api_table();
const pb_host_info* host_info();

}  // namespace patchbay::plugin

// The opaque per-instance handle of the ABI, as the host defines it.
struct pb_host {
  patchbay::plugin::host_services* services;
};
