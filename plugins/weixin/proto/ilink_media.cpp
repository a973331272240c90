#include "ilink_media.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "ilink_json.hpp"
#include "media_crypto.hpp"
#include "patchbay/common/digest.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::weixin {
namespace json = boost::json;
using common::json_util::int_at;
using common::json_util::object_at;
using common::json_util::string_at;

namespace {

constexpr std::string_view id_prefix = "wx1:";

char kind_letter(media_kind k) {
  switch (k) {
    case media_kind::image:
      return 'i';
    case media_kind::video:
      return 'v';
    case media_kind::voice:
      return 'a';
    case media_kind::file:
      break;
  }
  return 'f';
}

std::optional<media_kind> kind_of_letter(char c) {
  switch (c) {
    case 'i':
      return media_kind::image;
    case 'v':
      return media_kind::video;
    case 'a':
      return media_kind::voice;
    case 'f':
      return media_kind::file;
    default:
      return std::nullopt;
  }
}

// Takes the text up to the next ':' off the front of `s`; nullopt when there is none.
std::optional<std::string_view> field(std::string_view& s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view f = s.substr(0, colon);
  s.remove_prefix(colon + 1);
  return f;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// voice_item.encode_type → MIME (§2.3: 1 pcm, 2 adpcm, 3 feature, 4 speex, 5 amr, 6 silk, 7 mp3,
// 8 ogg-speex); absent or unknown → SILK, what WeChat voice messages are.
std::pair<std::string, std::string> voice_mime_ext(int64_t encode_type) {
  switch (encode_type) {
    case 1:
      return {"audio/L16", "pcm"};
    case 4:
      return {"audio/speex", "spx"};
    case 5:
      return {"audio/amr", "amr"};
    case 7:
      return {"audio/mpeg", "mp3"};
    case 8:
      return {"audio/ogg", "ogg"};
    default:
      return {"audio/silk", "silk"};
  }
}

// The media handle of an item (its `media` object), or an empty id when there is nothing to
// download (no media object, or neither full_url nor encrypt_query_param).
std::string media_id(media_kind kind, const json::object* media, std::string_view image_hex) {
  if (media == nullptr) return {};
  media_ref r;
  r.kind = kind;
  r.full_url = std::string(string_at(*media, "full_url"));
  if (r.full_url.empty()) r.param = std::string(string_at(*media, "encrypt_query_param"));
  if (r.full_url.empty() && r.param.empty()) return {};
  r.key = inbound_media_key(string_at(*media, "aes_key"), image_hex).value_or("");
  return encode_media_id(r);
}

}  // namespace

std::string encode_media_id(const media_ref& r) {
  std::string out(id_prefix);
  out += kind_letter(r.kind);
  out += ':';
  if (r.key.size() == aes_key_size) out += common::hex(r.key);
  out += r.full_url.empty() ? ":p:" : ":u:";
  out += r.full_url.empty() ? r.param : r.full_url;
  return out;
}

std::optional<media_ref> decode_media_id(std::string_view id) {
  if (id.substr(0, id_prefix.size()) != id_prefix) return std::nullopt;
  id.remove_prefix(id_prefix.size());
  const auto k = field(id);
  const auto key_hex = field(id);
  const auto where = field(id);
  if (!k || !key_hex || !where || k->size() != 1 || id.empty()) return std::nullopt;
  media_ref r;
  const auto kind = kind_of_letter((*k)[0]);
  if (!kind) return std::nullopt;
  r.kind = *kind;
  if (!key_hex->empty()) {
    auto key = key_hex->size() == 2 * aes_key_size ? common::from_hex(*key_hex) : std::nullopt;
    if (!key) return std::nullopt;
    r.key = std::move(*key);
  }
  if (*where == "p") {
    r.param = std::string(id);
  } else if (*where == "u") {
    r.full_url = std::string(id);
  } else {
    return std::nullopt;
  }
  return r;
}

std::string media_download_url(const media_ref& r, std::string_view cdn_base) {
  if (!r.full_url.empty()) return r.full_url;
  std::string base(cdn_base);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/download?encrypted_query_param=" + url_encode(r.param);
}

std::vector<inbound_attachment> read_attachments(const json::object& msg, std::string& voice_text) {
  std::vector<inbound_attachment> out;
  const json::value* items = msg.if_contains("item_list");
  if (items == nullptr || !items->is_array()) return out;
  for (const auto& it : items->get_array()) {
    if (!it.is_object()) continue;
    const auto& item = it.get_object();
    const int64_t type = int_at(item, "type").value_or(0);
    inbound_attachment a;
    switch (type) {
      case 1:  // text: the message's text, not an attachment
        continue;
      case 2: {
        const json::object* img = object_at(item, "image_item");
        a.kind = "image";
        a.id =
            img ? media_id(media_kind::image, object_at(*img, "media"), string_at(*img, "aeskey"))
                : std::string();
        break;
      }
      case 3: {
        const json::object* v = object_at(item, "voice_item");
        const auto [mime, ext] = voice_mime_ext(v ? int_at(*v, "encode_type").value_or(6) : 6);
        a.kind = "file";  // voice as a file with its audio MIME type; no transcoding
        a.mime_type = mime;
        a.name = "voice." + ext;
        a.id = v ? media_id(media_kind::voice, object_at(*v, "media"), {}) : std::string();
        if (v && voice_text.empty()) voice_text = std::string(string_at(*v, "text"));
        break;
      }
      case 4: {
        const json::object* f = object_at(item, "file_item");
        a.kind = "file";
        if (f) {
          a.name = std::string(string_at(*f, "file_name"));
          a.size = static_cast<std::uint64_t>(std::max<int64_t>(0, int_at(*f, "len").value_or(0)));
          a.id = media_id(media_kind::file, object_at(*f, "media"), {});
        }
        a.mime_type = mime_from_name(a.name);
        if (a.mime_type.empty()) a.mime_type = "application/octet-stream";
        break;
      }
      case 5: {
        const json::object* v = object_at(item, "video_item");
        a.kind = "video";
        a.name = "video.mp4";
        a.mime_type = "video/mp4";
        a.id = v ? media_id(media_kind::video, object_at(*v, "media"), {}) : std::string();
        break;
      }
      default:
        // An item kind without a file we know of is no attachment (nothing to download; it stays
        // in the raw JSON): a message of nothing else has empty text and no attachment, which the
        // host answers "I can't read this kind of message yet." instead of handing the agent a
        // file it can never fetch.
        continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string mime_from_name(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 24> table{{
      {"pdf", "application/pdf"},
      {"txt", "text/plain"},
      {"md", "text/markdown"},
      {"csv", "text/csv"},
      {"json", "application/json"},
      {"html", "text/html"},
      {"xml", "application/xml"},
      {"zip", "application/zip"},
      {"doc", "application/msword"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"xls", "application/vnd.ms-excel"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"ppt", "application/vnd.ms-powerpoint"},
      {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"mp4", "video/mp4"},
      {"mov", "video/quicktime"},
      {"mp3", "audio/mpeg"},
      {"wav", "audio/wav"},
      {"silk", "audio/silk"},
  }};
  const auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == file_name.size()) return {};
  const std::string ext = lower(file_name.substr(dot + 1));
  for (const auto& [e, mime] : table)
    if (e == ext) return std::string(mime);
  return {};
}

std::string sniff_image_mime(std::string_view h) {
  auto starts = [&](std::string_view magic) { return h.substr(0, magic.size()) == magic; };
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts("\x89PNG\r\n\x1A\n")) return "image/png";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("RIFF") && h.size() >= 12 && h.substr(8, 4) == "WEBP") return "image/webp";
  if (starts("BM")) return "image/bmp";
  return {};
}

media_kind upload_kind(std::string_view kind, std::string_view mime_type) {
  const std::string mime = lower(mime_type);
  if (kind == "image" || mime.rfind("image/", 0) == 0) return media_kind::image;
  if (kind == "video" || mime.rfind("video/", 0) == 0) return media_kind::video;
  if (mime == "audio/silk") return media_kind::voice;
  return media_kind::file;
}

std::string getuploadurl_body(const client_identity& id, const upload_request& u) {
  return json::serialize(json::object{{"filekey", u.filekey},
                                      {"media_type", static_cast<int>(u.kind)},
                                      {"to_user_id", u.to_user},
                                      {"rawsize", u.rawsize},
                                      {"rawfilemd5", u.rawfilemd5},
                                      {"filesize", cipher_size(u.rawsize)},
                                      {"no_need_thumb", true},
                                      {"aeskey", u.aeskey_hex},
                                      {"base_info", base_info_json(id)}});
}

upload_url parse_upload_url(const std::string& transport_error, unsigned http_status,
                            std::string_view body, std::string_view cdn_base,
                            std::string_view filekey) {
  upload_url out;
  generic_response status;
  if (auto f = classify_rest("getuploadurl", transport_error, http_status, body, status)) {
    out.error = std::move(*f);
    return out;
  }
  std::string error;
  const auto parsed = common::json_util::parse(body, &error);
  const json::object* o = parsed && parsed->is_object() ? &parsed->get_object() : nullptr;
  const std::string full = o ? std::string(string_at(*o, "upload_full_url")) : std::string();
  const std::string param = o ? std::string(string_at(*o, "upload_param")) : std::string();
  if (!full.empty()) {
    out.url = full;
  } else if (!param.empty()) {
    std::string base(cdn_base);
    while (!base.empty() && base.back() == '/') base.pop_back();
    out.url = base + "/upload?encrypted_query_param=" + url_encode(param) +
              "&filekey=" + url_encode(filekey);
  } else {
    out.error = {PB_ERR_RETRYABLE, "getuploadurl: no upload_full_url or upload_param in the answer",
                 0};
  }
  return out;
}

cdn_upload_result classify_cdn_upload(const std::string& transport_error, unsigned http_status,
                                      std::string_view x_encrypted_param,
                                      std::string_view x_error_message, std::string_view body) {
  using what = cdn_upload_result::what;
  if (!transport_error.empty()) return {what::retry, {}, "CDN upload: " + transport_error};
  const std::string why = !x_error_message.empty() ? common::json_util::clip(x_error_message)
                                                   : common::json_util::clip(body);
  const std::string status = "CDN upload: HTTP " + std::to_string(http_status);
  if (http_status >= 400 && http_status < 500)
    return {what::final, {}, status + (why.empty() ? "" : ": " + why)};
  if (http_status != 200) return {what::retry, {}, status + (why.empty() ? "" : ": " + why)};
  if (x_encrypted_param.empty())
    return {what::retry, {}, "CDN upload: HTTP 200 without x-encrypted-param"};
  return {what::done, std::string(x_encrypted_param), {}};
}

std::string sendmessage_media_body(const client_identity& id, std::string_view to_user,
                                   const uploaded_media& m, std::string_view context_token,
                                   std::string_view client_id) {
  json::object media{{"encrypt_query_param", m.download_param},
                     {"aes_key", outbound_aes_key_field(m.key)},
                     {"encrypt_type", 1}};
  const std::uint64_t cipher = cipher_size(m.rawsize);
  json::object item;
  switch (m.kind) {
    case media_kind::image:
      item = {{"type", 2}, {"image_item", {{"media", std::move(media)}, {"mid_size", cipher}}}};
      break;
    case media_kind::video:
      item = {{"type", 5}, {"video_item", {{"media", std::move(media)}, {"video_size", cipher}}}};
      break;
    case media_kind::voice:
      item = {{"type", 3}, {"voice_item", {{"media", std::move(media)}, {"encode_type", 6}}}};
      break;
    case media_kind::file:
      item = {{"type", 4},
              {"file_item",
               {{"media", std::move(media)},
                {"file_name", m.file_name},
                {"len", std::to_string(m.rawsize)}}}};
      break;
  }
  json::object msg = sendmessage_msg(to_user, context_token, client_id);
  msg["item_list"] = json::array{std::move(item)};
  return json::serialize(json::object{{"msg", std::move(msg)}, {"base_info", base_info_json(id)}});
}

std::string make_stable_media_client_id(std::string_view turn_id, std::string_view md5_hex,
                                        std::string_view name) {
  std::string seed("media\n");
  seed.append(md5_hex).append("\n").append(name);
  return make_stable_client_id(turn_id, seed);
}

}  // namespace patchbay::weixin
