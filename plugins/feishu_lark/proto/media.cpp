#include "feishu_lark/proto/media.hpp"

#include <array>
#include <boost/json.hpp>

#include "feishu_lark/proto/content.hpp"
#include "patchbay/common/digest.hpp"
#include "patchbay/common/json_util.hpp"
#include "patchbay/common/url_encode.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string extension(std::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= name.size()) return {};
  return lower(name.substr(dot + 1));
}

struct ext_mime {
  std::string_view ext, mime;
};
constexpr std::array<ext_mime, 30> known_types{{
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"bmp", "image/bmp"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ico", "image/x-icon"},
    {"heic", "image/heic"},
    {"svg", "image/svg+xml"},
    {"pdf", "application/pdf"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"txt", "text/plain"},
    {"md", "text/markdown"},
    {"csv", "text/csv"},
    {"json", "application/json"},
    {"zip", "application/zip"},
    {"mp4", "video/mp4"},
    {"mov", "video/quicktime"},
    {"opus", "audio/opus"},
    {"ogg", "audio/ogg"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"m4a", "audio/mp4"},
}};

std::string ext_of_mime(std::string_view mime) {
  for (const auto& t : known_types)
    if (t.mime == mime) return std::string(t.ext);
  return {};
}

// The image endpoint takes JPEG, PNG, WEBP, GIF, TIFF, BMP and ICO.
bool image_endpoint_takes(std::string_view mime) {
  for (std::string_view m : {"image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff",
                             "image/bmp", "image/x-icon", "image/vnd.microsoft.icon"})
    if (mime == m) return true;
  return false;
}

std::string file_type_of(std::string_view mime, std::string_view ext) {
  if (mime == "application/pdf" || ext == "pdf") return "pdf";
  if (mime == "application/msword" || ext == "doc" || ext == "docx") return "doc";
  if (mime == "application/vnd.ms-excel" || ext == "xls" || ext == "xlsx") return "xls";
  if (mime == "application/vnd.ms-powerpoint" || ext == "ppt" || ext == "pptx") return "ppt";
  if (mime == "video/mp4" || ext == "mp4") return "mp4";
  if (mime == "audio/opus" || ext == "opus") return "opus";
  return "stream";
}

api_error invalid(std::string text) {
  api_error e;
  e.code = PB_ERR_INVALID_INPUT;
  e.kind = error_kind::invalid_input;
  e.message = std::move(text);
  return e;
}

std::string mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

void add_key(std::vector<inbound_attachment>& out, std::string kind, std::string_view type,
             std::string_view key, std::string_view name) {
  if (key.empty()) return;
  inbound_attachment a;
  a.kind = std::move(kind);
  a.id = resource_id(type, key);
  a.name = std::string(name);
  a.mime_type = mime_from_name(name);
  out.push_back(std::move(a));
}

void post_attachments(const json::object& root, std::vector<inbound_attachment>& out) {
  const json::object* body = post_body(root);
  const json::value* content = body ? body->if_contains("content") : nullptr;
  if (!content || !content->is_array()) return;
  for (const json::value& para : content->get_array()) {
    if (!para.is_array()) continue;
    for (const json::value& el : para.get_array()) {
      const json::object* e = el.if_object();
      if (!e) continue;
      const std::string_view tag = json_util::string_at(*e, "tag");
      if (tag == "img")
        add_key(out, "image", "image", json_util::string_at(*e, "image_key"), {});
      else if (tag == "media")
        add_key(out, "video", "file", json_util::string_at(*e, "file_key"),
                json_util::string_at(*e, "file_name"));
    }
  }
}

}  // namespace

std::vector<inbound_attachment> attachments_of(std::string_view message_type,
                                               std::string_view content_json) {
  std::vector<inbound_attachment> out;
  const auto v = json_util::parse(content_json);
  const json::object* o = v ? v->if_object() : nullptr;
  if (!o) return out;
  const std::string_view file_key = json_util::string_at(*o, "file_key");
  const std::string_view name = json_util::string_at(*o, "file_name");
  if (message_type == "image") {
    add_key(out, "image", "image", json_util::string_at(*o, "image_key"), {});
  } else if (message_type == "file") {
    add_key(out, "file", "file", file_key, name);
  } else if (message_type == "audio") {
    add_key(out, "audio", "file", file_key, name);
    if (!out.empty() && out.back().mime_type.empty()) out.back().mime_type = "audio/opus";
  } else if (message_type == "media") {
    add_key(out, "video", "file", file_key, name);
    if (!out.empty() && out.back().mime_type.empty()) out.back().mime_type = "video/mp4";
  } else if (message_type == "sticker") {
    add_key(out, "sticker", "file", file_key, {});
  } else if (message_type == "post") {
    post_attachments(*o, out);
  }
  return out;
}

std::string resource_id(std::string_view type, std::string_view key) {
  return std::string(type) + ":" + std::string(key);
}

std::optional<resource_ref> parse_resource_id(std::string_view id) {
  const size_t colon = id.find(':');
  if (colon == std::string_view::npos || colon + 1 >= id.size()) return std::nullopt;
  resource_ref r{std::string(id.substr(0, colon)), std::string(id.substr(colon + 1))};
  if (r.type != "image" && r.type != "file") return std::nullopt;
  return r;
}

api_request resource_request(std::string_view message_id, const resource_ref& r) {
  api_request req;
  req.method = "GET";
  req.target = std::string(api_path::messages) + "/" + common::url_encode(message_id) +
               "/resources/" + common::url_encode(r.key) + "?type=" + common::url_encode(r.type);
  return req;
}

