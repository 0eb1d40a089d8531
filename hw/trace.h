#include "trace/trace-hw_vprime.h"
