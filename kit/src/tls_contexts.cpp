// Client TLS contexts per trust configuration and their session caches; see tls_contexts.hpp.
#include "tls_contexts.hpp"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <system_error>
#include <utility>

namespace patchbay::kit::detail {

namespace ssl = boost::asio::ssl;
using error_code = boost::system::error_code;

namespace {

std::atomic<std::uint64_t> g_ca_loads{0};
std::atomic<std::uint64_t> g_next_id{0};

// What a connection's SSL carries for the new-session callback: where to store its sessions.
// Owned by the SSL (freed with it through the ex_data free function).
struct session_slot {
  client_tls* owner = nullptr;
  std::string origin;
};

void free_slot(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
               void* /*argp*/) {
  delete static_cast<session_slot*>(ptr);
}

int slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_slot);
  return index;
}

std::shared_ptr<ssl::context> make_client_context(const std::string& ca_file, std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) {
      error = "cannot load the system trust store: " + ec.message();
      return nullptr;
    }
  } else {
    g_ca_loads.fetch_add(1, std::memory_order_relaxed);
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      error = "cannot load ca_file '" + ca_file + "': " + ec.message();
      return nullptr;
    }
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  return ctx;
}

// The identity of a file's content as far as stat tells: replaced or rewritten files differ.
struct file_version {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const file_version&) const = default;
};

bool version_of(const std::string& path, file_version& out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  out.size = st.st_size;
  out.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return true;
}

struct cache_entry {
  file_version version;
  std::shared_ptr<client_tls> tls;
  std::uint64_t used = 0;
};

constexpr std::size_t max_ca_files = 64;

}  // namespace

client_tls::client_tls(std::shared_ptr<ssl::context> ctx, std::uint64_t id)
    : ctx_(std::move(ctx)), id_(id) {
  SSL_CTX* native = ctx_->native_handle();
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(native, &client_tls::on_new_session);
}

client_tls::~client_tls() {
  for (auto& [origin, e] : sessions_) SSL_SESSION_free(e.session);
}

void client_tls::prepare(SSL* ssl, const std::string& origin) {
  {
    std::lock_guard lock(mu_);
    if (auto it = sessions_.find(origin); it != sessions_.end())
      SSL_set_session(ssl, it->second.session);
  }
  auto slot = std::make_unique<session_slot>();
  slot->owner = this;
  slot->origin = origin;
  if (SSL_set_ex_data(ssl, slot_index(), slot.get()) == 1) (void)slot.release();
}

std::size_t client_tls::sessions() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

int client_tls::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<session_slot*>(SSL_get_ex_data(ssl, slot_index()));
  if (slot == nullptr || slot->owner == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
  // A copy: OpenSSL marks the connection's own session not resumable when the connection is freed
  // without a TLS shutdown (which is how a client connection ends here).
  SSL_SESSION* copy = SSL_SESSION_dup(session);
  if (copy != nullptr) slot->owner->store(slot->origin, copy);
  return 0;  // OpenSSL keeps (and frees) its own reference
}

void client_tls::store(const std::string& origin, SSL_SESSION* session) {
  SSL_SESSION* old = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(origin);
    if (it == sessions_.end()) {
      if (sessions_.size() >= max_sessions) {
        auto oldest = sessions_.begin();
        for (auto i = sessions_.begin(); i != sessions_.end(); ++i)
          if (i->second.stored < oldest->second.stored) oldest = i;
        old = oldest->second.session;
        sessions_.erase(oldest);
      }
      it = sessions_.emplace(origin, entry{}).first;
    } else {
      old = it->second.session;
    }
    it->second.session = session;
    it->second.stored = ++tick_;
  }
  if (old != nullptr) SSL_SESSION_free(old);
}

std::shared_ptr<client_tls> client_tls_for(const std::string& ca_file, std::string& error) {
  static std::mutex mtx;
  // Intentionally leaked: must stay valid for connections still running during static destruction.
  static auto* system_store = new std::shared_ptr<client_tls>();
  static auto* by_file = new std::map<std::string, cache_entry>();
  static std::uint64_t use_tick = 0;

  if (ca_file.empty()) {
    std::lock_guard lock(mtx);
    if (!*system_store) {
      auto ctx = make_client_context({}, error);
      if (!ctx) return nullptr;
      *system_store = std::make_shared<client_tls>(std::move(ctx), ++g_next_id);
    }
    return *system_store;
  }
  file_version now;
  if (!version_of(ca_file, now)) {
    error = "cannot load ca_file '" + ca_file +
            "': " + std::error_code(errno, std::generic_category()).message();
    return nullptr;
  }
  std::lock_guard lock(mtx);  // held while loading: one read per version, even when raced
  auto it = by_file->find(ca_file);
  if (it != by_file->end() && it->second.version == now) {
    it->second.used = ++use_tick;
    return it->second.tls;
  }
  auto ctx = make_client_context(ca_file, error);
  if (!ctx) return nullptr;
  auto tls = std::make_shared<client_tls>(std::move(ctx), ++g_next_id);
  if (it == by_file->end()) {
    if (by_file->size() >= max_ca_files) {
      auto oldest = by_file->begin();
      for (auto i = by_file->begin(); i != by_file->end(); ++i)
        if (i->second.used < oldest->second.used) oldest = i;
      by_file->erase(oldest);
    }
    it = by_file->emplace(ca_file, cache_entry{}).first;
  }
  it->second = cache_entry{now, tls, ++use_tick};
  return tls;
}

std::uint64_t ca_file_loads() noexcept { return g_ca_loads.load(std::memory_order_relaxed); }

}  // namespace patchbay::kit::detail
