#include "app/heap.hpp"

#include <malloc.h>
#include <sched.h>

#include <algorithm>

namespace linli {

void bound_heap() {
  // Four arenas per core. Two (chosen for the soak's RSS: 118 -> 78 MB)
  // left two dozen threads queueing on two arena locks: perf during intake
  // showed 10 % of every thread's samples in __lll_lock_wait/wake under
  // malloc and free. Fewer arenas than glibc's eight per core still keep
  // freed memory from being stranded in one arena per thread, and
  // trim_heap() hands it back once a minute.
  // The cores this process may run on (a container's cpuset, taskset), not
  // the host's: a 2-core container on a 64-core host would otherwise get 256
  // arenas for two dozen threads. Capped at 16 all the same.
  cpu_set_t cpus;
  int n = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 2;
  mallopt(M_ARENA_MAX, std::clamp(4 * n, 2, 16));
  // A fixed threshold (setting it turns off glibc's upward adaptation):
  // buffers of 256 KiB and more are mapped on demand and unmapped when freed.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
}

void trim_heap() { malloc_trim(0); }

}  // namespace linli
