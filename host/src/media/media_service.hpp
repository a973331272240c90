// The media service behind GET /v1/media/<id> (docs/architecture.md "Media"): ids minted for the
// attachments of accepted inbound messages (media_ids.hpp), the bounded on-disk cache
// (file_cache.hpp), and the lazy download through the channel's plugin (fetch_attachment) into a
// temporary file in the cache directory: concurrent requests for one id share one download; the
// download has a deadline (host.media.fetch_timeout_ms: 504, its late completion discarded) and a
// size cap (host.media.max_bytes: 413). Pure: no Asio; time, timers, the strand and the plugin
// call are injected.
//
// Thread safety: mint() and find() from any thread; get() from any thread (the work runs on the
// service's strand, `done` is called there).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "media/file_cache.hpp"
#include "media/media_ids.hpp"
#include "messages/messages.hpp"
#include "turns/router.hpp"

namespace patchbay::media {

// An answer for the HTTP layer: a file (body_file) or a short JSON error.
struct reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string body_file;
};

// How a plugin download could be started.
enum class fetch_start { started, unsupported, not_running };
// A download the service asks for: `src` into `dest_path`, failing past `max_bytes`.
struct fetch_call {
  source src;
  std::string dest_path;
  uint64_t max_bytes = 0;
};
using fetch_done = std::function<void(const messages::op_result&)>;

struct service_env {
  turns::scheduler* sched = nullptr;                // timers, on the service's strand
  std::function<void(std::function<void()>)> post;  // run on the service's strand
  std::function<int64_t()> now_unix_ms;             // wall clock
  // Starts the plugin's download; on `started`, `done` runs exactly once later, on any thread.
  std::function<fetch_start(const fetch_call&, fetch_done)> fetch;
};

// What the service counted (for /metrics), relaxed atomics.
struct media_counts {
  std::atomic<uint64_t> served{0};   // 200 answers
  std::atomic<uint64_t> fetches{0};  // downloads started
  std::atomic<uint64_t> fetch_failed{0};
  std::atomic<uint64_t> fetch_timeouts{0};
  std::atomic<uint64_t> too_large{0};
  std::atomic<uint64_t> fetched_bytes{0};
  std::atomic<uint64_t> cache_bytes{0};
  std::atomic<uint64_t> cache_files{0};
};

class service : public std::enable_shared_from_this<service> {
 public:
  service(const config::media_config& cfg, std::string secret, service_env env);

  // Opens the cache directory (see file_cache::open). "" or the error text.
  std::string open();
  // The id of attachment `index` of `turn_id` (see id_book::mint), valid for url_ttl from
  // `turn_start_unix_ms`.
  std::string mint(const std::string& turn_id, std::size_t index, source src,
                   int64_t turn_start_unix_ms);
  std::optional<media_entry> find(const std::string& id);
  // Answers GET /v1/media/<id>: the file, or 404 / 413 / 501 / 503 / 504 / 502 with a message.
  void get(const std::string& id, std::function<void(reply)> done);
  // Cancels the timers; waiting requests get 503. On the strand (posts itself).
  void shutdown();
  const media_counts& counts() const { return counts_; }
  const config::media_config& config() const { return cfg_; }

 private:
  struct download {
    uint64_t generation = 0;
    std::string temp;
    uint64_t timer = 0;
    media_entry entry;
    std::vector<std::function<void(reply)>> waiters;
  };
  void get_on_strand(const std::string& id, std::function<void(reply)> done);
  void finished(const std::string& id, uint64_t generation, const std::string& temp,
                const messages::op_result& r);
  void timed_out(const std::string& id, uint64_t generation);
  void answer_all(download& d, const reply& r);
  reply file_reply(const media_entry& e, const cached_file& f);
  void schedule_sweep();
  void update_gauges();

  config::media_config cfg_;
  service_env env_;
  id_book ids_;
  file_cache cache_;                           // strand only
  std::map<std::string, download> downloads_;  // strand only
  uint64_t generation_ = 0;
  uint64_t sweep_timer_ = 0;
  int64_t sweep_at_ = 0;
  bool stopped_ = false;
  media_counts counts_;
};

// A JSON error answer {"error": {"code", "message"}}.
reply error_reply(unsigned status, const std::string& code, const std::string& message);
// The Content-Disposition value for `name` (ASCII fallback and RFC 5987 filename*).
std::string content_disposition(const std::string& name);

}  // namespace patchbay::media
