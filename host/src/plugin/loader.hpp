// patchbay plugin loader: finds plugin shared objects, loads them with Boost.DLL
// (RTLD_NOW | RTLD_LOCAL), calls the ABI entry once per library and validates the descriptor.
// A refusal is a value naming the file, the reason and the fix; it never throws and never
// affects other plugins. A library that loaded successfully stays loaded until the process exits.
//
// Before dlopen the file is checked (elf_check.hpp): an incomplete or foreign file is refused
// instead of crashing the process. A file that was loaded is remembered by its canonical path and
// identity (device, inode, size, modification time); loading it again returns the same module
// while the file is unchanged, and is refused once the file was replaced or rewritten (libraries
// are never unloaded, so the new build cannot replace the old one in this process). Files refused
// before dlopen are checked afresh on every load, so a fixed or newly copied file loads later
// (e.g. on a config reload).
//
// Thread safety: a loader is used from one thread (start-up, then the host's control thread);
// plugin_module is immutable.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "patchbay/pb_plugin.h"
#include "plugin/elf_check.hpp"

namespace patchbay::plugin {

struct plugin_module {
  std::string path;  // canonical path of the shared object
  std::string name, version, platform, description;
  uint32_t abi_major = 0, abi_minor = 0;
  pb_capabilities caps{};         // zero-filled copy of what the plugin declared
  pb_plugin_vtable vt{};          // zero-filled copy; every function checked non-null
  std::shared_ptr<void> library;  // the shared object (never unloaded, see loader.cpp)
};

// Whether the host may hand this plugin pb_outbound_message.attachment: built against ABI minor 3
// or later and declaring can_attachments = yes.
inline bool can_send_attachments(const plugin_module& m) {
  return m.abi_minor >= 3 && m.caps.can_attachments == PB_YES;
}

// Whether at most one process may run an instance of this plugin at a time (ABI minor 4
// single_consumer = yes): with several replicas the host runs it under a lease
// (state/lease_table.hpp). Older plugins read as zero-filled: no.
inline bool single_consumer(const plugin_module& m) {
  return m.abi_minor >= 4 && m.caps.single_consumer == PB_YES;
}

struct load_error {
  std::string file;
  std::string reason;
  std::string fix;
  std::string to_string() const;  // "<file>: <reason>; fix: <fix>"
};

struct load_outcome {
  std::shared_ptr<const plugin_module> module;
  std::optional<load_error> error;
};

class loader {
 public:
  explicit loader(std::vector<std::string> plugin_dirs);

  // `name_or_path`: a plugin name (searched as patchbay_<name>.so in the plugin dirs, in order)
  // or a path (contains '/'). Loading the same file twice returns the same module.
  load_outcome load(const std::string& name_or_path);

  // Every *.so file in the plugin dirs, sorted per dir.
  std::vector<std::string> scan() const;

  const std::vector<std::string>& dirs() const { return dirs_; }
  // Searched by later load(name) calls (a reload with other host.plugin_dirs).
  void set_dirs(std::vector<std::string> plugin_dirs);

 private:
  load_outcome load_file(const std::string& path);

  struct cached {
    load_outcome out;  // the module, or why the opened library was refused
    file_identity id;  // the file that was opened
  };
  std::vector<std::string> dirs_;
  std::map<std::string, cached> cache_;  // files that were opened, by canonical path
};

// "limit=30000 codepoints edit=yes typing=no ephemeral=no reply_token=none edit_interval=500ms
//  max_edits=20"
std::string describe_capabilities(const pb_capabilities& caps);

// File name of the plugin called `name`: "patchbay_<name>.so".
std::string plugin_file_name(const std::string& name);

}  // namespace patchbay::plugin
