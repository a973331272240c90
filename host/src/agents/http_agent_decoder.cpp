#include "agents/http_agent_decoder.hpp"

#include <boost/json.hpp>

#include "turns/thread_response.hpp"

namespace patchbay::agents {
namespace json = boost::json;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool is_sse_line(std::string_view l) {
  if (l.front() == ':') return true;
  for (std::string_view f : {"data", "event", "id", "retry"})
    if (l.substr(0, f.size()) == f && (l.size() == f.size() || l[f.size()] == ':')) return true;
  return false;
}

}  // namespace

answer_decoder::answer_decoder(std::string turn_id, emit_fn emit)
    : turn_(std::move(turn_id)), emit_(std::move(emit)), lines_(turns::max_payload_bytes) {}

bool answer_decoder::feed(std::string_view bytes) {
  if (terminal_ || !problem_.empty()) return false;
  if (framing_ == framing::sse) {
    const bool ok = sse_->feed(bytes);
    if (!ok && problem_.empty() && !terminal_) problem_ = "an event larger than 1 MiB";
    return ok && problem_.empty() && !terminal_;
  }
  if (framing_ == framing::unknown) {
    sniffed_.append(bytes);
    if (sniffed_.size() > 2 * turns::max_payload_bytes) {  // blank lines without end
      problem_ = "the answer is neither NDJSON nor SSE";
      return false;
    }
  }
  const bool ok = lines_.feed(bytes, [this](std::string_view l) { return on_line(l); });
  if (framing_ == framing::sse) {  // decided inside this call: replay everything so far
    std::string all = std::move(sniffed_);
    sniffed_.clear();
    return feed(all);
  }
  if (framing_ == framing::ndjson) sniffed_.clear();
  if (!ok && lines_.overflowed()) problem_ = "a line longer than 1 MiB";
  return ok && problem_.empty() && !terminal_;
}

void answer_decoder::end() {
  if (terminal_ || !problem_.empty()) return;
  if (framing_ == framing::sse) {
    sse_->feed("\n\n");  // a last event without its blank line still counts
    return;
  }
  std::string rest(lines_.rest());
  if (trim(rest).empty()) return;
  on_line(rest);
  if (framing_ == framing::sse) {
    std::string all = std::move(sniffed_);
    feed(all + "\n\n");
  }
}

bool answer_decoder::on_line(std::string_view line) {
  std::string_view t = trim(line);
  if (framing_ == framing::unknown) {
    if (t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);  // a UTF-8 byte order mark
    if (t.empty()) return true;
    if (t.front() == '{') {
      framing_ = framing::ndjson;
    } else if (is_sse_line(t)) {
      framing_ = framing::sse;
      sse_ = std::make_unique<agents::sse_parser>(
          [this](const std::string&, const std::string& data) {
            if (trim(data) == "[DONE]") return true;
            return on_payload(data);
          },
          turns::max_payload_bytes);
      return false;  // the caller replays the bytes into the SSE parser
    } else {
      problem_ = "the answer is neither NDJSON nor SSE";
      return false;
    }
  }
  if (t.empty()) return true;
  return on_payload(t);
}

bool answer_decoder::on_payload(std::string_view text) {
  json::error_code ec;
  json::parse_options opt;
  opt.max_depth = 16;
  json::value v = json::parse(text, ec, {}, opt);
  if (ec || !v.is_object()) {
    problem_ = ec ? "a line is not valid JSON (" + ec.message() + ")"
                  : std::string("a line is not a JSON object");
    return false;
  }
  v.as_object()["turn"] = turn_;  // forced: this request answers exactly this turn
  std::string payload = json::serialize(v);
  auto r = turns::parse_thread_response(payload);
  if (!r.value) {
    problem_ = "invalid thread_response (" + r.error + ")";
    return false;
  }
  ++payloads_;
  terminal_ = r.value->terminal();
  emit_(std::move(payload));
  return !terminal_;
}

}  // namespace patchbay::agents
