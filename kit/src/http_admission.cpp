// Admission to the HTTP server: which connection gets a general place, which one only the reserve
// kept for priority paths, which is refused at once; and the budget all request bodies in flight
// share. Asio only through http_server_detail.hpp; no Beast. See http_server_detail.hpp.
#include "http_server_detail.hpp"

namespace patchbay::kit::server_detail {

bool is_priority_path(const std::vector<std::string>& priority, std::string_view path) {
  for (const auto& p : priority) {
    if (p.empty()) continue;
    if (p.back() == '/' ? path.substr(0, p.size()) == p : path == p) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The body budget

bool body_budget::take(std::size_t n) {
  std::size_t used = used_.load();
  do {
    if (n > limit_ || used > limit_ - n) return false;
  } while (!used_.compare_exchange_weak(used, used + n));
  return true;
}

void body_budget::give(std::size_t n) { used_.fetch_sub(n); }

body_reservation& body_reservation::operator=(body_reservation&& o) noexcept {
  if (this != &o) {
    release();
    budget_ = std::move(o.budget_);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

bool body_reservation::grow_to(std::size_t total) {
  if (total <= bytes_) return true;
  if (!budget_ || !budget_->take(total - bytes_)) return false;
  bytes_ = total;
  return true;
}

void body_reservation::release() {
  if (budget_ && bytes_ != 0) budget_->give(bytes_);
  bytes_ = 0;
}

// ---------------------------------------------------------------------------------------------
// Connection admission

std::shared_ptr<admission_slot> server_core::take_slot(const std::string& client) {
  const auto it = per_client.find(client);
  const std::size_t from_client = it == per_client.end() ? 0 : it->second;
  const bool client_full =
      opt.max_connections_per_client != 0 && from_client >= opt.max_connections_per_client;
  // Counted only once the slot exists: its destructor (which takes mtx) must not run here.
  if (!client_full && general_in_use < opt.max_connections) {
    auto& count = per_client[client];
    auto slot = std::make_shared<admission_slot>(shared_from_this(), client, false);
    ++count;
    ++general_in_use;
    return slot;
  }
  if (reserve_in_use < opt.reserve_connections) {
    auto slot = std::make_shared<admission_slot>(shared_from_this(), client, true);
    ++reserve_in_use;
    return slot;
  }
  return nullptr;
}

admission_slot::~admission_slot() {
  std::lock_guard lock(core_->mtx);
  if (reserve_) {
    --core_->reserve_in_use;
    return;
  }
  --core_->general_in_use;
  const auto it = core_->per_client.find(client_);
  if (it != core_->per_client.end() && --it->second == 0) core_->per_client.erase(it);
}

std::string_view too_many_clients_body() { return R"({"error":"too many clients"})"; }

const std::string& too_many_clients_response() {
  // Short enough to fit in the socket's send buffer, so writing it cannot stall.
  static const std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(too_many_clients_body().size()) +
      "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + std::string(too_many_clients_body());
  return response;
}

}  // namespace patchbay::kit::server_detail
