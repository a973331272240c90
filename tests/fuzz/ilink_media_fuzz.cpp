// libFuzzer target: the iLink media-item decoder (plugins/weixin/proto/ilink_media.hpp). Any
// bytes as a WeixinMessage → read_attachments must not crash, and every handle it makes must
// decode back to itself; any bytes as a handle → decode_media_id must not crash, and what it
// accepts must re-encode to the same text. Seed corpus: tests/fuzz/corpus/ilink_media.
#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "weixin/proto/ilink_media.hpp"

namespace wx = patchbay::weixin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto ref = wx::decode_media_id(in)) {
    if (wx::encode_media_id(*ref) != in) std::abort();
  }
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(in, ec);
  if (ec || !v.is_object()) return 0;
  std::string voice_text;
  for (const auto& a : wx::read_attachments(v.get_object(), voice_text)) {
    if (a.id.empty()) continue;
    const auto ref = wx::decode_media_id(a.id);
    if (!ref || wx::encode_media_id(*ref) != a.id) std::abort();
    (void)wx::media_download_url(*ref, "https://cdn.example/c2c");
  }
  return 0;
}
