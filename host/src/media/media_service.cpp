#include "media/media_service.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <system_error>

#include "patchbay/common/url_encode.hpp"

namespace patchbay::media {
namespace fs = std::filesystem;
namespace {

void remove_file(const std::string& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

// A MIME type safe to send as a header value, else application/octet-stream.
std::string safe_mime(const std::string& a, const std::string& b) {
  for (const std::string* m : {&a, &b}) {
    if (m->empty() || m->size() > 200) continue;
    bool ok = m->find('/') != std::string::npos;
    for (char c : *m)
      if (!(std::isalnum(static_cast<unsigned char>(c)) ||
            std::string_view("!#$&^_.+-/;= \"").find(c) != std::string_view::npos))
        ok = false;
    if (ok) return *m;
  }
  return "application/octet-stream";
}

}  // namespace

reply error_reply(unsigned status, const std::string& code, const std::string& message) {
  reply r;
  r.status = status;
  r.body = boost::json::serialize(
      boost::json::object{{"error", boost::json::object{{"code", code}, {"message", message}}}});
  return r;
}

std::string content_disposition(const std::string& name) {
  std::string ascii;
  for (unsigned char c : name)
    ascii += (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '_' : static_cast<char>(c);
  if (ascii.empty()) ascii = "attachment";
  std::string v = "attachment; filename=\"" + ascii + "\"";
  if (!name.empty() && ascii != name) v += "; filename*=UTF-8''" + common::url_encode(name);
  return v;
}

service::service(const config::media_config& cfg, std::string secret, service_env env)
    : cfg_(cfg),
      env_(std::move(env)),
      ids_(std::move(secret)),
      cache_(cfg.cache_dir, cfg.cache_max_bytes,
             std::chrono::duration_cast<std::chrono::milliseconds>(cfg.cache_ttl).count()) {}

std::string service::open() { return cache_.open(); }

std::string service::mint(const std::string& turn_id, std::size_t index, source src,
                          int64_t turn_start_unix_ms) {
  const int64_t ttl_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.url_ttl).count();
  return ids_.mint(turn_id, index, std::move(src), turn_start_unix_ms + ttl_ms, env_.now_unix_ms());
}

std::optional<media_entry> service::find(const std::string& id) {
  return ids_.find(id, env_.now_unix_ms());
}

void service::get(const std::string& id, std::function<void(reply)> done) {
  env_.post([self = shared_from_this(), id, done = std::move(done)]() mutable {
    self->get_on_strand(id, std::move(done));
  });
}

void service::get_on_strand(const std::string& id, std::function<void(reply)> done) {
  if (stopped_) return done(error_reply(503, "stopping", "the host is stopping"));
  const int64_t now = env_.now_unix_ms();
  auto entry = ids_.find(id, now);
  if (!entry) return done(error_reply(404, "not_found", "unknown or expired media id"));
  if (auto f = cache_.find(id, now)) {
    update_gauges();
    return done(file_reply(*entry, *f));
  }
  const auto& att = entry->src.attachment;
  if (att.size > cfg_.max_bytes) {
    counts_.too_large.fetch_add(1, std::memory_order_relaxed);
    return done(error_reply(413, "too_large",
                            "the attachment is " + std::to_string(att.size) +
                                " bytes, over host.media.max_bytes (" +
                                std::to_string(cfg_.max_bytes) + ")"));
  }
  if (auto it = downloads_.find(id); it != downloads_.end()) {
    it->second.waiters.push_back(std::move(done));  // one download for every request of `id`
    return;
  }
  const uint64_t gen = ++generation_;
  const std::string temp = cache_.temp_path(id);
  auto started = env_.fetch(
      fetch_call{entry->src, temp, cfg_.max_bytes},
      [w = weak_from_this(), post = env_.post, id, gen, temp](const messages::op_result& r) {
        post([w, id, gen, temp, r] {
          if (auto self = w.lock())
            self->finished(id, gen, temp, r);
          else
            remove_file(temp);
        });
      });
  if (started == fetch_start::unsupported) {
    remove_file(temp);
    return done(error_reply(501, "unsupported",
                            "channel " + entry->src.channel_id +
                                " cannot fetch attachments (its plugin needs plugin ABI 1.3 "
                                "and fetch_attachment)"));
  }
  if (started == fetch_start::not_running) {
    remove_file(temp);
    reply r = error_reply(503, "channel_not_running",
                          "channel " + entry->src.channel_id + " is not running");
    r.headers.emplace_back("Retry-After", "5");
    return done(std::move(r));
  }
  counts_.fetches.fetch_add(1, std::memory_order_relaxed);
  download d;
  d.generation = gen;
  d.temp = temp;
  d.entry = std::move(*entry);
  d.waiters.push_back(std::move(done));
  d.timer = env_.sched->schedule(cfg_.fetch_timeout, [w = weak_from_this(), id, gen] {
    if (auto self = w.lock()) self->timed_out(id, gen);
  });
  downloads_.emplace(id, std::move(d));
}

void service::finished(const std::string& id, uint64_t generation, const std::string& temp,
                       const messages::op_result& r) {
  auto it = downloads_.find(id);
  if (it == downloads_.end() || it->second.generation != generation) {
    // Late (past the deadline) or after shutdown: nobody waits for it any more.
    remove_file(temp);
    return;
  }
  download d = std::move(it->second);
  downloads_.erase(it);
  env_.sched->cancel(d.timer);
  const auto& name = d.entry.src.attachment.name;
  if (!r.ok()) {
    remove_file(d.temp);
    counts_.fetch_failed.fetch_add(1, std::memory_order_relaxed);
    reply e;
    if (r.code == PB_ERR_INVALID_INPUT) {
      counts_.too_large.fetch_add(1, std::memory_order_relaxed);
      e = error_reply(413, "too_large",
                      "the attachment is over host.media.max_bytes (" +
                          std::to_string(cfg_.max_bytes) + "): " + r.message);
    } else if (r.code == PB_ERR_NOT_FOUND) {
      e = error_reply(404, "not_found", "the platform no longer has this file: " + r.message);
    } else if (r.code == PB_ERR_UNSUPPORTED) {
      e = error_reply(501, "unsupported", "the channel cannot fetch this attachment: " + r.message);
    } else {
      e = error_reply(502, "fetch_failed",
                      std::string("fetching ") + (name.empty() ? "the attachment" : name) +
                          " failed (" + messages::error_class_name(r.code) + "): " + r.message);
    }
    return answer_all(d, e);
  }
  std::error_code ec;
  const uint64_t size = fs::file_size(d.temp, ec);
  if (ec) {
    counts_.fetch_failed.fetch_add(1, std::memory_order_relaxed);
    remove_file(d.temp);
    return answer_all(
        d, error_reply(502, "fetch_failed", "the plugin reported success but wrote no file"));
  }
  if (size > cfg_.max_bytes) {
    counts_.too_large.fetch_add(1, std::memory_order_relaxed);
    remove_file(d.temp);
    return answer_all(d, error_reply(413, "too_large",
                                     "the attachment is over host.media.max_bytes (" +
                                         std::to_string(cfg_.max_bytes) + ")"));
  }
  counts_.fetched_bytes.fetch_add(size, std::memory_order_relaxed);
  std::string err;
  auto f = cache_.insert(id, d.temp, size, safe_mime(r.mime_type, d.entry.src.attachment.mime_type),
                         env_.now_unix_ms(), &err);
  update_gauges();
  schedule_sweep();
  if (!f) return answer_all(d, error_reply(500, "internal", err));
  answer_all(d, file_reply(d.entry, *f));
}

void service::timed_out(const std::string& id, uint64_t generation) {
  auto it = downloads_.find(id);
  if (it == downloads_.end() || it->second.generation != generation) return;
  download d = std::move(it->second);
  downloads_.erase(it);
  counts_.fetch_timeouts.fetch_add(1, std::memory_order_relaxed);
  // The plugin still owns the download: its late completion finds no download and removes the
  // temporary file then (finished()).
  answer_all(d, error_reply(504, "timeout",
                            "the platform did not deliver the file within " +
                                std::to_string(cfg_.fetch_timeout.count()) + " ms"));
}

void service::answer_all(download& d, const reply& r) {
  if (r.status == 200 && d.waiters.size() > 1)
    counts_.served.fetch_add(d.waiters.size() - 1, std::memory_order_relaxed);
  auto waiters = std::move(d.waiters);
  for (auto& w : waiters) w(r);
}

reply service::file_reply(const media_entry& e, const cached_file& f) {
  reply r;
  r.status = 200;
  r.content_type = f.mime_type;
  r.body_file = f.path;
  r.headers.emplace_back(
      "Content-Disposition",
      content_disposition(e.src.attachment.name.empty() ? e.id : e.src.attachment.name));
  r.headers.emplace_back("Cache-Control", "private, no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  counts_.served.fetch_add(1, std::memory_order_relaxed);
  return r;
}

void service::schedule_sweep() {
  auto next = cache_.next_expiry();
  if (!next) {
    if (sweep_timer_ != 0) env_.sched->cancel(sweep_timer_);
    sweep_timer_ = 0;
    return;
  }
  if (sweep_timer_ != 0 && sweep_at_ == *next) return;
  if (sweep_timer_ != 0) env_.sched->cancel(sweep_timer_);
  sweep_at_ = *next;
  const int64_t delay = std::max<int64_t>(0, *next - env_.now_unix_ms());
  sweep_timer_ = env_.sched->schedule(std::chrono::milliseconds(delay), [w = weak_from_this()] {
    auto self = w.lock();
    if (!self || self->stopped_) return;
    self->sweep_timer_ = 0;
    self->cache_.sweep(self->env_.now_unix_ms());
    self->update_gauges();
    self->schedule_sweep();
  });
}

void service::update_gauges() {
  counts_.cache_bytes.store(cache_.bytes(), std::memory_order_relaxed);
  counts_.cache_files.store(cache_.files(), std::memory_order_relaxed);
}

void service::shutdown() {
  env_.post([self = shared_from_this()] {
    self->stopped_ = true;
    if (self->sweep_timer_ != 0) self->env_.sched->cancel(self->sweep_timer_);
    self->sweep_timer_ = 0;
    auto downloads = std::move(self->downloads_);
    self->downloads_.clear();
    for (auto& [id, d] : downloads) {
      self->env_.sched->cancel(d.timer);
      self->answer_all(d, error_reply(503, "stopping", "the host is stopping"));
    }
  });
}

}  // namespace patchbay::media
