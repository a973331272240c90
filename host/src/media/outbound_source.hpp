// Outbound attachments (docs/architecture.md §4): the pure rules on where an agent's file may come
// from, what it is called and the texts the user sees when it cannot be sent. No I/O except
// allowed_file(), which asks the file system (call it off the I/O threads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/messages.hpp"

namespace patchbay::media {

// Why `url` may not be fetched, or "" when it may: https to any host, http only to a loopback
// address written literally (127.0.0.0/8, [::1], localhost). Never quotes the URL.
std::string url_problem(std::string_view url);
// A redirect's Location resolved against the URL it came from (absolute, or an absolute path on
// the same origin); "" when it is neither.
std::string resolve_location(std::string_view base, std::string_view location);

// The canonical path of `path` when it names a regular file under one of the `allowed`
// directories, with every symbolic link resolved first (a link pointing out of an allowed
// directory is refused); else nullopt and `why` (user-facing, without the path).
std::optional<std::string> allowed_file(const std::vector<std::string>& allowed,
                                        const std::string& path, std::string& why);

// The name shown for a file: its `name`, else the last segment of its url or path, else its kind.
std::string display_name(const messages::attachment_spec& a);
// A MIME type from a name's extension (a few common types), or "".
std::string guess_mime(std::string_view name);
// "30 MB", "1.5 MB", "640 KB", "12 bytes".
std::string size_text(std::uint64_t bytes);

// What the user sees when a file cannot be sent (sent as a notice in the conversation).
std::string cannot_send_notice(std::string_view name);  // the channel takes no files
std::string failed_notice(std::string_view name, std::string_view reason);
std::string too_large_reason(std::uint64_t size, std::uint64_t limit);  // size 0 = unknown

}  // namespace patchbay::media
