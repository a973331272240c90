// The on-disk cache of fetched attachments (host.media.cache_dir): one file per media id, kept
// for `ttl` after it was stored and bounded by bytes, least recently used out first. The newest
// file always stays (so one larger than the whole bound is still served once); the bound applies
// to the others. Expired files go on every insert and on sweep(); the owner schedules sweep() at
// next_expiry() while the cache holds files, so nothing polls.
//
// Thread safety: none; the media service calls it on its strand only.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>

namespace patchbay::media {

struct cached_file {
  std::string path, mime_type;
  uint64_t size = 0;
};

class file_cache {
 public:
  file_cache(std::string dir, uint64_t max_bytes, int64_t ttl_ms);

  // Creates the directory and removes what an earlier run left in it (its `*.media` and `*.part`
  // files; nothing else). "" on success, else the error text.
  std::string open();
  const std::string& dir() const { return dir_; }
  // A fresh temporary path in the cache directory for a download of `id`.
  std::string temp_path(const std::string& id);
  // Moves the downloaded `temp` into the cache as `id` and evicts what no longer fits. nullopt
  // (and `error`) when the rename failed; the temp file is removed then.
  std::optional<cached_file> insert(const std::string& id, const std::string& temp, uint64_t size,
                                    std::string mime_type, int64_t now_ms, std::string* error);
  // The file of `id` (marked as just used), or nullopt when absent or expired.
  std::optional<cached_file> find(const std::string& id, int64_t now_ms);
  // Removes expired files.
  void sweep(int64_t now_ms);
  // When the oldest file expires; nullopt when the cache is empty.
  std::optional<int64_t> next_expiry() const;
  uint64_t bytes() const { return bytes_; }
  std::size_t files() const { return entries_.size(); }

 private:
  struct entry {
    cached_file file;
    int64_t stored_ms = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recent)
  };
  void remove(std::map<std::string, entry>::iterator it);

  std::string dir_;
  uint64_t max_bytes_;
  int64_t ttl_ms_;
  uint64_t bytes_ = 0;
  uint64_t temp_seq_ = 0;
  std::map<std::string, entry> entries_;
  std::list<std::string> lru_;
};

}  // namespace patchbay::media
