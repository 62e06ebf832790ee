/*
 * none.pml - no synchronization (backends/none): the walker only walks, the
 * writer frees right after the flush.  The negative control of every arch.
 */
#define WALK_BEGIN(c) P(c, sect_begin, 0)
#define WALK_END(c) P(c, sect_end, 0)
#define FREE_WAIT() skip
#define SYNC() skip
#define WRITER_MUNMAP
#include "common.pml"
