/*
 * The io_uring reference connect loop (c-uring): single thread, raw system calls (no liburing).
 * Per connect: socket(), setsockopt(SO_LINGER 0), then IORING_OP_CONNECT hard-linked to
 * IORING_OP_CLOSE (no CQE when the close succeeds), submitted in batches: one io_uring_enter per
 * batch submits every connect started since the last one and waits for at least one CQE. The ring
 * is set up with IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN where the kernel has them.
 *
 *   uring -c C -w warmup_s -d duration_s [-n max_connects] [-t timeout_ms] ADDR:PORT...
 *
 * Same options and "result" line as client.c (the epoll reference). With -t, every connect gets a
 * deadline of its own in the kernel: the chain is CONNECT -> LINK_TIMEOUT -> CLOSE, the connect
 * and the timeout hard-linked, so the close runs whether the connect succeeded, failed or was
 * cancelled by its timeout. The timeout's CQE (-ECANCELED when the connect came first, -ETIME when
 * it fired) is counted apart; a connect its timeout cancelled ends with -ECANCELED.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ring.h"

#define MAX_TARGETS 64
#define ENTRIES 4096

static struct sockaddr_in targets[MAX_TARGETS];
static int ntargets, next_target;
static long long started, completed, in_flight;

static struct __kernel_timespec link_ts; /* -t: read by the kernel when the SQE is prepared */
static int link_timeout;
static long long timeouts_fired, timeouts_cancelled;


static void start_one(void) {
  struct linger lg = {1, 0};
  struct sockaddr_in *sa = &targets[next_target];
  next_target = (next_target + 1) % ntargets;
  started++;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { count_error(errno); return; }
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  struct io_uring_sqe *c = next_sqe();
  c->opcode = IORING_OP_CONNECT;
  c->flags = IOSQE_IO_HARDLINK;
  c->fd = fd;
  c->addr = (unsigned long)sa;
  c->off = sizeof *sa;
  c->user_data = 1;
  if (link_timeout) {
    struct io_uring_sqe *t = next_sqe();
    t->opcode = IORING_OP_LINK_TIMEOUT;
    t->flags = IOSQE_IO_HARDLINK; /* the close after it runs whatever the connect's end */
    t->addr = (unsigned long)&link_ts;
    t->len = 1;
    t->user_data = 3;
  }
  struct io_uring_sqe *x = next_sqe();
  x->opcode = IORING_OP_CLOSE;
  x->flags = IOSQE_CQE_SKIP_SUCCESS;
  x->fd = fd;
  x->user_data = 2;
  in_flight++;
}

int main(int argc, char **argv) {
  int conc = 64;
  double warm = 1, dur = 5;
  long long max_n = -1;
  int opt;
  while ((opt = getopt(argc, argv, "c:w:d:n:t:")) != -1) {
    if (opt == 'c') conc = atoi(optarg);
    else if (opt == 'w') warm = atof(optarg);
    else if (opt == 'd') dur = atof(optarg);
    else if (opt == 'n') max_n = atoll(optarg);
    else if (opt == 't') {
      long long ms = atoll(optarg);
      link_timeout = 1;
      link_ts.tv_sec = ms / 1000;
      link_ts.tv_nsec = (ms % 1000) * 1000000;
    }
    else { fprintf(stderr, "usage: uring -c C -w secs -d secs [-n max] [-t timeout_ms] ADDR:PORT...\n"); return 2; }
  }
  for (int i = optind; i < argc && ntargets < MAX_TARGETS; i++) {
    if (parse_addr(argv[i], &targets[ntargets]) != 0) { fprintf(stderr, "uring: bad address %s\n", argv[i]); return 2; }
    ntargets++;
  }
  if (ntargets == 0 || conc < 1 || conc > ENTRIES / 3) { fprintf(stderr, "uring: no targets, or C > %d\n", ENTRIES / 3); return 2; }
  if (ring_setup(ENTRIES, ENTRIES * 2) != 0) {
    printf("result client=c-uring conc=%d unavailable=io_uring_setup\n", conc);
    return 0;
  }
  if (max_n >= 0) warm = 0;

  double t0 = now_s();
  double t_measure = t0 + warm, t_end = t_measure + dur;
  int measuring = 0;
  long long c0 = 0, c1 = 0;
  double cpu0 = 0, m0 = t0, cpu1 = 0, m1 = 0;
  struct __kernel_timespec ts = {0, 100000000};
  struct io_uring_getevents_arg arg = {.sigmask = 0, .sigmask_sz = 8 /* _NSIG / 8 */, .ts = (unsigned long)&ts};

  for (;;) {
    double t = now_s();
    if (!measuring && t >= t_measure) { measuring = 1; c0 = completed; cpu0 = cpu_s(); m0 = t; }
    int issuing = t < t_end && (max_n < 0 || started < max_n);
    if (!issuing && m1 == 0) { m1 = t; c1 = completed; cpu1 = cpu_s(); }
    if (issuing) {
      while (in_flight < conc && (max_n < 0 || started < max_n)) start_one();
    } else if (in_flight == 0 || t > t_end + 5) {
      break;
    }
    int r = ring_enter(1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    if (r < 0 && errno != ETIME && errno != EINTR) { perror("io_uring_enter"); return 1; }
    unsigned head = *cq_head;
    unsigned tail = atomic_load_explicit((_Atomic unsigned *)cq_tail, memory_order_acquire);
    for (; head != tail; head++) {
      struct io_uring_cqe *cqe = &cqes[head & *cq_mask];
      if (cqe->user_data == 3) { /* the connect's timeout: cancelled (it came first) or fired */
        if (cqe->res == -ETIME) timeouts_fired++;
        else if (cqe->res == -ECANCELED || cqe->res == -ENOENT || cqe->res == -EALREADY) timeouts_cancelled++;
        else count_error(-cqe->res);
        continue;
      }
      if (cqe->user_data != 1) {
        if (cqe->res < 0) count_error(-cqe->res); /* a close that failed */
        continue;
      }
      if (cqe->res == 0) completed++; else count_error(-cqe->res);
      in_flight--;
    }
    atomic_store_explicit((_Atomic unsigned *)cq_head, head, memory_order_release);
  }
  print_errors("uring");
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  if (link_timeout)
    fprintf(stderr, "uring: link timeouts: %lld cancelled (connect first), %lld fired\n", timeouts_cancelled, timeouts_fired);
  printf("result client=c-uring%s conc=%d connects=%lld secs=%.3f cpu_secs=%.3f rss_kb=%ld errors=%lld total=%lld\n",
         link_timeout ? "-linkto" : "", conc, c1 - c0, m1 - m0, cpu1 - cpu0, ru.ru_maxrss, errors, completed);
  return 0;
}
