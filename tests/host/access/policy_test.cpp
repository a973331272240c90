// The precedence rule of docs/architecture.md "Access control", as a table:
//   explicit deny > allowlist > approved pairing > policy default
#include <gtest/gtest.h>

#include "access/policy.hpp"
#include "patchbay/pb_messages.h"

namespace {
using patchbay::access::decision;
using patchbay::config::dm_policy;

struct dm_row {
  dm_policy policy;
  std::vector<std::string> allow, deny;
  bool approved;
  decision expected;
};

TEST(AccessPrecedence, DirectMessageTable) {
  const std::vector<dm_row> table = {
      // policy default alone
      {dm_policy::allowlist, {}, {}, false, decision::stranger},
      {dm_policy::pairing, {}, {}, false, decision::needs_pairing},
      {dm_policy::open, {}, {}, false, decision::admit},
      {dm_policy::disabled, {}, {}, false, decision::dms_disabled},
      // approved pairing > policy default
      {dm_policy::allowlist, {}, {}, true, decision::admit},
      {dm_policy::pairing, {}, {}, true, decision::admit},
      // allowlist > policy default (and > pairing: listed senders need no code)
      {dm_policy::allowlist, {"u1"}, {}, false, decision::admit},
      {dm_policy::pairing, {"u1"}, {}, false, decision::admit},
      {dm_policy::allowlist, {"other"}, {}, false, decision::stranger},
      // explicit deny > allowlist > approved pairing > open
      {dm_policy::allowlist, {"u1"}, {"u1"}, true, decision::denied},
      {dm_policy::open, {}, {"u1"}, false, decision::denied},
      {dm_policy::pairing, {}, {"u1"}, true, decision::denied},
      {dm_policy::open, {"*"}, {"u1"}, false, decision::denied},
      // the wildcard is an explicit allow (or deny) of everyone
      {dm_policy::allowlist, {"*"}, {}, false, decision::admit},
      {dm_policy::open, {}, {"*"}, false, decision::denied},
      // disabled switches DMs off before the rule
      {dm_policy::disabled, {"u1"}, {}, true, decision::dms_disabled},
  };
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& r = table[i];
    patchbay::config::access_config cfg;
    cfg.dm = r.policy;
    cfg.allow = r.allow;
    cfg.deny = r.deny;
    EXPECT_EQ(patchbay::access::decide_dm(cfg, "u1", r.approved), r.expected)
        << "row " << i << ": expected " << patchbay::access::to_string(r.expected);
  }
}

patchbay::messages::inbound_message group_msg(std::vector<patchbay::messages::mention> mentions) {
  patchbay::messages::inbound_message m;
  m.conversation_kind = PB_CONVERSATION_GROUP;
  m.conversation_id = "g1";
  m.sender_id = "u1";
  m.mentions = std::move(mentions);
  return m;
}

TEST(AccessPrecedence, GroupTable) {
  const patchbay::messages::mention self{"bot", "Bot", PB_YES};
  const patchbay::messages::mention other_bot{"bot2", "Other", PB_NO};
  const patchbay::messages::mention all{"all", "all", PB_NO};
  struct row {
    std::vector<std::string> groups, deny;
    bool require_mention, mention_all;
    std::vector<patchbay::messages::mention> mentions;
    decision expected;
  };
  const std::vector<row> table = {
      {{}, {}, true, false, {self}, decision::group_refused},
      {{"g2"}, {}, true, false, {self}, decision::group_refused},
      {{"g1"}, {}, true, false, {self}, decision::admit},
      {{"*"}, {}, true, false, {self}, decision::admit},
      {{"g1"}, {}, true, false, {}, decision::not_mentioned},
      {{"g1"}, {}, true, false, {other_bot}, decision::not_mentioned},
      {{"g1"}, {}, true, false, {all}, decision::not_mentioned},
      {{"g1"}, {}, true, true, {all}, decision::admit},
      {{"g1"}, {}, false, false, {}, decision::admit},
      {{"g1"}, {"u1"}, true, false, {self}, decision::denied},
  };
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& r = table[i];
    patchbay::config::access_config cfg;
    cfg.dm = dm_policy::open;  // DM policy does not apply to groups
    cfg.groups.allow = r.groups;
    cfg.deny = r.deny;
    cfg.groups.require_mention = r.require_mention;
    cfg.groups.mention_all = r.mention_all;
    EXPECT_EQ(patchbay::access::decide_group(cfg, group_msg(r.mentions)), r.expected)
        << "row " << i << ": expected " << patchbay::access::to_string(r.expected);
  }
}

TEST(AccessPrecedence, WildcardsAreNamed) {
  patchbay::config::channel_config ch;
  EXPECT_TRUE(patchbay::access::wildcard_warnings(ch).empty());
  ch.access.allow = {"*"};
  ch.access.groups.allow = {"*"};
  EXPECT_EQ(patchbay::access::wildcard_warnings(ch).size(), 2U);
}

}  // namespace
