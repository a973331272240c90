#include "agents/callback_body.hpp"

#include <boost/json.hpp>

#include "patchbay/common/line_splitter.hpp"
#include "turns/thread_response.hpp"

namespace patchbay::agents {
namespace json = boost::json;
namespace {

// At most this many payloads in one post (a body is capped at 1 MiB by the server anyway).
constexpr std::size_t max_payloads = 10'000;

// Checks one payload (`where` names it in errors) and appends it with `turn` set.
bool take(const std::string& turn_id, json::value v, const std::string& where, callback_body& out) {
  if (out.terminal) {
    out.error = where + " follows the terminal payload (done or error)";
    return false;
  }
  if (out.payloads.size() >= max_payloads) {
    out.error = "more than " + std::to_string(max_payloads) + " payloads in one post";
    return false;
  }
  if (!v.is_object()) {
    out.error = where + " must be a JSON object";
    return false;
  }
  auto& o = v.as_object();
  if (const auto* t = o.if_contains("turn"); t != nullptr && !t->is_null()) {
    if (!t->is_string() || t->get_string() != turn_id) {
      out.error = where + ": `turn` is not the turn of this URL";
      return false;
    }
  } else {
    o["turn"] = turn_id;
  }
  std::string text = json::serialize(o);
  auto parsed = turns::parse_thread_response(text);
  if (!parsed.value) {
    out.error = where + ": " + parsed.error;
    return false;
  }
  out.terminal = parsed.value->terminal();
  out.payloads.push_back(std::move(text));
  return true;
}

callback_body fail(std::string error) {
  callback_body b;
  b.error = std::move(error);
  return b;
}

}  // namespace

callback_body read_callback_body(const std::string& turn_id, std::string_view body) {
  callback_body out;
  // One JSON value (an object or an array), possibly spread over lines.
  json::error_code ec;
  json::value whole = json::parse(body, ec);
  if (!ec) {
    if (whole.is_array()) {
      auto& items = whole.as_array();
      if (items.empty()) return fail("the body is an empty array");
      for (std::size_t i = 0; i < items.size(); ++i)
        if (!take(turn_id, std::move(items[i]), "payload " + std::to_string(i + 1), out))
          return fail(out.error);
      return out;
    }
    if (!take(turn_id, std::move(whole), "the payload", out)) return fail(out.error);
    return out;
  }
  // NDJSON: one object per line.
  common::line_splitter lines(turns::max_payload_bytes);
  std::size_t line_no = 0;
  auto one = [&](std::string_view line) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return true;
    json::error_code lec;
    json::value v = json::parse(line, lec);
    if (lec) {
      out.error = "line " + std::to_string(line_no) + " is not JSON (" + lec.message() + ")";
      return false;
    }
    return take(turn_id, std::move(v), "line " + std::to_string(line_no), out);
  };
  if (!lines.feed(body, one)) {
    if (lines.overflowed()) return fail("a line exceeds the 1 MiB payload limit");
    return fail(out.error);
  }
  if (!lines.rest().empty() && !one(lines.rest())) return fail(out.error);
  if (out.payloads.empty()) return fail("the body holds no payload");
  return out;
}

}  // namespace patchbay::agents
