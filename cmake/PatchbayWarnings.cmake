# Warnings for patchbay's own targets (not applied to third-party code).
function(patchbay_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                         -Wno-missing-field-initializers)
endfunction()
