// SPDX-License-Identifier: MIT
/*
 * smp_block.c - blocking on behalf of a CPU: locks, condition variables
 * and sleeps that keep taking the CPU's IPIs in poll delivery (smp.h).
 */
#include "sb.h"
#include "smp_internal.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

static bool block_must_poll(void)
{
	return wl_ipi_poll_mode && wl_irq.cpu;
}

static void block_backoff(unsigned int *turn)
{
	struct timespec ts = {0, 20000};

	wl_ipi_poll();
	if ((*turn)++ < 16)
		sched_yield();
	else
		nanosleep(&ts, NULL);
}

/*
 * A lock that is not free at once is a wait for the CPU that holds it:
 * its time is not the waiter's own (wl_wait_account_enter(); the torture
 * watchdog leaves it out, as the holder may be a CPU the host starves).
 */
int wl_mutex_lock(pthread_mutex_t *m)
{
	unsigned int turn = 0;
	int ret;

	if ((ret = pthread_mutex_trylock(m)) != EBUSY)
		return ret;
	wl_wait_account_enter();
	if (!block_must_poll())
		ret = pthread_mutex_lock(m);
	else
		while ((ret = pthread_mutex_trylock(m)) == EBUSY)
			block_backoff(&turn);
	wl_wait_account_exit();
	return ret;
}

int wl_rwlock_rdlock(pthread_rwlock_t *rw)
{
	unsigned int turn = 0;
	int ret;

	if ((ret = pthread_rwlock_tryrdlock(rw)) != EBUSY)
		return ret;
	wl_wait_account_enter();
	if (!block_must_poll())
		ret = pthread_rwlock_rdlock(rw);
	else
		while ((ret = pthread_rwlock_tryrdlock(rw)) == EBUSY)
			block_backoff(&turn);
	wl_wait_account_exit();
	return ret;
}

int wl_rwlock_wrlock(pthread_rwlock_t *rw)
{
	unsigned int turn = 0;
	int ret;

	if ((ret = pthread_rwlock_trywrlock(rw)) != EBUSY)
		return ret;
	wl_wait_account_enter();
	if (!block_must_poll())
		ret = pthread_rwlock_wrlock(rw);
	else
		while ((ret = pthread_rwlock_trywrlock(rw)) == EBUSY)
			block_backoff(&turn);
	wl_wait_account_exit();
	return ret;
}

int wl_cond_wait(pthread_cond_t *cond, pthread_mutex_t *m)
{
	struct timespec ts;
	int ret;

	wl_sb_barrier(WL_SB_DRAIN_SCHED); /* blocking: a context switch */
	if (!block_must_poll()) {
		wl_wait_account_enter();
		ret = pthread_cond_wait(cond, m);
		wl_wait_account_exit();
		return ret;
	}
	wl_ipi_poll();
	/* The default condvar clock; a spurious wake-up is allowed. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += POLL_BLOCK_NS;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	wl_wait_account_enter();
	ret = pthread_cond_timedwait(cond, m, &ts);
	wl_wait_account_exit();
	wl_ipi_poll();
	return ret == ETIMEDOUT ? 0 : ret;
}

void wl_sleep_ns(uint64_t ns)
{
	uint64_t end = wl_now_ns() + ns, now, step;
	struct timespec ts;

	wl_sb_barrier(WL_SB_DRAIN_SCHED); /* sleeping: a context switch */

	while ((now = wl_now_ns()) < end) {
		step = end - now;
		if (block_must_poll()) {
			wl_ipi_poll();
			step = WL_MIN(step, (uint64_t)POLL_BLOCK_NS);
		}
		ts.tv_sec = (time_t)(step / 1000000000u);
		ts.tv_nsec = (long)(step % 1000000000u);
		nanosleep(&ts, NULL); /* EINTR: an IPI; the loop goes on */
	}
	if (block_must_poll())
		wl_ipi_poll();
}
