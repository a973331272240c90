// fake_ilink: media endpoints — getuploadurl (bot API), /c2c/upload and /c2c/download (CDN, no
// auth headers, as the real client sends none) and POST /_fake/media (stage inbound media).
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "fake_ilink.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"
#include "validate.hpp"

namespace patchbay::fakes::ilink {
using patchbay::common::from_hex;
using patchbay::common::md5_hex;

namespace json = boost::json;

namespace {

bool is_hex(std::string_view s, std::size_t size) {
  return s.size() == size && from_hex(s).has_value();
}

// Reads an integer that may come as a JSON number or a decimal string (file_item.len).
std::optional<std::int64_t> loose_int(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_string()) {
    try {
      std::size_t used = 0;
      const std::string s(v->get_string());
      const long long n = std::stoll(s, &used);
      if (used == s.size()) return n;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

constexpr std::size_t max_recorded_bytes = std::size_t{256} * 1024;

}  // namespace

std::string fake_ilink::check_media_item(const json::object& item, std::int64_t type,
                                         json::object& seen) const {
  static constexpr const char* keys[] = {"",           "",          "image_item",
                                         "voice_item", "file_item", "video_item"};
  static constexpr const char* kinds[] = {"", "", "image", "voice", "file", "video"};
  const char* key = keys[type];
  const auto* sub = item.if_contains(key);
  if (!sub || !sub->is_object())
    return std::string("item type ") + std::to_string(type) + " needs " + key;
  const auto& o = sub->get_object();
  const auto* mv = o.if_contains("media");
  if (!mv || !mv->is_object()) return std::string(key) + ".media must be an object";
  const auto& media = mv->get_object();
  std::string param, aes_key;
  std::int64_t encrypt_type = 0;
  std::string e = need_string(media, "encrypt_query_param", param);
  if (e.empty()) e = need_string(media, "aes_key", aes_key);
  if (e.empty()) e = need_int(media, "encrypt_type", encrypt_type);
  if (!e.empty()) return std::string(key) + ".media." + e;
  if (encrypt_type != 1) return std::string(key) + ".media.encrypt_type must be 1";
  // The outbound quirk (§4.3): aes_key = base64 of the key's 32 hex characters.
  const auto hex_key = patchbay::common::base64_decode(aes_key);
  const auto key_bytes = hex_key && is_hex(*hex_key, 32) ? from_hex(*hex_key) : std::nullopt;
  if (!key_bytes) return std::string(key) + ".media.aes_key must be base64 of 32 hex characters";
  const std::string* cipher = cdn_.download(param);
  if (!cipher) return std::string(key) + ".media.encrypt_query_param is not a file on the CDN";
  const auto plain = aes128_ecb_decrypt(*cipher, *key_bytes);
  if (!plain) return std::string(key) + ".media.aes_key does not decrypt the uploaded file";
  const auto cipher_size = static_cast<std::int64_t>(cipher->size());
  if (type == 2 && loose_int(o.if_contains("mid_size")) != cipher_size)
    return "image_item.mid_size must be the ciphertext size";
  if (type == 5 && loose_int(o.if_contains("video_size")) != cipher_size)
    return "video_item.video_size must be the ciphertext size";
  std::string file_name;
  if (type == 4) {
    if (e = need_string(o, "file_name", file_name); !e.empty()) return "file_item." + e;
    const auto* len = o.if_contains("len");
    if (!len || !len->is_string() || loose_int(len) != static_cast<std::int64_t>(plain->size()))
      return "file_item.len must be the plaintext size as a decimal string";
  }
  seen = {{"kind", kinds[type]},
          {"file_name", file_name},
          {"size", plain->size()},
          {"md5", md5_hex(*plain)}};
  if (plain->size() <= max_recorded_bytes)
    seen["data_base64"] = patchbay::common::base64_encode(*plain);
  return {};
}

kit::http_response fake_ilink::get_upload_url(request_ctx& c) {
  expected_upload u;
  std::string to_user;
  std::int64_t media_type = 0;
  std::string e = need_string(c.body, "filekey", u.filekey);
  if (e.empty()) e = need_int(c.body, "media_type", media_type);
  if (e.empty()) e = need_string(c.body, "to_user_id", to_user);
  if (e.empty()) e = need_int(c.body, "rawsize", u.rawsize);
  if (e.empty()) e = need_int(c.body, "filesize", u.filesize);
  if (e.empty()) e = need_string(c.body, "rawfilemd5", u.rawfilemd5);
  if (e.empty()) e = need_string(c.body, "aeskey", u.aeskey_hex);
  if (e.empty() && (media_type < 1 || media_type > 4)) e = "media_type must be 1..4";
  if (e.empty() && !is_hex(u.aeskey_hex, 32)) e = "aeskey must be 32 hex chars";
  if (e.empty() && !is_hex(u.rawfilemd5, 32)) e = "rawfilemd5 must be 32 hex chars";
  if (e.empty() && !is_hex(u.filekey, u.filekey.size())) e = "filekey must be hex";
  if (e.empty() && (u.rawsize < 0 || u.filesize != (u.rawsize + 16) / 16 * 16)) {
    e = "filesize must be the AES-128-ECB/PKCS7 size ceil((rawsize+1)/16)*16";
  }
  if (!e.empty()) return bad_request(c.log_id, e);
  for (auto& ch : u.rawfilemd5)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const std::string param = ids_.hex(48);
  const std::string url =
      base_url_ + "/c2c/upload?encrypted_query_param=" + param + "&filekey=" + u.filekey;
  cdn_.expect(param, std::move(u));
  if (!settings_.upload_full_url) return reply(c.log_id, {{"upload_param", param}});
  return reply(c.log_id, {{"upload_param", param}, {"upload_full_url", url}});
}

kit::http_response fake_ilink::cdn_request(const kit::http_request& req, std::uint64_t log_id) {
  const std::string param = query_param(req.query, "encrypted_query_param").value_or("");
  if (req.path == "/c2c/download") {
    if (req.method != "GET") return reply_text(log_id, 405, "GET only");
    const std::string* data = cdn_.download(param);
    if (!data) return reply_text(log_id, 404, "no such file");
    return reply_text(log_id, 200, *data, "application/octet-stream");
  }
  if (req.method != "POST") return reply_text(log_id, 405, "POST only");
  if (faults_.take(fault_kind::cdn_no_param, req.path, "")) {
    // 200 without x-encrypted-param ([I#172], [I#149]); nothing stored.
    return reply_text(log_id, 200, "");
  }
  auto res =
      cdn_.upload(param, query_param(req.query, "filekey").value_or(""), req.body, ids_.hex(64));
  kit::http_response r = reply_text(log_id, res.status, res.status == 200 ? "" : res.error);
  r.headers.emplace_back(res.status == 200 ? "x-encrypted-param" : "x-error-message",
                         res.status == 200 ? res.download_param : res.error);
  return r;
}

kit::http_response fake_ilink::stage_media(const json::object& body) {
  std::string data_b64, key_hex;
  std::string e = need_string(body, "data_base64", data_b64, true);
  if (e.empty()) e = opt_string(body, "aeskey", key_hex);
  const auto plain = patchbay::common::base64_decode(data_b64);
  if (e.empty() && !plain) e = "data_base64 is not base64";
  if (key_hex.empty()) key_hex = ids_.hex(32);
  if (e.empty() && !is_hex(key_hex, 32)) e = "aeskey must be 32 hex chars";
  kit::http_response r;
  if (!e.empty()) {
    r.status = 400;
    r.body = json::serialize(json::object{{"error", e}});
    return r;
  }
  const std::string key = *from_hex(key_hex);
  std::string cipher = aes128_ecb_encrypt(*plain, key);
  const std::string param = ids_.hex(64);
  const std::size_t size = cipher.size();
  cdn_.put(param, std::move(cipher));
  r.body = json::serialize(json::object{
      {"encrypt_query_param", param},
      {"full_url", base_url_ + "/c2c/download?encrypted_query_param=" + param},
      {"aeskey", key_hex},
      {"aes_key_raw_base64",
       patchbay::common::base64_encode(key)},  // decodes to 16 raw bytes (images)
      {"aes_key_hex_base64",
       patchbay::common::base64_encode(key_hex)},  // decodes to 32 hex chars (file/voice/video)
      {"ciphertext_size", size},
      {"md5", md5_hex(*plain)},
  });
  return r;
}

}  // namespace patchbay::fakes::ilink
