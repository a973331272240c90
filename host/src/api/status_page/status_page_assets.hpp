// The status page's files (status.html, status.js, status.css beside this header), compiled into
// the binary: the definition is generated at build time by embed_assets.cmake from the real files.
#pragma once

#include <span>
#include <string_view>

namespace patchbay::api {

struct embedded_asset {
  std::string_view name;   // the file name, e.g. "status.js"
  std::string_view bytes;  // its content, byte for byte
};

// Every embedded file, in the order the build listed them. Static storage; never empty.
std::span<const embedded_asset> status_page_assets();

}  // namespace patchbay::api
