// Internal to the protocol library: the JSON pieces every iLink request body shares, for the
// files that build bodies (ilink_protocol.cpp, ilink_media.cpp).
#pragma once

#include <string_view>

#include <boost/json/object.hpp>

#include "ilink_protocol.hpp"

namespace patchbay::weixin {

// base_info {channel_version, bot_agent} (§1.4).
boost::json::object base_info_json(const client_identity& id);
// sendmessage's `msg` without item_list: from_user_id "", to_user_id, client_id, message_type 2,
// message_state 2, and context_token when not empty (§4.1).
boost::json::object sendmessage_msg(std::string_view to_user, std::string_view context_token,
                                    std::string_view client_id);

}  // namespace patchbay::weixin
