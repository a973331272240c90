#include "render/pending_plan.hpp"

#include <boost/json.hpp>

namespace patchbay::render {
namespace json = boost::json;

namespace {
json::object file_json(const messages::attachment_spec& f) {
  return json::object{{"kind", f.kind},      {"name", f.name}, {"mime_type", f.mime_type},
                      {"url", f.url},        {"path", f.path}, {"data_base64", f.data_base64},
                      {"caption", f.caption}};
}

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) throw std::invalid_argument(std::string(key));
  return std::string(v->get_string());
}

int64_t int_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_int64() || v->get_int64() < 0)
    throw std::invalid_argument(std::string(key));
  return v->get_int64();
}

bool bool_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_bool()) throw std::invalid_argument(std::string(key));
  return v->get_bool();
}
}  // namespace

std::string to_json(const pending_plan& p) {
  json::array ops;
  for (const auto& o : p.ops) {
    json::object j{{"role", o.role}, {"text", o.text}, {"flags", o.flags}};
    if (!o.recipient.empty()) j["recipient"] = o.recipient;
    if (o.file) j["file"] = file_json(*o.file);
    ops.push_back(std::move(j));
  }
  return json::serialize(json::object{{"v", 1},
                                      {"error", p.error},
                                      {"error_text", p.error_text},
                                      {"text", p.text},
                                      {"shown", p.shown},
                                      {"editing", p.editing},
                                      {"final_planned", p.final_planned},
                                      {"sends_planned", p.sends_planned},
                                      {"edits_used", p.edits_used},
                                      {"ops", std::move(ops)}});
}

std::optional<pending_plan> pending_plan_from_json(std::string_view s, std::string* error) {
  boost::system::error_code ec;
  json::value v = json::parse(s, ec);
  if (ec || !v.is_object()) {
    if (error) *error = "not a JSON object";
    return std::nullopt;
  }
  const auto& o = v.get_object();
  try {
    if (int_of(o, "v") != 1) throw std::invalid_argument("v");
    pending_plan p;
    p.error = bool_of(o, "error");
    p.error_text = text_of(o, "error_text");
    p.text = text_of(o, "text");
    p.shown = static_cast<std::size_t>(int_of(o, "shown"));
    if (p.shown > p.text.size() && !p.text.empty()) throw std::invalid_argument("shown");
    p.editing = bool_of(o, "editing");
    p.final_planned = bool_of(o, "final_planned");
    p.sends_planned = static_cast<std::size_t>(int_of(o, "sends_planned"));
    p.edits_used = static_cast<int>(int_of(o, "edits_used"));
    const auto* ops = o.if_contains("ops");
    if (ops == nullptr || !ops->is_array()) throw std::invalid_argument("ops");
    for (const auto& e : ops->get_array()) {
      if (!e.is_object()) throw std::invalid_argument("ops");
      const auto& j = e.get_object();
      planned_op op;
      op.role = static_cast<int>(int_of(j, "role"));
      op.text = text_of(j, "text");
      op.flags = static_cast<uint32_t>(int_of(j, "flags"));
      if (j.contains("recipient")) op.recipient = text_of(j, "recipient");
      if (const auto* f = j.if_contains("file")) {
        if (!f->is_object()) throw std::invalid_argument("file");
        const auto& fo = f->get_object();
        op.file = messages::attachment_spec{text_of(fo, "kind"),      text_of(fo, "name"),
                                            text_of(fo, "mime_type"), text_of(fo, "url"),
                                            text_of(fo, "path"),      text_of(fo, "data_base64"),
                                            text_of(fo, "caption")};
      }
      p.ops.push_back(std::move(op));
    }
    return p;
  } catch (const std::invalid_argument& e) {
    if (error) *error = std::string("bad or missing field '") + e.what() + "'";
    return std::nullopt;
  }
}

}  // namespace patchbay::render
