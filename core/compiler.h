/* SPDX-License-Identifier: MIT */
/*
 * compiler.h - compiler and memory-model helpers shared by all of walklab.
 *
 * The simulated kernel uses C11 <stdatomic.h> for every shared word.  The
 * kernel's READ_ONCE()/WRITE_ONCE() become relaxed atomic accesses, which is
 * what they are in the LKMM for aligned machine words; smp_mb() is a C11
 * seq_cst fence.  Every use of a non-relaxed ordering or a fence must say in
 * a comment what it orders and name its pair on the other side.
 */
#ifndef WALKLAB_COMPILER_H
#define WALKLAB_COMPILER_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define WL_CACHELINE	       64
#define __wl_cacheline_aligned alignas(WL_CACHELINE)
#define __wl_unused	       __attribute__((unused))
#define __wl_noinline	       __attribute__((noinline))
#define __wl_always_inline     inline __attribute__((always_inline))
#define __wl_printf(a, b)      __attribute__((format(printf, a, b)))

#define WL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WL_MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define WL_MAX(a, b)	 ((a) > (b) ? (a) : (b))

#define wl_container_of(ptr, type, member)                                     \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* READ_ONCE()/WRITE_ONCE() on _Atomic objects. */
#define READ_ONCE(x)	 atomic_load_explicit(&(x), memory_order_relaxed)
#define WRITE_ONCE(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)

/*
 * smp_mb() - full barrier.  The caller's comment names the pair.  It also
 * drains this CPU's simulated store buffer (core/sb.h, torture
 * --inject-sb): wl_sb_pending is non-zero only while a store is buffered,
 * never when the option is off, so the cost off is one thread-local test.
 * barrier() - compiler barrier only.
 */
extern _Thread_local unsigned int wl_sb_pending;
void wl_sb_drain(void);
#if defined(__SANITIZE_THREAD__)
/*
 * ThreadSanitizer does not model fences, and gcc rejects them under it
 * (-Wtsan).  A locked RMW on a word of this thread's own is a full barrier
 * on x86 and gives TSan no synchronization, as a fence would give it none.
 * It orders what the caller's comment says, with the pair named there.
 */
static inline void wl_full_fence(void)
{
	static _Thread_local _Atomic unsigned long word;

	/* seq_cst: orders as the caller's comment says (see above) */
	atomic_fetch_add_explicit(&word, 0, memory_order_seq_cst);
}
#else
/* The fence; the caller's comment names what it orders and its pair. */
#define wl_full_fence() atomic_thread_fence(memory_order_seq_cst)
#endif
#define smp_mb()                                                               \
	do {                                                                   \
		if (unlikely(wl_sb_pending))                                   \
			wl_sb_drain();                                         \
		/* orders as the caller's comment says */                      \
		wl_full_fence();                                               \
	} while (0)
/*
 * __smp_mb() - the bare fence, without smp_mb()'s store-buffer test: only
 * where the caller has just found --inject-sb off (nothing is buffered).
 * The caller's comment names what it orders and its pair.
 */
#define __smp_mb() wl_full_fence() /* orders: see above */
#define barrier()  atomic_signal_fence(memory_order_seq_cst)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	barrier();
#endif
}

/* Thread sanitizer detection (gcc defines the macro, clang the feature). */
#if defined(__SANITIZE_THREAD__)
#define WL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WL_TSAN 1
#endif
#endif
#ifndef WL_TSAN
#define WL_TSAN 0
#endif

/*
 * smp_rmb()/smp_wmb() as C11 fences: an acquire fence orders earlier loads
 * before later loads (and stores), a release fence earlier stores (and
 * loads) before later stores: each at least what the kernel's gives.  A
 * release fence before a relaxed store pairs with an acquire fence after
 * a relaxed load that reads it (fence-fence synchronization, C11 7.17.4).
 * ThreadSanitizer does not model fences (gcc rejects them, -Wtsan): its
 * builds get a compiler barrier, which is all either is on x86; every
 * access these order is atomic, so TSan reports no race either way.
 */
#if WL_TSAN
#define smp_rmb() barrier()
#define smp_wmb() barrier()
#else
/* Each caller's comment names what it orders and its pair. */
#define smp_rmb() atomic_thread_fence(memory_order_acquire)
#define smp_wmb() atomic_thread_fence(memory_order_release)
#endif

#endif /* WALKLAB_COMPILER_H */
