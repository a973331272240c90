/* Compiles the ABI headers as strict C11 and checks the layout. */
#include "layout_expect.h"
PB_CHECK_LAYOUT();
int pb_layout_c11_checked(void) { return PB_ABI_MAJOR; }
