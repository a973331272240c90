#include "media/turn_attachments.hpp"

#include <boost/json.hpp>

namespace patchbay::media {

boost::json::array turn_attachments(service& svc, const std::string& base_url,
                                    const std::string& turn_id, const messages::inbound_message& m,
                                    int64_t turn_start_unix_ms) {
  boost::json::array out;
  for (std::size_t i = 0; i < m.attachments.size(); ++i) {
    const auto& a = m.attachments[i];
    const std::string id = svc.mint(
        turn_id, i, source{m.channel_id, m.conversation_id, m.message_id, m.reply_context, a},
        turn_start_unix_ms);
    std::string url = base_url;
    url.append("/v1/media/").append(id);
    out.push_back(boost::json::object{{"kind", a.kind},
                                      {"name", a.name},
                                      {"mime_type", a.mime_type},
                                      {"size", a.size},
                                      {"media_id", id},
                                      {"url", url}});
  }
  return out;
}

}  // namespace patchbay::media
