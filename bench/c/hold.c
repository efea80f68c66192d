/*
 * A listener that never accepts, its accept queue filled by itself: every further SYN to it is
 * dropped by the kernel (the far side sees silence, as behind a full server).
 *
 *   hold ADDR:PORT     prints "ready" once the queue is full, then sleeps until killed
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: hold ADDR:PORT\n"); return 2; }
  char host[64];
  const char *colon = strrchr(argv[1], ':');
  if (!colon || (size_t)(colon - argv[1]) >= sizeof host) { fprintf(stderr, "hold: bad address\n"); return 2; }
  memcpy(host, argv[1], colon - argv[1]);
  host[colon - argv[1]] = 0;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) { fprintf(stderr, "hold: bad address\n"); return 2; }
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 1)) { perror("hold: listen"); return 1; }
  for (int i = 0; i < 64; i++) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(c, (struct sockaddr *)&sa, sizeof sa) == 0) continue;
    if (errno != EINPROGRESS) { perror("hold: connect"); return 1; }
    struct pollfd p = { .fd = c, .events = POLLOUT };
    if (poll(&p, 1, 300) == 0) { printf("ready\n"); fflush(stdout); pause(); return 0; }
  }
  fprintf(stderr, "hold: the accept queue never filled\n");
  return 1;
}
