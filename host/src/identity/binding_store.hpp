// Where identity bindings live: subject key "<platform>:<channel-id>:<sender-id>" (the channel id
// stands for the tenant) → the provider's binding id, kept in the state store's key-values
// (instance "identity:<provider>"). An interface so tests can put a store that fails under the
// identity service.
//
// Binding ids are credentials (NyxID exchanges them for the user's tokens): never log them.
// Thread safety: every method may be called from any thread; `done` runs once, on any thread
// (the state store's writer thread for the kv engine), and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace patchbay::state {
class store;
}

namespace patchbay::identity {

// "" = durable; otherwise an operator-facing error.
using store_done = std::function<void(const std::string& error)>;

// What the store keeps for one subject. `binding_id` is "" when the record is unreadable.
struct binding_record {
  std::string binding_id;
  std::int64_t bound_at_unix_ms = 0;
};

class binding_store {
 public:
  virtual ~binding_store() = default;
  // nullopt: no record. A record that cannot be read comes back with an empty binding_id.
  virtual std::optional<binding_record> get(const std::string& key) = 0;
  virtual void put(const std::string& key, const binding_record& rec, store_done done) = 0;
  virtual void remove(const std::string& key, store_done done) = 0;
};

// Over state::store key-values. A removal that fails puts the record back into the store's
// in-memory view, so what get() says matches what is durable.
std::shared_ptr<binding_store> make_kv_binding_store(state::store& store,
                                                     const std::string& provider);

// The JSON a record is stored as ({"binding_id", "bound_at"}); parse is tolerant (see get()).
std::string serialize_record(const binding_record& rec);
binding_record parse_record(const std::string& stored);

}  // namespace patchbay::identity
