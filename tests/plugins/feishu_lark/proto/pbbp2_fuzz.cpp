// Fuzz target for the pbbp2 codec and what consumes a decoded frame. The input is one WebSocket
// message. Aborts when:
//   - a frame that decoded does not survive encode → decode unchanged (round trip);
//   - decoding under tight limits succeeds where it must not;
//   - the reassembler's byte accounting breaks its bound.
// Everything else (pong config, fragment reassembly, event envelope and message parsing of the
// payload) only has to return without crashing, leaking or tripping a sanitizer. Built with
// libFuzzer under PATCHBAY_FUZZ=ON (this directory), and with a plain main() as the corpus replay
// test pbbp2_fuzz_corpus.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "feishu_lark/proto/events.hpp"
#include "feishu_lark/proto/fragments.hpp"
#include "feishu_lark/proto/pbbp2.hpp"
#include "feishu_lark/proto/ws_frames.hpp"

namespace {

namespace fam = patchbay::plugins::feishu_family;
namespace pb = fam::pbbp2;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "pbbp2_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  pb::frame f;
  if (pb::decode(bytes, f) != pb::decode_error::none) return 0;

  pb::frame again;
  if (pb::decode(pb::encode(f), again) != pb::decode_error::none || !(again == f))
    fail("round trip changed the frame");

  pb::decode_limits tight;
  tight.max_headers = 1;
  if (f.headers.size() > 1 && pb::decode(bytes, again, tight) == pb::decode_error::none)
    fail("max_headers not enforced");

  (void)pb::kind_of(f);
  (void)fam::parse_pong(f);
  (void)fam::classify_data_frame(f);
  (void)pb::encode(fam::make_ack(f, 200, 1, std::string_view("{}")));

  fam::reassembly_limits l;
  l.max_total_bytes = 4096;
  l.max_message_bytes = 2048;
  l.max_pending = 4;
  fam::fragment_reassembler r(l);
  for (int64_t t = 0; t < 3; ++t) {
    auto out = r.add(f, t * 4000);
    if (r.pending_bytes() > l.max_total_bytes) fail("reassembly bytes over the bound");
    if (out.status == fam::fragment_status::complete && out.frame.payload) {
      if (auto env = fam::parse_envelope(*out.frame.payload)) {
        (void)fam::parse_message_event(*env, {"ou_bot", true});
        (void)fam::parse_card_action(*env);
      }
    }
  }
  return 0;
}
