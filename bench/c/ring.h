/*
 * A raw io_uring for the C benchmark programs (no liburing): set up, mapped, one SQE at a time.
 * One ring per program, used by one thread. Included by uring.c and scan.c.
 */
#ifndef TCPDIAL_BENCH_RING_H
#define TCPDIAL_BENCH_RING_H

#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int ring_fd;
static unsigned *sq_tail, *sq_mask, *cq_head, *cq_tail, *cq_mask;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;
static unsigned local_tail, to_submit;

/*
 * A ring of ENTRIES SQEs and CQ_ENTRIES CQEs, with IORING_SETUP_SINGLE_ISSUER |
 * IORING_SETUP_DEFER_TASKRUN where the kernel has them, else COOP_TASKRUN, else neither.
 * 0, or -1 after saying why.
 */
static inline int ring_setup(unsigned entries, unsigned cq_entries) {
  struct io_uring_params p;
  unsigned flags[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, 0};
  for (int i = 0; i < 3; i++) {
    memset(&p, 0, sizeof p);
    p.flags = flags[i] | IORING_SETUP_CQSIZE;
    p.cq_entries = cq_entries;
    ring_fd = (int)syscall(__NR_io_uring_setup, entries, &p);
    if (ring_fd >= 0) break;
  }
  if (ring_fd < 0) { perror("io_uring_setup"); return -1; }
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (cq_size > sq_size) sq_size = cq_size;
  char *sq = mmap(0, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) { perror("mmap"); return -1; }
  char *cq = sq; /* IORING_FEAT_SINGLE_MMAP: every kernel this runs on */
  sqes = mmap(0, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
              ring_fd, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) { perror("mmap"); return -1; }
  sq_tail = (unsigned *)(sq + p.sq_off.tail);
  sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  unsigned *array = (unsigned *)(sq + p.sq_off.array);
  for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;
  cq_head = (unsigned *)(cq + p.cq_off.head);
  cq_tail = (unsigned *)(cq + p.cq_off.tail);
  cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
  cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
  local_tail = *sq_tail;
  return 0;
}

/* The next SQE, zeroed; counted for the next ring_enter. */
static inline struct io_uring_sqe *next_sqe(void) {
  struct io_uring_sqe *s = &sqes[local_tail & *sq_mask];
  memset(s, 0, sizeof *s);
  local_tail++;
  to_submit++;
  return s;
}

/* Publishes the SQEs made since the last call and enters the ring; what io_uring_enter returned. */
static inline int ring_enter(unsigned min_complete, unsigned flags, void *arg, size_t arg_size) {
  atomic_store_explicit((_Atomic unsigned *)sq_tail, local_tail, memory_order_release);
  int r = (int)syscall(__NR_io_uring_enter, ring_fd, to_submit, min_complete, flags, arg, arg_size);
  if (r > 0) to_submit -= (unsigned)r > to_submit ? to_submit : (unsigned)r;
  return r;
}

#endif
