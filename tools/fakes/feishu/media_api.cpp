// patchbay-fake-feishu: the media endpoints (docs/protocols/feishu-lark.md §3.9) with the
// platform's checks — image and file uploads (multipart fields, types, sizes, empty files, image
// formats), the resource download of a message's file, and the rules for image / file / audio /
// media message contents (the key must be one this app uploaded; audio needs an opus upload,
// media an mp4 one). Error codes marked UNVERIFIED in tools/fakes/README.md.
#include <boost/json/parse.hpp>

#include "fake_feishu.hpp"
#include "fake_http.hpp"
#include "patchbay/common/digest.hpp"

namespace patchbay::fakes::feishu {

namespace json = boost::json;

namespace {

constexpr std::size_t image_limit = std::size_t{10} << 20;
constexpr std::size_t file_limit = std::size_t{30} << 20;
constexpr std::int64_t code_bad_param = 234001;       // UNVERIFIED
constexpr std::int64_t code_too_big = 234006;         // UNVERIFIED
constexpr std::int64_t code_bad_image = 234011;       // UNVERIFIED
constexpr std::int64_t code_not_in_message = 234003;  // UNVERIFIED
constexpr std::int64_t code_bad_content = 230001;
constexpr std::int64_t code_type_mismatch = 230055;

const form_part* field(const std::vector<form_part>& parts, std::string_view name) {
  for (const auto& p : parts)
    if (p.name == name) return &p;
  return nullptr;
}

// The formats the image endpoint takes, by their magic bytes.
std::string image_format(std::string_view d) {
  auto starts = [&](std::string_view m) { return d.substr(0, m.size()) == m; };
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xff\xd8\xff")) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("RIFF") && d.size() >= 12 && d.substr(8, 4) == "WEBP") return "image/webp";
  if (starts("BM")) return "image/bmp";
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4)))
    return "image/tiff";
  if (starts(std::string_view("\0\0\1\0", 4))) return "image/x-icon";
  return {};
}

std::string header_of(const kit::http_request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers)
    if (common::iequals(k, name)) return v;
  return {};
}

}  // namespace

kit::http_response fake_feishu::upload(api_ctx& c, bool image) {
  if (c.req.method != "POST") return api_error(c.log_id, 405, 405, "method not allowed");
  if (c.app->disabled) return api_error(c.log_id, 400, 99991662, "app not in use");
  std::vector<form_part> parts;
  if (auto err = parse_multipart(header_of(c.req, "Content-Type"), c.req.body, parts); !err.empty())
    return api_error(c.log_id, 400, code_bad_param, "invalid request parameter: " + err);
  stored_file f;
  f.app_id = c.app->creds.app_id;
  f.image = image;
  const form_part* data = field(parts, image ? "image" : "file");
  if (!data)
    return api_error(
        c.log_id, 400, code_bad_param,
        std::string("invalid request parameter: no ") + (image ? "image" : "file") + " file part");
  if (data->data.empty()) return api_error(c.log_id, 400, code_bad_param, "the file is empty");
  if (image) {
    const form_part* t = field(parts, "image_type");
    if (!t || (t->data != "message" && t->data != "avatar"))
      return api_error(c.log_id, 400, code_bad_param, "image_type must be message or avatar");
    if (data->data.size() > image_limit)
      return api_error(c.log_id, 400, code_too_big, "the image exceeds 10 MB");
    f.content_type = image_format(data->data);
    if (f.content_type.empty())
      return api_error(c.log_id, 400, code_bad_image, "the image format is not supported");
    f.key = "img_v3_" + ids_.hex(8) + "-" + ids_.hex(24);
  } else {
    const form_part* t = field(parts, "file_type");
    const form_part* n = field(parts, "file_name");
    static constexpr std::string_view types[] = {"opus", "mp4", "pdf",   "doc",
                                                 "xls",  "ppt", "stream"};
    bool known = false;
    for (auto k : types) known = known || (t && t->data == k);
    if (!known)
      return api_error(c.log_id, 400, code_bad_param,
                       "file_type must be opus, mp4, pdf, doc, xls, ppt or stream");
    if (!n || n->data.empty())
      return api_error(c.log_id, 400, code_bad_param, "file_name is required");
    if (data->data.size() > file_limit)
      return api_error(c.log_id, 400, code_too_big, "the file exceeds 30 MB");
    if (const form_part* d = field(parts, "duration")) {
      std::uint64_t ms = 0;
      if (!common::parse_number(d->data, 86'400'000, ms))
        return api_error(c.log_id, 400, code_bad_param, "duration must be an integer");
      f.duration_ms = static_cast<std::int64_t>(ms);
    }
    f.file_type = t->data;
    f.file_name = n->data;
    f.content_type = data->content_type.empty() ? "application/octet-stream" : data->content_type;
    f.key = "file_v3_" + ids_.hex(8) + "-" + ids_.hex(24);
  }
  f.part_filename = percent_decode(data->filename);
  f.data = data->data;
  f.md5 = patchbay::common::md5_hex(f.data);
  const auto& stored = media_.add(std::move(f));
  json::object d;
  d[image ? "image_key" : "file_key"] = stored.key;
  return answer(c.log_id, 200,
                json::object{{"code", 0}, {"msg", "success"}, {"data", std::move(d)}});
}

