#pragma once
/* glibc's malloc tuning (mallopt, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD), which Glibc's Swift
   module does not export: Tensors' Allocator sets them. */
#include <malloc.h>
