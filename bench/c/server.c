/*
 * Accept-and-close TCP server for the connect benchmarks: one thread, one epoll set, several
 * loopback listeners. Every accepted connection is closed at once (a plain close: the clients
 * close with SO_LINGER 0, and their RST ends the server's side too, so no TIME_WAIT is left).
 *
 *   server [-t max_seconds] [-b backlog] ADDR:PORT...
 *
 * Prints "ready" once every listener is up, runs until SIGINT/SIGTERM or max_seconds (default
 * 3600), then prints how many connections it accepted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }


int main(int argc, char **argv) {
  int backlog = 4096;
  double max_s = 3600;
  int opt;
  while ((opt = getopt(argc, argv, "t:b:")) != -1) {
    if (opt == 't') max_s = atof(optarg);
    else if (opt == 'b') backlog = atoi(optarg);
    else { fprintf(stderr, "usage: server [-t secs] [-b backlog] ADDR:PORT...\n"); return 2; }
  }
  if (optind >= argc) { fprintf(stderr, "server: no ADDR:PORT given\n"); return 2; }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) { perror("epoll_create1"); return 1; }
  for (int i = optind; i < argc; i++) {
    struct sockaddr_in sa;
    if (parse_addr(argv[i], &sa) != 0) { fprintf(stderr, "server: bad address %s\n", argv[i]); return 2; }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
      fprintf(stderr, "server: bind %s: %s\n", argv[i], strerror(errno));
      return 1;
    }
    if (listen(fd, backlog) != 0) { perror("listen"); return 1; }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  printf("ready\n");
  fflush(stdout);

  unsigned long long accepted = 0, errors = 0;
  double end = now_s() + max_s;
  struct epoll_event evs[64];
  while (!stop && now_s() < end) {
    int n = epoll_wait(ep, evs, 64, 500);
    for (int i = 0; i < n; i++) {
      int lfd = evs[i].data.fd;
      for (int k = 0; k < 256; k++) { /* bounded per wakeup so every listener gets its turn */
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
          if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) errors++;
          break;
        }
        accepted++;
        close(c);
      }
    }
  }
  printf("server accepted=%llu errors=%llu\n", accepted, errors);
  return 0;
}
