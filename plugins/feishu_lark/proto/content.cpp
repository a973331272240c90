#include "feishu_lark/proto/content.hpp"

#include <boost/json.hpp>

#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

const mention* find_mention(const std::vector<mention>& ms, std::string_view id) {
  if (id.empty()) return nullptr;
  for (const mention& m : ms)
    if (m.key == id || m.open_id == id) return &m;
  return nullptr;
}

// Appends how one mention reads; removes the bot's own when asked (and one space before it).
void append_mention(std::string& out, const mention& m, const resolve_options& opt) {
  if (m.is_bot && opt.strip_bot_mention) {
    if (!out.empty() && is_space(out.back())) out.pop_back();
    return;
  }
  if (m.key == "@_all") {
    out += "@all";
    return;
  }
  out += m.name.empty() ? m.key : "@" + m.name;
}

// Appends `text` with its mention keys resolved (no trimming: post elements are concatenated).
void resolve_into(std::string& out, std::string_view text, const std::vector<mention>& ms,
                  const resolve_options& opt) {
  size_t i = 0;
  bool skip_space = false;  // after a stripped bot mention, drop the one space that followed it
  while (i < text.size()) {
    const mention* best = nullptr;
    if (text[i] == '@')
      for (const mention& m : ms)
        if (!m.key.empty() && text.compare(i, m.key.size(), m.key) == 0 &&
            (!best || m.key.size() > best->key.size()))
          best = &m;
    if (!best) {
      if (!(skip_space && is_space(text[i]))) out.push_back(text[i]);
      skip_space = false;
      ++i;
      continue;
    }
    skip_space = best->is_bot && opt.strip_bot_mention;
    if (!skip_space) append_mention(out, *best, opt);
    i += best->key.size();
  }
}

void append_element(std::string& out, const json::object& el, const std::vector<mention>& ms,
                    const resolve_options& opt) {
  const std::string_view tag = json_util::string_at(el, "tag");
  const std::string_view text = json_util::string_at(el, "text");
  if (tag == "at") {
    const std::string_view uid = json_util::string_at(el, "user_id");
    if (uid == "all" || uid == "all_members" || uid == "@_all") {
      out += "@all";
    } else if (const mention* m = find_mention(ms, uid)) {
      append_mention(out, *m, opt);
    } else {
      const std::string_view name = json_util::string_at(el, "user_name");
      out += '@';
      out += name.empty() ? uid : name;
    }
  } else if (tag == "a") {
    const std::string_view href = json_util::string_at(el, "href");
    out += text.empty() ? href : text;
    if (!href.empty() && !text.empty() && href != text) out.append(" (").append(href).append(")");
  } else if (tag == "img") {
    out += "[image]";
  } else if (tag == "media") {
    out += "[media]";
  } else if (tag == "hr") {
    out += "---";
  } else if (tag == "emotion") {
    const std::string_view e = json_util::string_at(el, "emoji_type");
    if (!e.empty()) out.append(":").append(e).append(":");
  } else {
    // text, md, code_block and unknown tags: their text, with any placeholder resolved.
    resolve_into(out, text, ms, opt);
  }
}

}  // namespace

std::string resolve_mentions(std::string_view text, const std::vector<mention>& ms,
                             const resolve_options& opt) {
  std::string out;
  resolve_into(out, text, ms, opt);
  return trim(out);
}

std::string text_of_text_content(std::string_view content_json) {
  const auto v = json_util::parse(content_json);
  const json::object* o = v ? v->if_object() : nullptr;
  return o ? std::string(json_util::string_at(*o, "text")) : std::string();
}

std::string text_of_post_content(std::string_view content_json, const std::vector<mention>& ms,
                                 const resolve_options& opt) {
  const auto v = json_util::parse(content_json);
  const json::object* root = v ? v->if_object() : nullptr;
  const json::object* body = root ? post_body(*root) : nullptr;
  if (!body) return {};
  std::string out;
  if (const std::string_view title = json_util::string_at(*body, "title"); !title.empty()) {
    out += title;
    out += '\n';
  }
  const json::value* content = body->if_contains("content");
  if (content && content->is_array()) {
    for (const json::value& para : content->get_array()) {
      if (!para.is_array()) continue;
      std::string line;
      for (const json::value& el : para.get_array())
        if (el.is_object()) append_element(line, el.get_object(), ms, opt);
      out += trim(line);
      out += '\n';
    }
  }
  return trim(out);
}

const json::object* post_body(const json::object& post) {
  if (post.contains("title") || post.contains("content")) return &post;
  for (const char* loc : {"zh_cn", "en_us", "ja_jp"})
    if (const json::object* p = json_util::object_at(post, loc)) return p;
  for (const auto& kv : post)
    if (kv.value().is_object()) return &kv.value().get_object();
  return nullptr;
}

}  // namespace patchbay::plugins::feishu_family
