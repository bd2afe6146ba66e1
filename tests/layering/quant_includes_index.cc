// Must not compile in the quant layer's view: the index layer is above it.
#include "index/vector_coder.h"
