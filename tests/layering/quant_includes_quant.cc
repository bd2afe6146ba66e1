// Compiles in the quant layer's view: its own headers and its public ones.
#include "quant/code_scorer.h"
#include "tqdb/quantizer.h"
