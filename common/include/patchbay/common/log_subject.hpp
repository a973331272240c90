// What a log line is about: the channel and/or the turn. A line about a channel or a turn starts
// its payload with a tag that carries both; the host's log formatters read the tag back and print
// the ids as JSON fields ("channel", "turn") or as a text prefix "[channel=<id> turn=<id>] ".
// Pure string functions: any library that logs (with spdlog or otherwise) can tag its lines.
#pragma once

#include <string>
#include <string_view>

namespace patchbay::common {

struct log_subject {
  std::string_view channel;
  std::string_view turn;
};

// The payload prefix that carries `s` ("" when both parts are empty). Control characters in the
// ids are replaced by '?', so an id cannot end the tag early or forge a field.
std::string log_tag(log_subject s);

// True when `payload` starts with a tag.
bool log_is_tagged(std::string_view payload);

struct tagged_payload {
  std::string channel, turn;
  std::string_view text;  // the message after the tag (all of `payload` when it has none)
};
// The subject `payload` starts with, and the rest (a view into `payload`).
tagged_payload log_untag(std::string_view payload);

}  // namespace patchbay::common
