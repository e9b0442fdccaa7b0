// One health check's run, a small state machine driven by epoll events and deadlines:
// connecting → writing `send` → reading until `expect` is decided → done, with the verdict queued
// for JavaScript (checks.c) and the next check of this server, or of those waiting, started.
#include "checks.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static char g_read_buf[64 * 1024];

/** The check is over: close, report, and start what waits (this server's overdue check, then others). */
static void finish(int id, int outcome, int err, const char *a, uint32_t alen, const char *b, uint32_t blen) {
  Check *c = &g_checks[id];
  // An orderly close (FIN), not a reset (HAProxy's habit): a server that only shut down its
  // sending side, as a Node server's end() does, would read ECONNRESET.
  close(c->fd);
  c->fd = -1;
  c->phase = P_IDLE;
  g_in_flight--;
  result_add(id, outcome, err, a, alen, b, blen);
  // A full result buffer is handed to JavaScript at once, which may add checks: the slab may move.
  c = &g_checks[id];
  free(c->kept);
  c->kept = NULL;
  c->kept_len = 0;
  if (c->overdue) {
    c->overdue = 0;
    check_start(id);
  }
  checks_start_waiting();
}

/** Reads what the server sent; decides as soon as the expect allows. */
static void read_answer(int id) {
  for (;;) {
    Check *c = &g_checks[id];
    ssize_t n = recv(c->fd, g_read_buf, sizeof g_read_buf, 0);
    if (n > 0) {
      if (c->expect_any) {
        finish(id, K_OK, 0, NULL, 0, NULL, 0);
        return;
      }
      // nanny's prefix match on the answer so far plus this chunk.
      uint32_t have = c->kept_len;
      uint32_t want = c->expect_len - have;
      uint32_t cmp = (uint32_t)n < want ? (uint32_t)n : want;
      if (memcmp(g_read_buf, c->expect + have, cmp) != 0) {
        finish(id, K_MISMATCH, 0, c->kept, c->kept_len, g_read_buf, (uint32_t)n);
        return;
      }
      if (cmp == want) {
        finish(id, K_OK, 0, NULL, 0, NULL, 0);
        return;
      }
      // A matching start, too short yet: keep it and wait for more.
      char *grown = realloc(c->kept, have + (uint32_t)n);
      if (grown == NULL) {
        finish(id, K_READ, ENOMEM, NULL, 0, NULL, 0);
        return;
      }
      memcpy(grown + have, g_read_buf, (size_t)n);
      c->kept = grown;
      c->kept_len = have + (uint32_t)n;
      continue;
    }
    if (n == 0) {
      finish(id, K_CLOSED, 0, c->kept, c->kept_len, NULL, 0);
      return;
    }
    if (errno == EAGAIN || errno == EINTR) {
      if (errno == EINTR) continue;
      return;
    }
    finish(id, K_READ, errno, c->kept, c->kept_len, NULL, 0);
    return;
  }
}

/** Connected, or the request written: the answer gets a full timeout of its own (nanny polled again). */
static void await_answer(int id) {
  Check *c = &g_checks[id];
  c->phase = P_READING;
  c->deadline = loop_now_ms() + c->timeout_ms;
  timer_add(c->deadline, id, H_DEADLINE);
  timers_arm();
  read_answer(id);
}

static void write_request(int id) {
  Check *c = &g_checks[id];
  while (c->sent < c->send_len) {
    ssize_t n = send(c->fd, c->send + c->sent, c->send_len - c->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;  // EPOLLOUT brings us back
      finish(id, K_WRITE, errno, NULL, 0, NULL, 0);
      return;
    }
    c->sent += (uint32_t)n;
  }
  if (!c->has_expect) finish(id, K_OK, 0, NULL, 0, NULL, 0);
  else await_answer(id);
}

static void connected(int id) {
  Check *c = &g_checks[id];
  if (c->send_len > 0) {
    c->phase = P_WRITING;
    c->sent = 0;
    write_request(id);
  } else if (!c->has_expect) {
    finish(id, K_OK, 0, NULL, 0, NULL, 0);
  } else {
    await_answer(id);
  }
}

void probe_start(int id, double now) {
  Check *c = &g_checks[id];
  g_in_flight++;
  c->run++;
  c->started_us = checks_clock_us();
  c->phase = P_CONNECTING;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    finish(id, K_SOCKET, errno, NULL, 0, NULL, 0);
    timers_arm();
    return;
  }
  // No quick ACK: the handshake's last ACK waits to ride on the request instead of being a packet
  // of its own (as HAProxy's checks do); one packet less per check at both ends.
  int zero = 0;
  setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(c->port)};
  to.sin_addr.s_addr = htonl(c->ip);
  if (connect(c->fd, (struct sockaddr *)&to, sizeof to) < 0 && errno != EINPROGRESS) {
    finish(id, K_CONNECT, errno, NULL, 0, NULL, 0);
    timers_arm();
    return;
  }
  uint64_t data = CHECK_TAG | ((uint64_t)(c->run & 0xffffff) << 32) | (uint32_t)id;
  if (loop_watch(c->fd, data, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
    finish(id, K_SOCKET, errno, NULL, 0, NULL, 0);
    timers_arm();
    return;
  }
  c->deadline = now + c->timeout_ms;
  timer_add(c->deadline, id, H_DEADLINE);
  timers_arm();
}

void checks_event(uint64_t data, uint32_t events) {
  int id = (int)(data & 0xffffffff);
  uint32_t run = (uint32_t)(data >> 32) & 0xffffff;
  if (id >= g_check_slab.cap) return;
  Check *c = &g_checks[id];
  if ((c->run & 0xffffff) != run || c->phase < P_CONNECTING) return;
  if (c->phase == P_CONNECTING) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    // Writable without an error means connected: the connect's result is read only when it failed.
    int err = 0;
    if (events & (EPOLLERR | EPOLLHUP)) {
      socklen_t len = sizeof err;
      if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      if (err == 0) err = ECONNREFUSED;
    }
    if (err != 0) finish(id, K_CONNECT, err, NULL, 0, NULL, 0);
    else connected(id);
  } else if (c->phase == P_WRITING) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) write_request(id);
  } else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    read_answer(id);
  }
}

void probe_deadline(int id, uint32_t gen) {
  Check *c = &g_checks[id];
  if (c->phase == P_CONNECTING) {
    finish(id, K_CONNECT_TIMEOUT, 0, NULL, 0, NULL, 0);
    return;
  }
  // An answer may be waiting unread on a busy process: look once before calling it late.
  if (c->phase == P_READING) read_answer(id);
  if (g_checks[id].phase >= P_CONNECTING && g_checks[id].gen == gen) {
    finish(id, K_TIMEOUT, 0, g_checks[id].kept, g_checks[id].kept_len, NULL, 0);
  }
}