kit::http_response fake_feishu::resource(api_ctx& c, const std::string& message_id,
                                         const std::string& key) {
  if (c.req.method != "GET") return api_error(c.log_id, 405, 405, "method not allowed");
  if (c.app->disabled) return api_error(c.log_id, 400, 99991662, "app not in use");
  if (faults_.take("resource_not_found", c.app->creds.app_id))
    return api_error(c.log_id, 404, code_not_in_message, "resource not found (fault)");
  const std::string type = common::query_param(c.req.query, "type").value_or("");
  if (type != "image" && type != "file")
    return api_error(c.log_id, 400, code_bad_param, "type must be image or file");
  const stored_message* m = messages_.find(message_id);
  if (!m || m->app_id != c.app->creds.app_id)
    return api_error(c.log_id, 400, 99992354, "these ids not existed: " + message_id);
  stored_file* f = media_.find(key);
  bool carried = false;
  if (f)
    for (const auto& id : f->message_ids) carried = carried || id == message_id;
  if (!carried)
    return api_error(c.log_id, 400, code_not_in_message, "the file is not in this message");
  if ((type == "image") != f->image)
    return api_error(c.log_id, 400, code_bad_param, "type does not match the resource");
  kit::http_response r;
  r.status = 200;
  r.content_type = f->content_type.empty() ? "application/octet-stream" : f->content_type;
  r.body = f->data;
  log_.answered(c.log_id, 200, std::nullopt);
  return r;
}

std::string fake_feishu::check_media_content(const std::string& app_id, const std::string& msg_type,
                                             const json::object& content, std::int64_t& code) {
  const bool image = msg_type == "image";
  const auto* k = content.if_contains(image ? "image_key" : "file_key");
  code = code_bad_content;
  if (!k || !k->is_string() || k->get_string().empty())
    return image ? "image content without image_key" : "content without file_key";
  const stored_file* f = media_.find(k->get_string());
  if (!f || f->app_id != app_id) return "unknown key " + std::string(k->get_string());
  code = code_type_mismatch;
  if (f->image != image) return "the key is of another kind";
  if (msg_type == "audio" && f->file_type != "opus") return "audio needs an opus upload";
  if (msg_type == "media" && f->file_type != "mp4") return "media needs an mp4 upload";
  return {};
}

void fake_feishu::link_media(const std::string& msg_type, const std::string& content,
                             const std::string& message_id) {
  json::error_code ec;
  const auto v = json::parse(content, ec);
  if (ec || !v.is_object()) return;
  for (const char* field : {"image_key", "file_key"}) {
    const auto* k = v.get_object().if_contains(field);
    if (k && k->is_string())
      if (stored_file* f = media_.find(k->get_string())) f->message_ids.push_back(message_id);
  }
  (void)msg_type;
}

}  // namespace patchbay::fakes::feishu
