// The bytes the media test plugin (media_plugin.cpp) holds for an attachment id, shared with the
// tests that check what the host serves (tests/integration/media_e2e_test.cpp): a repeating,
// id-dependent pattern with every byte value (binary-safe).
#pragma once

#include <cstddef>
#include <string>

namespace zoo {

inline std::string media_bytes(const std::string& id, std::size_t n) {
  std::string out(n, '\0');
  unsigned h = 0;
  for (char c : id) h = h * 31 + static_cast<unsigned char>(c);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 7 + h) % 256);
  return out;
}

}  // namespace zoo
