#include "media/file_cache.hpp"

#include <filesystem>
#include <system_error>

namespace patchbay::media {
namespace fs = std::filesystem;

file_cache::file_cache(std::string dir, uint64_t max_bytes, int64_t ttl_ms)
    : dir_(std::move(dir)), max_bytes_(max_bytes), ttl_ms_(ttl_ms) {}

std::string file_cache::open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return "cannot create " + dir_ + ": " + ec.message();
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    std::error_code ignored;
    if ((ext == ".media" || ext == ".part") && it->is_regular_file(ignored))
      fs::remove(it->path(), ignored);
  }
  return ec ? "cannot list " + dir_ + ": " + ec.message() : "";
}

std::string file_cache::temp_path(const std::string& id) {
  return (fs::path(dir_) / (id + "." + std::to_string(++temp_seq_) + ".part")).string();
}

std::optional<cached_file> file_cache::insert(const std::string& id, const std::string& temp,
                                              uint64_t size, std::string mime_type, int64_t now_ms,
                                              std::string* error) {
  if (auto old = entries_.find(id); old != entries_.end()) remove(old);
  const std::string path = (fs::path(dir_) / (id + ".media")).string();
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    if (error != nullptr) *error = "cannot move the download into the cache: " + ec.message();
    std::error_code ignored;
    fs::remove(temp, ignored);
    return std::nullopt;
  }
  lru_.push_front(id);
  cached_file f{path, std::move(mime_type), size};
  entries_.emplace(id, entry{f, now_ms, lru_.begin()});
  bytes_ += size;
  sweep(now_ms);
  // Least recently used out first, never the file just stored.
  while (bytes_ > max_bytes_ && lru_.size() > 1) remove(entries_.find(lru_.back()));
  return f;
}

std::optional<cached_file> file_cache::find(const std::string& id, int64_t now_ms) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.stored_ms + ttl_ms_ <= now_ms) {
    remove(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.file;
}

void file_cache::sweep(int64_t now_ms) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (it->second.stored_ms + ttl_ms_ <= now_ms) remove(it);
    it = next;
  }
}

std::optional<int64_t> file_cache::next_expiry() const {
  std::optional<int64_t> first;
  for (const auto& [id, e] : entries_)
    if (!first || e.stored_ms + ttl_ms_ < *first) first = e.stored_ms + ttl_ms_;
  return first;
}

void file_cache::remove(std::map<std::string, entry>::iterator it) {
  std::error_code ignored;
  fs::remove(it->second.file.path, ignored);
  bytes_ -= it->second.file.size;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

}  // namespace patchbay::media
