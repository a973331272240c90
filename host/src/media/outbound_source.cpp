#include "media/outbound_source.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace patchbay::media {
namespace fs = std::filesystem;

namespace {

std::string_view host_of(std::string_view url, std::string_view scheme) {
  std::string_view rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') return rest.substr(0, rest.find(']') + 1);
  return rest.substr(0, rest.find(':'));
}

bool is_loopback(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

std::string last_segment(std::string_view s) {
  s = s.substr(0, s.find_first_of("?#"));
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  auto slash = s.rfind('/');
  return std::string(slash == std::string_view::npos ? s : s.substr(slash + 1));
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

std::string url_problem(std::string_view url) {
  if (starts_with_ci(url, "https://")) {
    return host_of(url, "https://").empty() ? "the url has no host" : "";
  }
  if (starts_with_ci(url, "http://")) {
    if (is_loopback(host_of(url, "http://"))) return {};
    return "plain http is allowed only to this machine (use https)";
  }
  return "only https urls can be fetched";
}

std::string resolve_location(std::string_view base, std::string_view location) {
  if (starts_with_ci(location, "https://") || starts_with_ci(location, "http://"))
    return std::string(location);
  if (location.empty() || location.front() != '/' || location.substr(0, 2) == "//") return {};
  auto scheme_end = base.find("://");
  if (scheme_end == std::string_view::npos) return {};
  auto path_start = base.find('/', scheme_end + 3);
  return std::string(base.substr(0, path_start)) + std::string(location);
}

std::optional<std::string> allowed_file(const std::vector<std::string>& allowed,
                                        const std::string& path, std::string& why) {
  if (allowed.empty()) {
    why = "files from local paths are not enabled on this gateway";
    return std::nullopt;
  }
  fs::path p(path);
  if (!p.is_absolute()) {
    why = "a local path must be absolute";
    return std::nullopt;
  }
  std::error_code ec;
  fs::path real = fs::canonical(p, ec);  // every symbolic link resolved
  if (ec || !fs::is_regular_file(real, ec)) {
    why = "no such file";
    return std::nullopt;
  }
  for (const auto& dir : allowed) {
    fs::path root = fs::canonical(dir, ec);
    if (ec) continue;
    auto rel = real.lexically_relative(root);
    if (!rel.empty() && *rel.begin() != ".." && rel != ".") return real.string();
  }
  why = "its path is not in a directory this gateway allows";
  return std::nullopt;
}

std::string display_name(const messages::attachment_spec& a) {
  if (!a.name.empty()) return a.name;
  std::string n = !a.url.empty()    ? last_segment(a.url)
                  : !a.path.empty() ? last_segment(a.path)
                                    : "";
  return n.empty() ? a.kind : n;
}

std::string guess_mime(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> types{{
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".pdf", "application/pdf"},
      {".txt", "text/plain"},
      {".csv", "text/csv"},
      {".json", "application/json"},
      {".zip", "application/zip"},
      {".mp4", "video/mp4"},
      {".mp3", "audio/mpeg"},
      {".ogg", "audio/ogg"},
      {".opus", "audio/opus"},
      {".wav", "audio/wav"},
      {".md", "text/markdown"},
  }};
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string ext(name.substr(dot));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [e, t] : types)
    if (ext == e) return std::string(t);
  return {};
}

std::string size_text(std::uint64_t bytes) {
  char buf[48];
  auto fmt = [&](std::uint64_t unit, const char* name) {
    if (bytes % unit == 0)
      std::snprintf(buf, sizeof buf, "%llu %s", static_cast<unsigned long long>(bytes / unit),
                    name);
    else
      std::snprintf(buf, sizeof buf, "%.1f %s",
                    static_cast<double>(bytes) / static_cast<double>(unit), name);
  };
  if (bytes >= (std::uint64_t{1} << 20))
    fmt(std::uint64_t{1} << 20, "MB");
  else if (bytes >= 1024)
    fmt(1024, "KB");
  else
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  return buf;
}

std::string cannot_send_notice(std::string_view name) {
  return "This channel cannot send files: " + std::string(name);
}

std::string failed_notice(std::string_view name, std::string_view reason) {
  return "Could not send the file " + std::string(name) + ": " + std::string(reason) + ".";
}

std::string too_large_reason(std::uint64_t size, std::uint64_t limit) {
  if (size == 0) return "it is larger than the limit of " + size_text(limit);
  return "it is " + size_text(size) + ", larger than the limit of " + size_text(limit);
}

}  // namespace patchbay::media
