// Must not compile in the index layer's view: the database API is above it.
#include "tqdb/database.h"
