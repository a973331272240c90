#include "media/outbound_materializer.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <system_error>
#include <thread>

#include "media/outbound_source.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"
#include "patchbay/kit/http_client.hpp"

namespace patchbay::media {
namespace fs = std::filesystem;

namespace {

using done_fn = std::function<void(materialized)>;

materialized fail(std::string reason, bool too_large = false) {
  materialized m;
  m.reason = std::move(reason);
  m.too_large = too_large;
  return m;
}

std::string random_hex() {
  std::random_device rd;
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// ".png" for a plain short extension of `name`, else "".
std::string extension_of(const std::string& name) {
  auto dot = name.rfind('.');
  if (dot == std::string::npos || name.size() - dot > 8) return {};
  for (size_t i = dot + 1; i < name.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(name[i]))) return {};
  return name.substr(dot);
}

bool write_all(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

struct outbound_materializer::state : std::enable_shared_from_this<state> {
  state(kit::io_runtime& rt, outbound_options o) : rt(rt), opt(std::move(o)) {}

  kit::io_runtime& rt;
  outbound_options opt;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  bool stopping = false;
  std::thread thread;

  void run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return stopping || !jobs.empty(); });
        if (stopping) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      job();
    }
  }

  bool post(std::function<void()> job) {
    {
      std::lock_guard lk(mu);
      if (stopping || jobs.size() >= opt.max_jobs) return false;
      jobs.push_back(std::move(job));
    }
    cv.notify_one();
    return true;
  }

  // File thread: the bytes into a fresh spool file, with their MD5.
  materialized spool(const messages::attachment_spec& spec, const std::string& name,
                     const std::string& bytes, std::string mime) {
    std::error_code ec;
    fs::create_directories(opt.spool_dir, ec);
    ::chmod(opt.spool_dir.c_str(), 0700);
    std::string path = (fs::path(opt.spool_dir) / (random_hex() + extension_of(name))).string();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::error_code why(errno, std::generic_category());
      spdlog::error("outbound attachment: cannot create a spool file in {}: {}", opt.spool_dir,
                    why.message());
      return fail("the gateway could not store it");
    }
    bool ok = write_all(fd, bytes) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
      spdlog::error("outbound attachment: cannot write a spool file in {}", opt.spool_dir);
      ::unlink(path.c_str());
      return fail("the gateway could not store it");
    }
    if (mime.empty()) mime = spec.mime_type;
    if (mime.empty()) mime = guess_mime(name);
    materialized m;
    m.file = messages::outbound_attachment{
        spec.kind, name, std::move(mime), path, common::md5_hex(bytes), bytes.size()};
    return m;
  }

  // File thread: a path under an allowed directory.
  materialized from_path(const messages::attachment_spec& spec, const std::string& name,
                         std::uint64_t limit) {
    std::string why;
    auto real = allowed_file(opt.allowed_paths, spec.path, why);
    if (!real) return fail(why);
    std::error_code ec;
    auto size = fs::file_size(*real, ec);
    if (ec) return fail("no such file");
    if (size > limit) return fail(too_large_reason(size, limit), true);
    std::ifstream in(*real, std::ios::binary);
    std::string bytes(size, '\0');
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) return fail("unreadable file");
    return spool(spec, name, bytes, {});
  }

  // File thread: inline base64.
  materialized from_base64(const messages::attachment_spec& spec, const std::string& name,
                           std::uint64_t limit) {
    // The decoded size, known before decoding (exact for padded base64 without whitespace).
    const std::string& b64 = spec.data_base64;
    std::uint64_t pad = b64.size() >= 2 ? (b64.back() == '=') + (b64[b64.size() - 2] == '=') : 0;
    std::uint64_t approx = b64.size() / 4 * 3 - std::min<std::uint64_t>(pad, b64.size() / 4 * 3);
    if (approx > limit) return fail(too_large_reason(approx, limit), true);
    auto bytes = common::base64_decode(spec.data_base64);
    if (!bytes) return fail("its data_base64 is not valid base64");
    if (bytes->size() > limit) return fail(too_large_reason(bytes->size(), limit), true);
    return spool(spec, name, *bytes, {});
  }

  // A runtime thread: one hop of a url fetch.
  void fetch(messages::attachment_spec spec, std::string name, const std::string& url,
             std::uint64_t limit, int redirects_left, done_fn done) {
    if (auto problem = url_problem(url); !problem.empty()) return done(fail(problem));
    kit::http_client_request req;
    req.url = url;
    req.ca_file = opt.ca_file;
    req.total_timeout = opt.fetch_timeout;
    req.max_body_bytes = static_cast<std::size_t>(limit);
    req.reuse_connection = false;
    kit::http_fetch(rt, std::move(req),
                    [self = shared_from_this(), spec = std::move(spec), name = std::move(name), url,
                     limit, redirects_left, done = std::move(done)](
                        std::string error, kit::http_client_response resp) mutable {
                      self->fetched(std::move(spec), std::move(name), url, limit, redirects_left,
                                    std::move(done), std::move(error), std::move(resp));
                    });
  }

  void fetched(messages::attachment_spec spec, std::string name, const std::string& url,
               std::uint64_t limit, int redirects_left, done_fn done, std::string error,
               kit::http_client_response resp) {
    if (error == "body too large") return done(fail(too_large_reason(0, limit), true));
    if (!error.empty()) {
      spdlog::warn("outbound attachment {}: fetch failed: {}", name, error);
      return done(fail("it could not be downloaded"));
    }
    if (resp.status >= 300 && resp.status < 400 && resp.status != 304) {
      std::string next = resolve_location(url, resp.header("Location"));
      if (next.empty()) return done(fail("its url redirects nowhere"));
      if (redirects_left <= 0) return done(fail("its url redirects too often"));
      return fetch(std::move(spec), std::move(name), next, limit, redirects_left - 1,
                   std::move(done));
    }
    if (resp.status < 200 || resp.status >= 300) {
      spdlog::warn("outbound attachment {}: fetch answered HTTP {}", name, resp.status);
      return done(fail("its url answered HTTP " + std::to_string(resp.status)));
    }
    std::string mime(resp.header("Content-Type"));
    mime = mime.substr(0, mime.find(';'));
    while (!mime.empty() && mime.back() == ' ') mime.pop_back();
    if (mime == "application/octet-stream") mime.clear();
    auto body = std::make_shared<std::string>(std::move(resp.body));
    bool queued = post([self = shared_from_this(), spec, name, body, mime, done]() mutable {
      done(self->spool(spec, name, *body, mime));
    });
    if (!queued) done(fail("the gateway is busy; try again later"));
  }
};

