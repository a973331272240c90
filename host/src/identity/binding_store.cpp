#include "identity/binding_store.hpp"

#include <boost/json.hpp>

#include "state/store.hpp"

namespace patchbay::identity {
namespace json = boost::json;

std::string serialize_record(const binding_record& rec) {
  return json::serialize(
      json::object{{"binding_id", rec.binding_id}, {"bound_at", rec.bound_at_unix_ms}});
}

binding_record parse_record(const std::string& stored) {
  binding_record r;
  json::error_code ec;
  json::value v = json::parse(stored, ec);
  if (ec || !v.is_object()) return r;
  const auto& o = v.get_object();
  if (const auto* b = o.if_contains("binding_id"); b && b->is_string())
    r.binding_id = std::string(b->get_string());
  if (const auto* t = o.if_contains("bound_at"); t && t->is_int64())
    r.bound_at_unix_ms = t->get_int64();
  return r;
}

namespace {

class kv_binding_store final : public binding_store,
                               public std::enable_shared_from_this<kv_binding_store> {
 public:
  kv_binding_store(state::store& store, const std::string& provider)
      : store_(store), instance_("identity:" + provider) {}

  std::optional<binding_record> get(const std::string& key) override {
    auto v = store_.kv_get(instance_, key);
    if (!v) return std::nullopt;
    return parse_record(*v);
  }

  void put(const std::string& key, const binding_record& rec, store_done done) override {
    std::string value = serialize_record(rec);
    store_.kv_set(
        instance_, key, value,
        [self = shared_from_this(), key, value, done = std::move(done)](const std::string& err) {
          // Not durable, but the store's memory has it: forget it there too.
          if (!err.empty() && self->store_.kv_get(self->instance_, key) == value)
            self->store_.kv_delete(self->instance_, key, nullptr);
          done(err);
        });
  }

  void remove(const std::string& key, store_done done) override {
    auto old = store_.kv_get(instance_, key);
    store_.kv_delete(instance_, key,
                     [self = shared_from_this(), key, old = std::move(old),
                      done = std::move(done)](const std::string& err) {
                       // The delete is not durable, but the store's memory forgot the record:
                       // restore it unless something newer was written meanwhile.
                       if (!err.empty() && old && !self->store_.kv_get(self->instance_, key))
                         self->store_.kv_set(self->instance_, key, *old, nullptr);
                       done(err);
                     });
  }

 private:
  state::store& store_;
  const std::string instance_;
};

}  // namespace

std::shared_ptr<binding_store> make_kv_binding_store(state::store& store,
                                                     const std::string& provider) {
  return std::make_shared<kv_binding_store>(store, provider);
}

}  // namespace patchbay::identity
