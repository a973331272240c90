// What a finished turn's renderer still has to deliver, in a form the state store keeps
// (turn_row.pending_plan). The answer is decided the moment the terminal event arrives, but the
// renderer hands its operations to the outbound queue one at a time (each waits for the one
// before: a refused final edit changes what follows). So that nothing decided is lost in a crash,
// the turn row saved with each operation carries the plan that remains after it: a restart
// continues from there (turn_service recovery), and the row's plan is cleared once the renderer
// finished.
//
// Only what the renderer needs to go on: the remaining operations in order, and the answer text
// while a later step still depends on it (the final plan not made yet, or a final edit whose
// refusal sends the unshown rest as new messages).
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/messages.hpp"

namespace patchbay::render {

struct planned_op {
  int role = 0;  // platform_renderer's op role (its private enum, as a number)
  std::string text;
  uint32_t flags = 0;
  std::string recipient;
  std::optional<messages::attachment_spec> file;
};

struct pending_plan {
  bool error = false;  // the turn ended in an error (else complete)
  std::string error_text;
  std::string text;  // the whole answer; "" once no step needs it
  std::size_t shown = 0;
  bool editing = false;
  bool final_planned = false;
  std::size_t sends_planned = 0;
  int edits_used = 0;
  std::vector<planned_op> ops;
};

std::string to_json(const pending_plan& p);
// nullopt (with `error` set) for anything that is not a plan this version wrote.
std::optional<pending_plan> pending_plan_from_json(std::string_view s, std::string* error);

}  // namespace patchbay::render
