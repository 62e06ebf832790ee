// SPDX-License-Identifier: MIT
/*
 * rcu_free.c - see rcu_free.h.
 */
#include "rcu_free.h"
#include "rcu_flavor.h"

#include <assert.h>

#if WL_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* liburcu's rcu_head must fit where the core left room for it. */
static_assert(sizeof(struct rcu_head) <=
		      sizeof(((struct wl_table_batch *)0)->backend_head),
	      "rcu_head does not fit in wl_table_batch.backend_head");
static_assert(sizeof(struct rcu_head) <=
		      sizeof(((struct wl_ptdesc *)0)->backend_head),
	      "rcu_head does not fit in wl_ptdesc.backend_head");
static_assert(alignof(struct rcu_head) <= 16,
	      "backend_head is only 16-byte aligned");

/* Is this thread registered with liburcu (by rcu_tables_cpu_online())? */
static _Thread_local bool registered;
/* Nesting of rcu_tables_blocking_begin() on this thread. */
static _Thread_local unsigned int blocking;

/*
 * ThreadSanitizer does not see inside liburcu (not instrumented), so the
 * happens-before edge from call_rcu() to the callback, which liburcu's
 * queue provides (a full-barrier exchange on enqueue), is invisible to it:
 * name it explicitly, on the rcu_head's address.
 */
static inline void tsan_handoff(void *p)
{
#if WL_TSAN
	__tsan_release(p);
#else
	(void)p;
#endif
}

static inline void tsan_takeover(void *p)
{
#if WL_TSAN
	__tsan_acquire(p);
#else
	(void)p;
#endif
}

/*
 * The same for rcu_barrier(): every callback queued before it has
 * returned when it returns (liburcu's completion count and futex).  Each
 * callback releases drain_sync when done; the drain acquires it.
 */
static char drain_sync;

int rcu_tables_init(void)
{
	/* Create the call_rcu thread now, not in the first free. */
	(void)WL_URCU(get_default_call_rcu_data)();
	return 0;
}

void rcu_tables_drain(void)
{
	/* liburcu puts a qsbr caller offline for the wait. */
	WL_URCU(barrier)();
	tsan_takeover(&drain_sync);
}

void rcu_tables_cpu_online(void)
{
	WL_URCU(register_thread)();
	registered = true;
}

void rcu_tables_cpu_offline(void)
{
	registered = false;
	blocking = 0;
	WL_URCU(unregister_thread)();
}

void rcu_tables_quiescent(void)
{
	/*
	 * Unregistered, quiescent_state() would store a counter that
	 * register_thread() later asserts to be zero.
	 */
	if (registered)
		WL_URCU(quiescent_state)();
}

/*
 * qsbr: a CPU about to block is offline for the duration (the kernel's
 * context switch), so that a grace period waited for by the thread it
 * blocks on does not wait for it in turn.  No-op on other flavors (their
 * thread_offline/online are empty).  liburcu's offline and online carry
 * the barriers: what the CPU read before is ordered before the store that
 * takes it offline, which the grace period reads.
 */
void rcu_tables_blocking_begin(void)
{
	if (registered && !blocking++)
		WL_URCU(thread_offline)();
}

void rcu_tables_blocking_end(void)
{
	if (registered && blocking && !--blocking)
		WL_URCU(thread_online)();
}

/*
 * call_rcu() must be called by a registered thread (it takes the read
 * lock to find its call_rcu thread).  CPUs are registered; a writer that
 * is not a CPU (a set-up or tear-down thread) registers for the call.
 */
static void call_rcu_any(struct rcu_head *head,
			 void (*func)(struct rcu_head *head))
{
	tsan_handoff(head);
	wl_cpu_count(WL_EV_GP_CALL, 1);
	if (registered) {
		WL_URCU(call_rcu)(head, func);
		return;
	}
	WL_URCU(register_thread)();
	WL_URCU(call_rcu)(head, func);
	WL_URCU(unregister_thread)();
}

/* tlb_remove_table_rcu(): a grace period after the call_rcu(). */
static void batch_free_rcu(struct rcu_head *head)
{
	struct wl_table_batch *batch = wl_container_of(
		(unsigned char *)head, struct wl_table_batch, backend_head);

	tsan_takeover(head);
	wl_table_batch_release(batch);
	tsan_handoff(&drain_sync);
}

static void table_free_rcu(struct rcu_head *head)
{
	struct wl_ptdesc *d = wl_container_of((unsigned char *)head,
					      struct wl_ptdesc, backend_head);

	tsan_takeover(head);
	wl_table_release_one((uint32_t)(d - wl_tables.desc));
	tsan_handoff(&drain_sync);
}

void rcu_tables_free_batch(struct wl_table_batch *batch)
{
	call_rcu_any((struct rcu_head *)(void *)batch->backend_head,
		     batch_free_rcu);
}

void rcu_tables_free_one(uint32_t table)
{
	call_rcu_any((struct rcu_head *)(void *)wl_ptdesc(table)->backend_head,
		     table_free_rcu);
}

void rcu_tables_sync(void)
{
	wl_cpu_count(WL_EV_GP_SYNC, 1);
	/* Any thread may call it; liburcu puts a qsbr caller offline. */
	WL_URCU(synchronize_rcu)();
}
