// The kernel's floor of a TCP check, for bench/checks: the same send/expect exchange as the
// agent's checker (connect, write the request once connected, read the first answer, compare its
// start, close) in plain C on epoll, with nothing else: no schedule per server, no timeouts, no
// state. Its user time is close to zero, so what it costs is the kernel's work for one check on
// this machine, which on loopback includes the real server's half of every TCP exchange.
// Same arguments and output as floor.ts:
//   floor RATE WARMUP_S SECONDS SEND EXPECT HOST:PORT...   (SEND with \r and \n escapes)
// prints one JSON line { checks, failed, userUs, systemUs, wallS } for the window after the warm-up.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long usec(struct timeval a, struct timeval b) {
  return (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_usec - a.tv_usec);
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: floor RATE WARMUP_S SECONDS SEND EXPECT HOST:PORT...\n");
    return 2;
  }
  double rate = atof(argv[1]), warmup = atof(argv[2]), seconds = atof(argv[3]);
  char request[1024];
  size_t request_len = 0;
  for (const char *p = argv[4]; *p && request_len < sizeof request; p++) {
    if (p[0] == '\\' && p[1] == 'r') request[request_len++] = '\r', p++;
    else if (p[0] == '\\' && p[1] == 'n') request[request_len++] = '\n', p++;
    else request[request_len++] = *p;
  }
  const char *expect = argv[5];
  size_t expect_len = strlen(expect);
  int ntargets = argc - 6;
  struct sockaddr_in *targets = calloc((size_t)ntargets, sizeof *targets);
  for (int i = 0; i < ntargets; i++) {
    char host[64];
    snprintf(host, sizeof host, "%s", argv[6 + i]);
    char *colon = strchr(host, ':');
    if (colon == NULL) return 2;
    *colon = 0;
    targets[i].sin_family = AF_INET;
    targets[i].sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &targets[i].sin_addr) != 1) return 2;
  }
  int ep = epoll_create1(0);
  struct epoll_event events[512];
  char buf[16384];
  long completed = 0, failed = 0, started = 0, next = 0, completed0 = 0, failed0 = 0;
  struct rusage r0;
  double start = now(), t0 = 0;
  int measuring = 0;
  for (;;) {
    double t = now();
    if (!measuring && t - start >= warmup) {
      measuring = 1;
      getrusage(RUSAGE_SELF, &r0);
      completed0 = completed;
      failed0 = failed;
      t0 = t;
    }
    if (measuring && t - t0 >= seconds) {
      struct rusage r;
      getrusage(RUSAGE_SELF, &r);
      printf("{\"checks\":%ld,\"failed\":%ld,\"userUs\":%ld,\"systemUs\":%ld,\"wallS\":%f}\n", completed - completed0,
             failed - failed0, usec(r0.ru_utime, r.ru_utime), usec(r0.ru_stime, r.ru_stime), t - t0);
      return 0;
    }
    // Spread evenly: start the checks due by now.
    for (long due = (long)((t - start) * rate); started < due; started++) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (fd < 0) {
        completed++, failed++;
        continue;
      }
      connect(fd, (struct sockaddr *)&targets[next++ % ntargets], sizeof(struct sockaddr_in));
      // Low 32 bits: the fd; bit 32: the request is written and the answer awaited.
      struct epoll_event e = {.events = EPOLLOUT, .data.u64 = (uint64_t)fd};
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    }
    int n = epoll_wait(ep, events, 512, 1);
    for (int i = 0; i < n; i++) {
      int fd = (int)(events[i].data.u64 & 0xffffffff);
      int sent = (int)(events[i].data.u64 >> 32);
      if (!sent) {
        if ((events[i].events & (EPOLLERR | EPOLLHUP)) || send(fd, request, request_len, MSG_NOSIGNAL) != (ssize_t)request_len) {
          close(fd);
          completed++, failed++;
          continue;
        }
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = ((uint64_t)1 << 32) | (uint64_t)fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
        continue;
      }
      ssize_t k = recv(fd, buf, sizeof buf, 0);
      if (k < 0 && errno == EAGAIN) continue;
      completed++;
      if (!(k >= (ssize_t)expect_len && memcmp(buf, expect, expect_len) == 0)) failed++;
      close(fd);
    }
  }
}
