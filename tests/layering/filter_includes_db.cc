// Must not compile: the filter layer sees only itself (its payload semantics know nothing of
// collections or indexes).
#include "db/payload_index.h"
