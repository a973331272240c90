// patchbay state store: the one interface the host keeps durable state through (instance key-values,
// inbound dedup). Engines: SQLite (embedded default). All methods are thread-safe and never block
// on disk: reads are served from memory, writes are queued to the engine's writer and complete
// through a callback on the writer thread once durable (or failed).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace patchbay::state {

// Empty string = success (durable); otherwise an operator-facing error text.
using write_done = std::function<void(const std::string& error)>;

enum class inbound_outcome { accepted, duplicate, failed };
using inbound_done = std::function<void(inbound_outcome, const std::string& error)>;

struct store_options {
  std::size_t max_queued_writes = 10'000;        // beyond this writes fail fast ("store overloaded")
  std::chrono::hours dedup_ttl{24 * 7};           // inbound event ids remembered this long
};

class store {
 public:
  virtual ~store() = default;

  virtual std::optional<std::string> kv_get(const std::string& instance, const std::string& key) = 0;
  virtual void kv_set(const std::string& instance, const std::string& key, std::string value,
                      write_done done) = 0;
  virtual void kv_delete(const std::string& instance, const std::string& key, write_done done) = 0;

  // Makes an inbound event durable, keyed by (instance, event_id). A key seen within the dedup TTL
  // completes as `duplicate` without storing anything.
  virtual void record_inbound(const std::string& instance, const std::string& event_id,
                              std::string payload_json, inbound_done done) = 0;

  // Completes queued writes, then stops the writer. Later writes fail with "store closed".
  virtual void close() = 0;
};

// Opens (creating if needed) a SQLite database file. Throws std::runtime_error naming the path.
std::unique_ptr<store> open_sqlite_store(const std::string& path, store_options options = {});

}  // namespace patchbay::state
