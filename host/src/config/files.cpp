// File access for the loader: the config file itself and ${file:...} secrets.
#include "config/detail.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

namespace patchbay::config::detail {

std::optional<std::string> read_whole_file(const std::string& path, std::size_t max_bytes,
                                           std::string& out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "is a directory";
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return std::generic_category().message(errno);
  out.clear();
  char buffer[8192];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    out.append(buffer, n);
    if (out.size() > max_bytes) {
      return "larger than " + std::to_string(max_bytes) + " bytes";
    }
    if (n < sizeof buffer) break;
  }
  if (std::ferror(file.get())) return std::generic_category().message(errno ? errno : EIO);
  return std::nullopt;
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

}  // namespace patchbay::config::detail