outbound_materializer::outbound_materializer(kit::io_runtime& rt, outbound_options opt)
    : st_(std::make_shared<state>(rt, std::move(opt))) {
  st_->thread = std::thread([s = st_.get()] { s->run(); });
}

outbound_materializer::~outbound_materializer() {
  {
    std::lock_guard lk(st_->mu);
    st_->stopping = true;
    st_->jobs.clear();
  }
  st_->cv.notify_all();
  st_->thread.join();
}

const outbound_options& outbound_materializer::options() const { return st_->opt; }

void outbound_materializer::materialize(const messages::attachment_spec& spec,
                                        std::uint64_t channel_max,
                                        std::function<void(materialized)> done) {
  std::uint64_t limit = st_->opt.max_bytes;
  if (channel_max != 0 && channel_max < limit) limit = channel_max;
  std::string name = display_name(spec);
  if (!spec.url.empty())
    return st_->fetch(spec, std::move(name), spec.url, limit, st_->opt.max_redirects,
                      std::move(done));
  auto shared_done = std::make_shared<done_fn>(std::move(done));
  bool queued = st_->post([s = st_.get(), spec, name, limit, shared_done] {
    (*shared_done)(spec.path.empty() ? s->from_base64(spec, name, limit)
                                     : s->from_path(spec, name, limit));
  });
  if (!queued) (*shared_done)(fail("the gateway is busy; try again later"));
}

std::size_t outbound_materializer::sweep(const std::string& dir,
                                         const std::set<std::string>& keep) {
  std::error_code ec;
  std::size_t removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string p = it->path().string();
    if (keep.count(p) != 0) continue;
    if (fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace patchbay::media
