/*
 * What the C benchmark programs share: clocks, ADDR:PORT parsing, and errno counts for the
 * connects that failed. Each program is one translation unit that includes this once.
 */
#ifndef TCPDIAL_BENCH_COMMON_H
#define TCPDIAL_BENCH_COMMON_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This process's CPU time so far: user and system, in seconds. */
static inline void cpu_split(double *user, double *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  *sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* This process's CPU time so far, user and system together, in seconds. */
static inline double cpu_s(void) {
  double user, sys;
  cpu_split(&user, &sys);
  return user + sys;
}

/* ADDR:PORT (IPv4) into *sa; 0, or -1 when it is not one. */
static inline int parse_addr(const char *s, struct sockaddr_in *sa) {
  char host[64];
  const char *colon = strrchr(s, ':');
  if (!colon || (size_t)(colon - s) >= sizeof host) return -1;
  memcpy(host, s, colon - s);
  host[colon - s] = 0;
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((unsigned short)atoi(colon + 1));
  return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static long long errors;
static long long errno_counts[256];

/* One failed connect, by its errno. */
static inline void count_error(int e) { errors++; errno_counts[e > 0 && e < 256 ? e : 0]++; }

/* Each errno seen, with its count, on standard error: "PROGRAM: N x TEXT". */
static inline void print_errors(const char *program) {
  for (int e = 0; e < 256; e++)
    if (errno_counts[e]) fprintf(stderr, "%s: %lld x %s\n", program, errno_counts[e], strerror(e));
}

#endif
