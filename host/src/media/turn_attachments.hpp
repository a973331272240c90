// The attachment list of a channel turn's agent request (docs/architecture.md §6 and "Media"):
// `attachments: [{kind, name, mime_type, size, url, media_id}]`, each url the absolute
// `<base_url>/v1/media/<id>` of an id minted for the turn (valid url_ttl from the turn's start).
#pragma once

#include <boost/json/array.hpp>

#include <cstdint>
#include <string>

#include "media/media_service.hpp"
#include "messages/messages.hpp"

namespace patchbay::media {

boost::json::array turn_attachments(service& svc, const std::string& base_url,
                                    const std::string& turn_id, const messages::inbound_message& m,
                                    int64_t turn_start_unix_ms);

}  // namespace patchbay::media
