// glibc malloc settings for a long-running server. Without them a soak's RSS
// creeps up although nothing leaks (heaptrack: no leak; /metrics: the heap's
// free bytes grow): every thread gets its own arena, freed SQLite pages and
// response buffers stay inside the arenas, and the mmap threshold adapts
// upwards so large buffers land in the arenas too.
#pragma once

namespace linli {

// Call once, before the server's threads start.
void bound_heap();
// Hands whole free pages back to the kernel; cheap enough once a minute.
void trim_heap();

}  // namespace linli
