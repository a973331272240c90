#include "media_store.hpp"

#include <boost/json/object.hpp>

#include "fake_http.hpp"

namespace patchbay::fakes::feishu {

namespace json = boost::json;

stored_file& media_store::add(stored_file f) {
  bytes_ += f.data.size();
  std::string key = f.key;
  files_[key] = std::move(f);
  order_.push_back(key);
  while (bytes_ > max_ && order_.size() > 1) {
    const auto it = files_.find(order_.front());
    if (it != files_.end()) {
      bytes_ -= it->second.data.size();
      files_.erase(it);
    }
    order_.pop_front();
  }
  return files_.at(key);
}

stored_file* media_store::find(std::string_view key) {
  const auto it = files_.find(std::string(key));
  return it == files_.end() ? nullptr : &it->second;
}

json::array media_store::to_json() const {
  json::array out;
  for (const auto& k : order_) {
    const auto it = files_.find(k);
    if (it == files_.end()) continue;
    const stored_file& f = it->second;
    json::array msgs;
    for (const auto& m : f.message_ids) msgs.emplace_back(m);
    out.push_back(json::object{{"key", f.key},
                               {"app_id", f.app_id},
                               {"kind", f.image ? "image" : "file"},
                               {"file_type", f.file_type},
                               {"file_name", f.file_name},
                               {"part_filename", f.part_filename},
                               {"content_type", f.content_type},
                               {"size", f.data.size()},
                               {"md5", f.md5},
                               {"duration_ms", f.duration_ms},
                               {"message_ids", std::move(msgs)}});
  }
  return out;
}

void media_store::clear() {
  files_.clear();
  order_.clear();
  bytes_ = 0;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `param` in a header value such as `form-data; name="x"; filename="y"`.
bool header_param(std::string_view value, std::string_view param, std::string& out) {
  std::size_t pos = 0;
  while ((pos = value.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = trim(value.substr(pos));
    if (rest.size() <= param.size() || rest[param.size()] != '=' ||
        !common::iequals(rest.substr(0, param.size()), param))
      continue;
    rest.remove_prefix(param.size() + 1);
    out.clear();
    if (!rest.empty() && rest.front() == '"') {
      for (std::size_t i = 1; i < rest.size(); ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) {
          out.push_back(rest[++i]);
        } else if (rest[i] == '"') {
          return true;
        } else {
          out.push_back(rest[i]);
        }
      }
      return false;  // unterminated quote
    }
    out = std::string(trim(rest.substr(0, rest.find(';'))));
    return true;
  }
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string parse_multipart(std::string_view content_type, std::string_view body,
                            std::vector<form_part>& out) {
  const std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  if (!common::iequals(media, "multipart/form-data"))
    return "Content-Type is not multipart/form-data";
  std::string boundary;
  if (!header_param(content_type, "boundary", boundary) || boundary.empty())
    return "multipart without a boundary";
  const std::string delim = "--" + boundary;
  std::size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return "no multipart delimiter in the body";
  pos += delim.size();
  for (;;) {
    if (body.substr(pos, 2) == "--") return {};  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return "malformed multipart delimiter line";
    pos += 2;
    const std::size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) return "multipart part without a header end";
    form_part p;
    bool disposition = false;
    std::string_view headers = body.substr(pos, head_end - pos);
    while (!headers.empty()) {
      const std::size_t eol = headers.find("\r\n");
      const std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return "malformed part header";
      const std::string_view name = trim(line.substr(0, colon));
      const std::string_view value = trim(line.substr(colon + 1));
      if (common::iequals(name, "Content-Disposition")) {
        disposition = true;
        if (!header_param(value, "name", p.name)) return "part without a name";
        p.has_filename = header_param(value, "filename", p.filename);
      } else if (common::iequals(name, "Content-Type")) {
        p.content_type = std::string(value);
      }
    }
    if (!disposition) return "part without Content-Disposition";
    const std::size_t data_start = head_end + 4;
    const std::size_t next = body.find("\r\n" + delim, data_start);
    if (next == std::string_view::npos) return "multipart body without its closing delimiter";
    p.data = std::string(body.substr(data_start, next - data_start));
    out.push_back(std::move(p));
    pos = next + 2 + delim.size();
  }
}

std::string multipart_summary(std::string_view content_type, std::string_view body) {
  std::vector<form_part> parts;
  if (auto err = parse_multipart(content_type, body, parts); !err.empty())
    return "multipart: " + err + " (" + std::to_string(body.size()) + " bytes)";
  std::string out;
  for (const auto& p : parts) {
    out += "name=\"" + p.name + "\"";
    if (p.has_filename)
      out += " filename=\"" + p.filename + "\" <" + std::to_string(p.data.size()) + " bytes>";
    else
      out += " " + p.data.substr(0, 256);
    out += "\n";
  }
  return out;
}

}  // namespace patchbay::fakes::feishu