std::string mime_from_name(std::string_view name) {
  const std::string ext = extension(name);
  for (const auto& t : known_types)
    if (t.ext == ext) return std::string(t.mime);
  return {};
}

std::string media_type_of(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return lower(t);
}

upload_decision plan_upload(std::string_view kind, std::string_view name, std::string_view mime_in,
                            uint64_t size) {
  upload_decision d;
  std::string mime = media_type_of(mime_in);
  if (mime.empty() || mime == "application/octet-stream") {
    if (std::string guessed = mime_from_name(name); !guessed.empty()) mime = guessed;
  }
  if (size == 0) {
    d.error = invalid("the file is empty; Feishu/Lark takes no empty files");
    return d;
  }
  upload_plan& p = d.plan;
  if (kind == "image" && image_endpoint_takes(mime) && size <= media_limit::image_bytes) {
    p.image = true;
    p.msg_type = "image";
    p.limit = media_limit::image_bytes;
    return d;
  }
  if (size > media_limit::file_bytes) {
    d.error = invalid("the file is " + std::to_string(size) +
                      " bytes; Feishu/Lark takes files up to " + mib(media_limit::file_bytes) +
                      (kind == "image" ? " (images up to " + mib(media_limit::image_bytes) + ")"
                                       : std::string()));
    return d;
  }
  std::string ext = extension(name);
  p.file_name = std::string(name);
  if (p.file_name.empty()) {
    const std::string e = ext_of_mime(mime);
    p.file_name = std::string(kind.empty() ? "file" : kind) + (e.empty() ? "" : "." + e);
    ext = e;
  }
  p.file_type = file_type_of(mime, ext);
  p.limit = media_limit::file_bytes;
  if (kind == "audio" && p.file_type == "opus")
    p.msg_type = "audio";
  else if (kind == "video" && p.file_type == "mp4")
    p.msg_type = "media";
  else
    p.msg_type = "file";
  if (p.file_type == "opus" && p.msg_type != "audio") p.file_type = "stream";
  if (p.file_type == "mp4" && p.msg_type != "media") p.file_type = "stream";
  return d;
}

std::string multipart_filename(std::string_view name) {
  bool ascii = true;
  for (unsigned char c : name)
    if (c < 0x20 || c >= 0x7f) ascii = false;
  if (!ascii) return common::url_encode(name);
  std::string out;
  for (char c : name) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string multipart_boundary(std::string_view seed) {
  return "----patchbay" + common::sha256_hex(seed).substr(0, 28);
}

std::string multipart_content_type(std::string_view boundary) {
  return "multipart/form-data; boundary=" + std::string(boundary);
}

std::string multipart_body(std::string_view boundary, const std::vector<multipart_part>& parts) {
  size_t total = 64;
  for (const auto& p : parts) total += p.data.size() + p.name.size() + p.filename.size() + 160;
  std::string out;
  out.reserve(total);
  for (const auto& p : parts) {
    out.append("--").append(boundary).append("\r\n");
    out.append("Content-Disposition: form-data; name=\"").append(p.name).append("\"");
    if (!p.filename.empty()) {
      out.append("; filename=\"").append(multipart_filename(p.filename)).append("\"\r\n");
      out.append("Content-Type: ")
          .append(p.content_type.empty() ? "application/octet-stream" : p.content_type);
    }
    out.append("\r\n\r\n").append(p.data).append("\r\n");
  }
  out.append("--").append(boundary).append("--\r\n");
  return out;
}

api_request upload_request(const upload_plan& plan, std::string_view mime, std::string bytes,
                           std::string_view boundary) {
  std::vector<multipart_part> parts;
  const std::string type = media_type_of(mime);
  if (plan.image) {
    parts.push_back({"image_type", {}, {}, "message"});
    parts.push_back({"image", "image", type, std::move(bytes)});
  } else {
    parts.push_back({"file_type", {}, {}, plan.file_type});
    parts.push_back({"file_name", {}, {}, plan.file_name});
    parts.push_back({"file", plan.file_name, type, std::move(bytes)});
  }
  api_request req;
  req.method = "POST";
  req.target = std::string(plan.image ? api_path::images : api_path::files);
  req.content_type = multipart_content_type(boundary);
  req.body = multipart_body(boundary, parts);
  return req;
}

upload_result parse_upload_response(const upload_plan& plan, int http_status, std::string_view body,
                                    std::string_view ratelimit_reset) {
  upload_result r;
  const api_op op = plan.image ? api_op::upload_image : api_op::upload_file;
  api_answer a = parse_api_answer(op, http_status, body, ratelimit_reset);
  if (!a.error.ok()) {
    r.error = std::move(a.error);
    return r;
  }
  const auto v = json_util::parse(a.data_json);
  const json::object* d = v ? v->if_object() : nullptr;
  const char* field = plan.image ? "image_key" : "file_key";
  r.key = d ? std::string(json_util::string_at(*d, field)) : std::string();
  if (r.key.empty()) {
    r.error.code = PB_ERR_RETRYABLE;
    r.error.kind = error_kind::transient;
    r.error.http_status = http_status;
    r.error.message = std::string(to_string(op)) + ": the answer has no " + field;
  }
  return r;
}

outgoing media_message(std::string_view type, std::string_view key) {
  const char* field = type == "image" ? "image_key" : "file_key";
  return {std::string(type), json::serialize(json::object{{field, key}})};
}

}  // namespace patchbay::plugins::feishu_family
