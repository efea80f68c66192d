/*
 * A full-port connect scan of one loopback address in C, one thread, three ways, to learn what a
 * scan's kernel work costs per port and whether io_uring can do it for less than epoll's loop:
 *
 *   scan reuse  [-c C] [-p LAST] ADDR   non-blocking sockets; connect() -> EINPROGRESS, a second
 *                                       connect() returns the refusal and disconnects the socket,
 *                                       which carries the next port (what tcpdial's epoll loop does
 *                                       for closed local ports); epoll_wait only for the rest
 *   scan uring  [-c C] [-p LAST] ADDR   C blocking sockets, IORING_OP_CONNECT; a socket whose
 *                                       connect was refused is given the next port as it is
 *   scan fresh  [-c C] [-p LAST] ADDR   a socket per port: socket() and IORING_OP_CONNECT linked to
 *                                       IORING_OP_CLOSE (what tcpdial's io_uring loop does)
 *
 * Ports 1..LAST (65535) of ADDR; run it in a network namespace of its own where nothing listens
 * (ip netns add X; ip netns exec X ip link set lo up). Prints one line: the mode, ports, seconds
 * of wall and CPU (user, system), and how many of each result (refused, open, other errno), plus
 * for uring how many connects on a reused socket came back with something else than a refusal
 * and were tried again on a fresh socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ring.h"

#define ENTRIES 1024
#define MAXC 256

static struct sockaddr_in base;
static long long refused, open_, other, retried;
static long long other_errno[256];


static void count(int res) {
  if (res == 0) open_++;
  else if (res == -ECONNREFUSED) refused++;
  else { other++; other_errno[-res > 0 && -res < 256 ? -res : 0]++; }
}

static int new_socket(int flags) {
  struct linger lg = {1, 0};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  return fd;
}

/* ---- epoll's way: two connects a port, the socket reused ---- */

static void scan_reuse(int last) {
  int fd = new_socket(SOCK_NONBLOCK);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct sockaddr_in sa = base;
  for (int port = 1; port <= last; port++) {
    sa.sin_port = htons((unsigned short)port);
    int r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (r != 0 && errno == EINPROGRESS) r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (r != 0 && errno == EALREADY) { /* not answered at once: wait for it */
      struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      epoll_wait(ep, &ev, 1, 2000);
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
      r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    }
    int e = r == 0 || errno == EISCONN ? 0 : errno;
    count(-e);
    if (e != ECONNREFUSED) { close(fd); fd = new_socket(SOCK_NONBLOCK); }
  }
  close(fd);
  close(ep);
}

/* ---- io_uring ---- */

static struct sockaddr_in slot_sa[MAXC];
static int slot_fd[MAXC], slot_port[MAXC];

static void submit_connect(int slot, int port, int fresh) {
  slot_sa[slot] = base;
  slot_sa[slot].sin_port = htons((unsigned short)port);
  slot_port[slot] = port;
  if (fresh || slot_fd[slot] < 0) slot_fd[slot] = new_socket(0);
  struct io_uring_sqe *c = next_sqe();
  c->opcode = IORING_OP_CONNECT;
  c->fd = slot_fd[slot];
  c->addr = (unsigned long)&slot_sa[slot];
  c->off = sizeof slot_sa[slot];
  c->user_data = (unsigned)slot;
  if (fresh) {
    c->flags = IOSQE_IO_HARDLINK;
    struct io_uring_sqe *x = next_sqe();
    x->opcode = IORING_OP_CLOSE;
    x->flags = IOSQE_CQE_SKIP_SUCCESS;
    x->fd = slot_fd[slot];
    x->user_data = 1ULL << 32;
    slot_fd[slot] = -1;
  }
}

static void scan_uring(int last, int conc, int fresh) {
  int port = 1, in_flight = 0;
  int tried_fresh[MAXC];
  for (int i = 0; i < conc; i++) { slot_fd[i] = -1; tried_fresh[i] = 0; }
  for (int i = 0; i < conc && port <= last; i++, in_flight++) submit_connect(i, port++, fresh);
  while (in_flight > 0) {
    int r = ring_enter(1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (r < 0 && errno != EINTR) { perror("io_uring_enter"); exit(1); }
    unsigned head = *cq_head;
    unsigned tail = atomic_load_explicit((_Atomic unsigned *)cq_tail, memory_order_acquire);
    for (; head != tail; head++) {
      struct io_uring_cqe *cqe = &cqes[head & *cq_mask];
      if (cqe->user_data >> 32) continue; /* a close that failed: ignore in this experiment */
      int slot = (int)cqe->user_data, res = cqe->res;
      if (!fresh && res != -ECONNREFUSED && res != 0 && !tried_fresh[slot]) {
        /* a reused socket said something else: once more on a fresh socket */
        retried++;
        tried_fresh[slot] = 1;
        close(slot_fd[slot]);
        slot_fd[slot] = -1;
        submit_connect(slot, slot_port[slot], 0);
        continue;
      }
      tried_fresh[slot] = 0;
      count(res);
      if (!fresh && res != -ECONNREFUSED) { close(slot_fd[slot]); slot_fd[slot] = -1; }
      if (port <= last) submit_connect(slot, port++, fresh);
      else in_flight--;
    }
    atomic_store_explicit((_Atomic unsigned *)cq_head, head, memory_order_release);
  }
  for (int i = 0; i < conc; i++) if (slot_fd[i] >= 0) close(slot_fd[i]);
}

int main(int argc, char **argv) {
  int conc = 64, last = 65535, opt;
  if (argc < 2) goto usage;
  const char *mode = argv[1];
  optind = 2;
  while ((opt = getopt(argc, argv, "c:p:")) != -1) {
    if (opt == 'c') conc = atoi(optarg);
    else if (opt == 'p') last = atoi(optarg);
    else goto usage;
  }
  if (optind >= argc || inet_pton(AF_INET, argv[optind], &base.sin_addr) != 1) goto usage;
  if (conc < 1 || conc > MAXC || last < 1 || last > 65535) goto usage;
  base.sin_family = AF_INET;
  double u0, s0, u1, s1, t0 = now_s();
  cpu_split(&u0, &s0);
  if (strcmp(mode, "reuse") == 0) scan_reuse(last);
  else if (strcmp(mode, "uring") == 0 || strcmp(mode, "fresh") == 0) {
    if (ring_setup(ENTRIES, ENTRIES * 4) != 0) return 1;
    scan_uring(last, conc, strcmp(mode, "fresh") == 0);
  } else goto usage;
  double t1 = now_s();
  cpu_split(&u1, &s1);
  printf("scan mode=%s ports=%d wall_s=%.3f user_s=%.3f sys_s=%.3f refused=%lld open=%lld other=%lld"
         " retried_fresh=%lld", mode, last, t1 - t0, u1 - u0, s1 - s0, refused, open_, other, retried);
  for (int e = 0; e < 256; e++) if (other_errno[e]) printf(" errno%d=%lld", e, other_errno[e]);
  printf("\n");
  return 0;
usage:
  fprintf(stderr, "usage: scan reuse|uring|fresh [-c C] [-p LAST_PORT] ADDR\n");
  return 2;
}
