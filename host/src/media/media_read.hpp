// An inbound attachment's bytes in memory, for a host-side consumer (the `openai` agent's image
// parts): the same path as GET /v1/media/<id> (service::get: lazily fetched from the plugin,
// cached, capped by host.media.max_bytes), then the cached file read whole, refused past
// `max_bytes`. Only for small files (the caller's cap bounds the memory).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "media/media_service.hpp"

namespace patchbay::media {

struct read_result {
  bool ok = false;
  std::string mime_type;  // as GET /v1/media answers it
  std::string bytes;
  std::string error;  // why not (operator-facing)
};

// `done` runs once, on the service's strand.
void read_bytes(service& svc, const std::string& id, uint64_t max_bytes,
                std::function<void(read_result)> done);

}  // namespace patchbay::media
