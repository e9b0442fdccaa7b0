/*
 * What the suite's clients share: the monotonic clock in milliseconds, and a socket's steps each
 * bounded by a deadline on that clock: waiting until it is ready, finishing a non-blocking connect,
 * reading one line. Each returns 0, or -1 with errno (ETIMEDOUT when the deadline passed first,
 * ECONNRESET when the server closed before the end of the line).
 */
#ifndef KERNEL_TOOLS_DEADLINE_H
#define KERNEL_TOOLS_DEADLINE_H

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_MONOTONIC in milliseconds, the clock node's process.hrtime() reads. */
static inline double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Waits until fd is ready for `events`, or `deadline` passes. */
static inline int wait_until(int fd, short events, double deadline) {
  int left = (int)(deadline - now_ms());
  if (left <= 0) {
    errno = ETIMEDOUT;
    return -1;
  }
  struct pollfd p = {.fd = fd, .events = events};
  int r = poll(&p, 1, left);
  if (r == 0) errno = ETIMEDOUT;
  return r > 0 ? 0 : -1;
}

/* Connects the non-blocking socket `s` to `to`, established before `deadline`. */
static inline int connect_until(int s, const struct sockaddr_in *to, double deadline) {
  if (connect(s, (const void *)to, sizeof *to) && errno != EINPROGRESS) return -1;
  if (wait_until(s, POLLOUT, deadline)) return -1;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err) {
    errno = err;
    return -1;
  }
  return 0;
}

/* Reads one line before `deadline` into buf, without its newline and NUL-terminated. */
static inline int read_line_until(int s, char *buf, size_t size, double deadline) {
  size_t n = 0;
  while (n + 1 < size) {
    if (wait_until(s, POLLIN, deadline)) return -1;
    ssize_t r = read(s, buf + n, 1);
    if (r == 0) errno = ECONNRESET;
    if (r <= 0) return -1;
    if (buf[n] == '\n') break;
    n++;
  }
  buf[n] = 0;
  return 0;
}

#endif
