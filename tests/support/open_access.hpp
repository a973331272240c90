// The access block integration tests give their channels (docs/architecture.md §13): the default
// (an empty allowlist) answers nobody, and the fakes send from arbitrary user ids and groups. No
// inbound rate limit either: tests send bursts. A YAML fragment at the indentation of a channel's
// keys, as a string literal (concatenates with neighbouring literals).
#pragma once

#define PB_OPEN_ACCESS                                                         \
  "    access: {dm: open, groups: {allow: [\"*\"], require_mention: false}}\n" \
  "    limits: {per_sender: {per_minute: 0}, per_channel: {per_minute: 0}}\n"

// No inbound rate limit, for tests that set their own access block.
#define PB_NO_LIMITS "    limits: {per_sender: {per_minute: 0}, per_channel: {per_minute: 0}}\n"
