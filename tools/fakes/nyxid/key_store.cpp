#include "key_store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "nyxid/proto/jws.hpp"
#include "nyxid/proto/jwt.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace nyx = patchbay::plugins::nyxid;

key_store::key_store(std::string kid_prefix, std::string_view alg)
    : prefix_(std::move(kid_prefix)) {
  keys_.push_back(make_signing_key(prefix_ + "-" + std::to_string(++serial_), alg));
}

std::string key_store::rotate(bool keep_old, std::string_view alg) {
  if (!keep_old)
    for (auto& k : keys_) k.published = false;
  keys_.push_back(make_signing_key(prefix_ + "-" + std::to_string(++serial_), alg));
  active_ = keys_.size() - 1;
  return keys_.back().kid;
}

const signing_key& key_store::unpublished() {
  if (!unpublished_) {
    unpublished_ = make_signing_key(prefix_ + "-unpublished", "RS256");
    unpublished_->published = false;
  }
  return *unpublished_;
}

std::string key_store::jwks_json() const {
  json::array a;
  // Newest first, as a rotating issuer typically lists them.
  for (auto it = keys_.rbegin(); it != keys_.rend(); ++it)
    if (it->published) a.push_back(public_jwk(*it));
  return json::serialize(json::object{{"keys", std::move(a)}});
}

std::vector<std::string> key_store::published_kids() const {
  std::vector<std::string> out;
  for (const auto& k : keys_)
    if (k.published) out.push_back(k.kid);
  return out;
}

key_store::verified key_store::verify(std::string_view token) const {
  verified v;
  auto parsed = nyx::parse_jwt(token);
  if (!parsed) return v;
  const signing_key* key = nullptr;
  for (const auto& k : keys_)
    if (k.kid == parsed->kid) key = &k;
  if (!key) {
    v.status = verify_status::unknown_kid;
    return v;
  }
  nyx::public_key pk{key->kid, key->alg == "ES256" ? nyx::key_type::ec_p256 : nyx::key_type::rsa,
                     key->alg, key->pkey};
  if (nyx::verify_signature(*parsed, pk) != nyx::sig_result::ok) {
    v.status = verify_status::bad_signature;
    return v;
  }
  v.status = verify_status::ok;
  v.claims = std::move(parsed->claims);
  return v;
}

}  // namespace patchbay::fakes::nyxid
