#include "agents/stream_lines.hpp"

#include <algorithm>

namespace patchbay::agents {

void body_prefix::add(std::string_view bytes) {
  total_ += bytes.size();
  if (text_.size() < cap_) text_.append(bytes.substr(0, cap_ - text_.size()));
}

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
  constexpr std::string_view mark = "[redacted]";
  std::string out(text);
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    for (std::size_t pos = 0; (pos = out.find(s, pos)) != std::string::npos;) {
      out.replace(pos, s.size(), mark);
      pos += mark.size();
    }
  }
  // A credential scheme followed by its token: the token goes, whatever it is.
  for (std::string_view scheme : {"Bearer ", "bearer ", "Basic ", "basic "}) {
    for (std::size_t pos = 0; (pos = out.find(scheme, pos)) != std::string::npos;) {
      const std::size_t from = pos + scheme.size();
      std::size_t to = from;
      while (to < out.size() && out[to] != ' ' && out[to] != '"' && out[to] != '\'' &&
             out[to] != ',' && out[to] != '\n' && out[to] != '\r' && out[to] != '\t')
        ++to;
      if (to > from && out.compare(from, mark.size(), mark) != 0)
        out.replace(from, to - from, mark);
      pos = from + mark.size();
    }
  }
  return out;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80           ? 1
                  : (c >> 5) == 0x6  ? 2
                  : (c >> 4) == 0xE  ? 3
                  : (c >> 3) == 0x1E ? 4
                                     : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

}  // namespace

std::string excerpt(std::string_view body, const std::vector<std::string>& secrets,
                    std::size_t max_chars) {
  const std::string clean = redact(body, secrets);
  std::string out;
  std::size_t chars = 0;
  bool space = false;
  bool cut = false;
  for (std::size_t i = 0; i < clean.size();) {
    const auto c = static_cast<unsigned char>(clean[i]);
    if (c < 0x20 || c == 0x7F || c == ' ') {  // whitespace and control characters
      space = !out.empty();
      ++i;
      continue;
    }
    const std::size_t n = utf8_len(clean, i);
    if (chars + (space ? 1 : 0) + 1 > max_chars) {
      cut = true;
      break;
    }
    if (space) {
      out += ' ';
      ++chars;
      space = false;
    }
    if (n == 0) {
      out += '?';
      ++i;
    } else {
      out.append(clean, i, n);
      i += n;
    }
    ++chars;
  }
  if (cut) out += "...";
  return out;
}

transport_failure classify_transport(std::string_view e) {
  auto starts = [&](std::string_view p) { return e.substr(0, p.size()) == p; };
  if (e.empty()) return transport_failure::none;
  if (e == "aborted" || e == "cancelled") return transport_failure::aborted;
  if (e == "connect timeout" || e == "tls: handshake timeout")
    return transport_failure::connect_timeout;
  if (e == "connection refused") return transport_failure::refused;
  if (starts("resolve failed") || starts("connect failed")) return transport_failure::unreachable;
  if (starts("tls: ")) return transport_failure::tls;
  if (e == "first byte timeout") return transport_failure::first_byte_timeout;
  if (e == "idle timeout") return transport_failure::idle_timeout;
  if (e == "total timeout") return transport_failure::total_timeout;
  if (starts("connection closed") || starts("read failed")) return transport_failure::closed_early;
  return transport_failure::other;
}

}  // namespace patchbay::agents
