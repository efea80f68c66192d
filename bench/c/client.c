/*
 * The reference connect loop: single thread, non-blocking sockets, one epoll set.
 * Per connect: socket(SOCK_NONBLOCK), setsockopt(SO_LINGER 0), connect -> EINPROGRESS,
 * epoll_ctl(ADD, EPOLLOUT), epoll_wait, getsockopt(SO_ERROR), close. Keeps C connects in flight.
 *
 *   client -c C -w warmup_s -d duration_s [-n max_connects] ADDR:PORT...
 *
 * With -n the run stops issuing after that many connects (no warm-up; for syscall counting).
 * Prints one "result" line in the format every client of the benchmark uses.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define MAX_TARGETS 64

static struct sockaddr_in targets[MAX_TARGETS];
static int ntargets, next_target;
static int ep;
static long long started, completed, in_flight;


/* Starts one connect; returns 0 when it is in flight or done, -1 on a local failure. */
static void start_one(void) {
  struct linger lg = {1, 0};
  struct sockaddr_in *sa = &targets[next_target];
  next_target = (next_target + 1) % ntargets;
  started++;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) { count_error(errno); return; }
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  if (connect(fd, (struct sockaddr *)sa, sizeof *sa) == 0) {
    completed++;
    close(fd);
    return;
  }
  if (errno != EINPROGRESS) { count_error(errno); close(fd); return; }
  struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) { count_error(errno); close(fd); return; }
  in_flight++;
}

int main(int argc, char **argv) {
  int conc = 64;
  double warm = 1, dur = 5;
  long long max_n = -1;
  int opt;
  while ((opt = getopt(argc, argv, "c:w:d:n:")) != -1) {
    if (opt == 'c') conc = atoi(optarg);
    else if (opt == 'w') warm = atof(optarg);
    else if (opt == 'd') dur = atof(optarg);
    else if (opt == 'n') max_n = atoll(optarg);
    else { fprintf(stderr, "usage: client -c C -w secs -d secs [-n max] ADDR:PORT...\n"); return 2; }
  }
  for (int i = optind; i < argc && ntargets < MAX_TARGETS; i++) {
    if (parse_addr(argv[i], &targets[ntargets]) != 0) { fprintf(stderr, "client: bad address %s\n", argv[i]); return 2; }
    ntargets++;
  }
  if (ntargets == 0 || conc < 1) { fprintf(stderr, "client: no targets\n"); return 2; }
  ep = epoll_create1(0);
  if (max_n >= 0) warm = 0;

  double t0 = now_s();
  double t_measure = t0 + warm, t_end = t_measure + dur;
  int measuring = 0;
  long long c0 = 0;
  double cpu0 = 0, m0 = t0;
  long long c1 = 0;
  double cpu1 = 0, m1 = 0;
  struct epoll_event evs[256];

  for (;;) {
    double t = now_s();
    if (!measuring && t >= t_measure) { measuring = 1; c0 = completed; cpu0 = cpu_s(); m0 = t; }
    int issuing = t < t_end && (max_n < 0 || started < max_n);
    if (!issuing && m1 == 0) { m1 = t; c1 = completed; cpu1 = cpu_s(); }
    if (issuing) {
      while (in_flight < conc && (max_n < 0 || started < max_n)) {
        start_one();
        if (errors > 1000 && errors * 2 > started) { fprintf(stderr, "client: too many errors\n"); t_end = 0; break; }
      }
    } else if (in_flight == 0 || t > t_end + 5) {
      break;
    }
    int n = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) completed++; else count_error(err);
      close(fd);
      in_flight--;
    }
  }
  print_errors("client");
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("result client=c-epoll conc=%d connects=%lld secs=%.3f cpu_secs=%.3f rss_kb=%ld errors=%lld total=%lld\n",
         conc, c1 - c0, m1 - m0, cpu1 - cpu0, ru.ru_maxrss, errors, completed);
  return 0;
}
