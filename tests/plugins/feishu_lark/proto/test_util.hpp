// Helpers for the feishu_proto tests: byte strings written as hex.
#pragma once

#include <string>
#include <string_view>

namespace feishu_proto_test {

// "08 00 1a" → the bytes 0x08 0x00 0x1A (spaces ignored).
inline std::string from_hex(std::string_view hex) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  int hi = -1;
  for (char c : hex) {
    const int v = nib(c);
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

}  // namespace feishu_proto_test
