/*
 * The failover tests' client: one new connection every INTERVAL ms, as a user reloading a page
 * would, for as long as it runs (until stdin closes). Each attempt connects, reads the first line
 * the server sends and closes, giving up after TIMEOUT ms (a lost SYN is not retransmitted by the
 * kernel within that time: the next attempt is a fresh SYN). Prints one line per attempt:
 *     START END ok ANSWER        e.g. "81234.5 81251.0 ok rs2 80"
 *     START END fail ERROR
 * START and END are CLOCK_MONOTONIC in milliseconds (the clock node's process.hrtime() reads), so
 * the test can place its own events (a SIGKILL, a rule added) on the same time line.
 *
 *   probe-client TARGET INTERVAL_MS TIMEOUT_MS      TARGET is ADDRESS:PORT
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
#include <time.h>
#include <unistd.h>

#include "deadline.h"

/* One attempt: 0 and the server's first line in `line`, or -1 with errno. */
static int attempt(const struct sockaddr_in *to, double deadline, char *line, size_t size) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  int r = connect_until(s, to, deadline) || read_line_until(s, line, size, deadline) ? -1 : 0;
  int saved = errno;
  close(s);
  errno = saved;
  return r;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fputs("usage: probe-client ADDRESS:PORT INTERVAL_MS TIMEOUT_MS\n", stderr);
    return 2;
  }
  char addr[64];
  snprintf(addr, sizeof addr, "%s", argv[1]);
  char *colon = strrchr(addr, ':');
  int interval = atoi(argv[2]), timeout = atoi(argv[3]);
  if (!colon || interval < 1 || timeout < 1) return 2;
  *colon = 0;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
  if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  fcntl(0, F_SETFL, O_NONBLOCK);
  double next = now_ms();
  for (;;) {
    /* stdin closed (the test is done): stop. */
    char c;
    if (read(0, &c, 1) == 0) return 0;
    double start = now_ms();
    char line[256];
    int ok = attempt(&to, start + timeout, line, sizeof line);
    double end = now_ms();
    if (ok == 0) printf("%.1f %.1f ok %s\n", start, end, line);
    else printf("%.1f %.1f fail %s\n", start, end, strerror(errno));
    /* The next attempt on the 50 ms grid, or at once when this one overran it. */
    next += interval;
    if (next < end) next = end;
    double wait = next - now_ms();
    if (wait > 0) usleep((useconds_t)(wait * 1000));
  }
}
