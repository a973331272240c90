// The PostgreSQL engine of the state store (store.hpp): `host.state: {engine: postgres, url: ...}`.
// Same contract as the SQLite engine; see pg_store.cpp for how it keeps it over a network.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "state/store.hpp"

namespace patchbay::state {

struct postgres_options {
  std::string url;  // libpq URL or key=value string; a secret (it may carry the password)
  std::chrono::seconds connect_timeout{5};
  std::chrono::milliseconds statement_timeout{10'000};  // also the lock timeout
  std::chrono::milliseconds tcp_user_timeout{10'000};
  // Reconnect delays (jittered, doubling up to the cap) after the database went away.
  std::chrono::milliseconds reconnect_initial{200};
  std::chrono::milliseconds reconnect_cap{5'000};
};

// Connects, migrates the schema and loads the key-values and the outbound queue. Throws
// std::runtime_error naming the server as host:port/dbname (never the URL) when it cannot, after
// at most the connect timeout per attempt.
std::unique_ptr<store> open_postgres_store(const postgres_options& pg, store_options options = {});

}  // namespace patchbay::state
