// The relay's byte pump: copies what one side of an open connection sends to the other side,
// counts it, and applies backpressure when the other side cannot take more.
#include "relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define READ_SIZE (64 * 1024)

/** One buffer for every read: a chunk is sent on at once, and only what is left over is copied. */
static char g_buf[READ_SIZE];

/**
 * Moves bytes from side `from` to the other side: first what is still waiting, then fresh reads.
 * Stops when `from` has nothing more (EAGAIN, or a short read when `drain` is off), or when the
 * other side's socket is full: then `from` is not read again until EPOLLOUT on the other side
 * (backpressure: the kernel's buffers fill up and TCP slows the sender down).
 */
void pump(int id, int from, int drain) {
  int to = 1 - from;
  for (;;) {
    Conn *c = &g_conns[id];
    Pending *p = &c->pend[from];
    if (p->len > 0) {
      ssize_t w = send(c->fd[to], p->buf + p->off, p->len, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        conn_cut(id);
        return;
      }
      p->off += (uint32_t)w;
      p->len -= (uint32_t)w;
      if (p->len > 0) return;
      free(p->buf);
      p->buf = NULL;
      p->off = 0;
    }
    if (c->ended[from]) return;
    ssize_t n = recv(c->fd[from], g_buf, READ_SIZE, 0);
    if (n > 0) {
      c->idle = 0;
      double *k = slot_counters(c->slot);
      k[from == CLIENT ? F_PACKETS_IN : F_PACKETS_OUT] += 1;
      k[from == CLIENT ? F_BYTES_IN : F_BYTES_OUT] += (double)n;
      ssize_t w = send(c->fd[to], g_buf, (size_t)n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno != EAGAIN && errno != EINTR) {
          conn_cut(id);
          return;
        }
        w = 0;
      }
      if (w < n) {
        p->buf = malloc((size_t)(n - w));
        if (p->buf == NULL) {
          conn_cut(id);
          return;
        }
        memcpy(p->buf, g_buf + w, (size_t)(n - w));
        p->len = (uint32_t)(n - w);
        return;
      }
      // A short read took everything there was; a later arrival raises a new epoll event.
      if (n < READ_SIZE && !drain) return;
      continue;
    }
    if (n == 0) {
      conn_ended(id, from);
      return;
    }
    if (errno == EAGAIN) return;
    if (errno == EINTR) continue;
    conn_cut(id);
    return;
  }
}
