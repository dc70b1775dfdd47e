#include "app/heap.hpp"

#include <malloc.h>

namespace linli {

void bound_heap() {
  // Two cores, a few dozen threads: two arenas keep contention low and stop
  // each thread's freed memory being stranded in its own arena.
  mallopt(M_ARENA_MAX, 2);
  // A fixed threshold (setting it turns off glibc's upward adaptation):
  // buffers of 256 KiB and more are mapped on demand and unmapped when freed.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
}

void trim_heap() { malloc_trim(0); }

}  // namespace linli
