// Client TLS contexts, one per trust configuration, and their session caches (private header:
// kit/src only).
//
// One SSL_CTX for the system store, one per `ca_file` path: the file is read once and read again
// only when its modification time or size changes (each lookup stats it; a replaced file gives a
// new context, connections made with the old one keep it alive). Process-wide and thread-safe.
//
// Each context keeps the client sessions it was given, one per origin ("host:port"), so that the
// next fresh connection to that origin resumes (an abbreviated handshake, no certificate chain
// verified again). TLS 1.3 servers send their tickets after the handshake; OpenSSL hands them over
// through the new-session callback while the response is read, which is where they are stored.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace patchbay::kit::detail {

class client_tls {
 public:
  explicit client_tls(std::shared_ptr<boost::asio::ssl::context> ctx, std::uint64_t id);
  ~client_tls();
  client_tls(const client_tls&) = delete;
  client_tls& operator=(const client_tls&) = delete;

  boost::asio::ssl::context& context() { return *ctx_; }
  const std::shared_ptr<boost::asio::ssl::context>& shared_context() const { return ctx_; }
  // Distinct for every context ever built in this process (a reloaded ca_file gets a new one):
  // part of a connection pool's origin key.
  std::uint64_t id() const { return id_; }

  // Before the handshake of a new connection to `origin`: offers the stored session, if any, and
  // arranges for the sessions this connection receives to be stored under `origin`. `ssl` must
  // stay owned by a holder of this client_tls (the shared_ptr) for as long as it is used.
  void prepare(SSL* ssl, const std::string& origin);

  // Sessions stored (at most max_sessions origins; the oldest origin goes first).
  std::size_t sessions() const;
  static constexpr std::size_t max_sessions = 256;

 private:
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  void store(const std::string& origin, SSL_SESSION* session);

  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::uint64_t id_;
  mutable std::mutex mu_;
  std::uint64_t tick_ = 0;
  struct entry {
    SSL_SESSION* session = nullptr;
    std::uint64_t stored = 0;
  };
  std::map<std::string, entry> sessions_;
};

// The context for `ca_file` (PEM bundle), or the system store when it is empty. Null (and `error`
// set) when the trust store cannot be loaded.
std::shared_ptr<client_tls> client_tls_for(const std::string& ca_file, std::string& error);

// How many times a ca_file was read into a new context, process-wide (tests and benches).
std::uint64_t ca_file_loads() noexcept;

}  // namespace patchbay::kit::detail
