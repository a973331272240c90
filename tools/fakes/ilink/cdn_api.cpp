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

}  // namespace

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
