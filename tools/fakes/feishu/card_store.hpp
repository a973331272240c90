// patchbay-fake-feishu: CardKit card entities (docs/protocols/feishu-lark.md §3.8) as state, with
// the platform's rules: a JSON 2.0 card only (`schema: "2.0"`, never `update_multi: false`);
// streaming text only into an element that exists, while the card's `streaming_mode` is on, with a
// `sequence` strictly greater than every earlier one of the card (else 300317); streaming mode
// ends on its own `streaming_timeout_ms` after it was turned on (the platform's 10 minutes; the
// first update after that → 200850, later ones → 300309, like an update after settings closed it);
// at most `rate_per_s` updates per card in any second (else 230020); a card is sent once.
//
// Every accepted update is recorded (time, element, text, sequence), so a test rebuilds what the
// user saw and checks the pacing. Bounded: the oldest cards are forgotten past max_cards, each
// card keeps its last max_history updates. Times are the caller's clock (ms). Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace patchbay::fakes::feishu {

struct card_update {
  std::int64_t time_ms = 0;
  std::string what;  // "content", "settings" or "update"
  std::string element_id;
  std::string text;  // content: the element's full text; settings: the settings JSON
  std::int64_t sequence = 0;
};

struct card_entity {
  std::string card_id;
  std::string app_id;
  std::string message_id;                       // "" until sent
  std::map<std::string, std::string> elements;  // element_id -> text (markdown/plain_text)
  std::vector<std::string> element_order;
  bool streaming = false;
  std::int64_t streaming_since_ms = 0;
  bool timed_out = false;  // the platform closed streaming mode (200850 told once)
  std::string summary;
  std::int64_t last_sequence = 0;
  std::int64_t created_ms = 0;
  std::deque<std::int64_t> recent;  // update times within the last second (rate check)
  std::vector<card_update> history;
  std::string text() const;  // the elements' texts, in card order, joined by "\n"
};

struct card_answer {
  std::int64_t code = 0;  // 0 = ok
  std::string msg;
  std::string card_id;  // create
};

class card_store {
 public:
  static constexpr std::size_t max_cards = 10'000;
  static constexpr std::size_t max_history = 5'000;

  struct limits {
    std::int64_t streaming_timeout_ms = 600'000;
    int rate_per_s = 10;
  };

  card_answer create(std::string_view app_id, const boost::json::object& body, std::int64_t now,
                     std::string card_id);
  card_answer content(std::string_view app_id, const std::string& card_id,
                      const std::string& element_id, const boost::json::object& body,
                      std::int64_t now, const limits& l);
  card_answer settings(std::string_view app_id, const std::string& card_id,
                       const boost::json::object& body, std::int64_t now, const limits& l);
  // PUT /cards/:card_id: the whole card replaced (same JSON 2.0 rules, sequence and rate).
  card_answer update(std::string_view app_id, const std::string& card_id,
                     const boost::json::object& body, std::int64_t now, const limits& l);
  // An `interactive` message referencing the card: 0, or the refusal code (unknown, sent before).
  card_answer attach(std::string_view app_id, const std::string& card_id,
                     const std::string& message_id);

  card_entity* find(const std::string& card_id);
  // An injected terminal fault (200850 / 300309): the platform ended streaming mode.
  void end_streaming(const std::string& card_id);
  boost::json::array to_json(std::int64_t now, const limits& l) const;
  void clear();

 private:
  card_answer check_common(card_entity& c, const boost::json::object& body, std::int64_t now,
                           const limits& l);
  std::unordered_map<std::string, card_entity> cards_;
  std::deque<std::string> order_;
};

}  // namespace patchbay::fakes::feishu
