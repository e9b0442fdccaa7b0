// A relayed connection's life: a client accepted on a listener, placed by JavaScript on a real
// server (the schedulers, persistence and quiesce stay in agent/dataplane), connected to it, open
// (relay-pump.c moves the bytes), half-closed, and ended, when JavaScript hears of it once more.
//
// Counting follows agent/dataplane/userspace/real.ts: a connection is active until the first FIN
// either way, inactive until both sides are closed, and then JavaScript records it as closed.
#include "relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPTS_PER_WAKEUP 64

/**
 * Both sockets are closed: uncount the connection and tell JavaScript. The slot is reused only
 * after the current batch of epoll events, some of which may still name this connection.
 */
static void finish(int id) {
  Conn *c = &g_conns[id];
  double *k = slot_counters(c->slot);
  k[c->half_closed ? F_INACTIVE : F_ACTIVE] -= 1;
  for (int s = 0; s < 2; s++) free(c->pend[s].buf);
  Listener *l = &g_listeners[c->listener];
  if (c->prev >= 0) g_conns[c->prev].next = c->next; else l->head = c->next;
  if (c->next >= 0) g_conns[c->next].prev = c->prev;
  l->count--;
  loop_live(-1);
  c->state = C_FREE;
  slab_put(&g_conn_slab, id);
  double args[2] = {id, c->slot};
  call_js(g_on_closed, 2, args);
}

void conn_cut(int id) {
  Conn *c = &g_conns[id];
  if (c->state == C_FREE) return;
  close(c->fd[CLIENT]);
  close(c->fd[UPSTREAM]);
  finish(id);
}

void conn_refuse(int id) {
  Conn *c = &g_conns[id];
  if (c->state == C_FREE) return;
  struct linger lg = {1, 0};
  setsockopt(c->fd[CLIENT], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(c->fd[CLIENT]);
  close(c->fd[UPSTREAM]);
  finish(id);
}

void conn_ended(int id, int from) {
  Conn *c = &g_conns[id];
  c->ended[from] = 1;
  if (!c->half_closed) {
    // The first FIN, as IPVS leaving ESTABLISHED.
    c->half_closed = 1;
    double *k = slot_counters(c->slot);
    k[F_ACTIVE] -= 1;
    k[F_INACTIVE] += 1;
  }
  // Both FINs read: the other side's FIN was passed on when it came, and nothing waits to be
  // written either way (a side is read only once what it sent before is out).
  if (c->ended[1 - from]) conn_cut(id);
  else if (shutdown(c->fd[1 - from], SHUT_WR) < 0) conn_cut(id);
}

/** The real server accepted: from now on both sides are read. */
static void opened(int id) {
  g_conns[id].state = C_OPEN;
  g_conns[id].idle = 0;
  pump(id, CLIENT, 1);
  if (g_conns[id].state == C_OPEN) pump(id, UPSTREAM, 1);
}

void conn_event(int id, int side, uint32_t ev) {
  Conn *c = &g_conns[id];
  if (c->state == C_FREE) return;
  if (c->state == C_CONNECTING) {
    // The client is not read until the real server accepts: the kernel buffers its bytes meanwhile.
    if (side != UPSTREAM || !(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd[UPSTREAM], SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err != 0 || (ev & EPOLLERR)) conn_refuse(id);
    else opened(id);
    return;
  }
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    pump(id, side, (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
  }
  // This side can take bytes again: flush what waits for it, then read its peer again.
  if ((ev & EPOLLOUT) && g_conns[id].state == C_OPEN && g_conns[id].pend[1 - side].len > 0) {
    pump(id, 1 - side, 1);
  }
}

/** A client accepted on listener `lid`: JavaScript picks the real server, or -1 to reset it. */
static void on_client(int lid, int fd, uint32_t peer) {
  int id = slab_take(&g_conn_slab);
  if (id < 0) {
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    return;
  }
  double args[3] = {lid, peer, id};
  int slot = call_js(g_on_accept, 3, args);
  if (slot < 0 || slot >= MAX_SLOTS) {
    // No server can take it (none left, all quiesced, or JavaScript failed): refuse at once
    // rather than let the client wait for a timeout.
    slab_put(&g_conn_slab, id);
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    return;
  }
  Conn *c = &g_conns[id];
  memset(c, 0, sizeof *c);
  c->fd[CLIENT] = fd;
  c->fd[UPSTREAM] = -1;
  c->listener = lid;
  c->slot = slot;
  c->state = C_CONNECTING;
  Listener *l = &g_listeners[lid];
  c->prev = -1;
  c->next = l->head;
  if (l->head >= 0) g_conns[l->head].prev = id;
  l->head = id;
  l->count++;
  loop_live(+1);
  double *k = slot_counters(slot);
  k[F_ACTIVE] += 1;

  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (up < 0) {
    conn_refuse(id);  // closes fd[UPSTREAM] = -1: EBADF, harmless
    return;
  }
  c->fd[UPSTREAM] = up;
  setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in to = {.sin_family = AF_INET};
  to.sin_addr.s_addr = htonl((uint32_t)k[F_IP]);
  to.sin_port = htons((uint16_t)k[F_PORT]);
  int r = connect(up, (struct sockaddr *)&to, sizeof to);
  if (r < 0 && errno != EINPROGRESS) {
    conn_refuse(id);
    return;
  }
  uint32_t events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  if (loop_watch(fd, (uint64_t)id << 1 | CLIENT, events) < 0 || loop_watch(up, (uint64_t)id << 1 | UPSTREAM, events) < 0) {
    conn_refuse(id);
    return;
  }
  // The upstream's first EPOLLOUT (already due when the connect completed at once) opens it.
}

static void problem(int lid, int err) {
  double args[2] = {lid, err};
  call_js(g_on_problem, 2, args);
}

void conn_accept(int lid) {
  for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
    Listener *l = &g_listeners[lid];
    if (l->fd < 0) return;
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // EMFILE and the like: the client stays in the backlog. The listener leaves the epoll set
      // (it would report the same waiting client again at once) until the next sweep.
      int err = errno;
      l->failing = 1;
      l->paused = 1;
      epoll_ctl(g_epfd, EPOLL_CTL_DEL, l->fd, NULL);
      problem(lid, -err);
      return;
    }
    if (l->failing) {
      l->failing = 0;
      problem(lid, 0);
    }
    on_client(lid, fd, peer.sin_family == AF_INET ? ntohl(peer.sin_addr.s_addr) : 0);
  }
}

void relay_event(uint64_t d, uint32_t events) {
  if (d & LISTENER_TAG) conn_accept((int)(d & 0x7fffffff));
  else conn_event((int)(d >> 1), (int)(d & 1), events);
}

/** Connection ids freed during the batch can be reused now that none of its events is left. */
void relay_batch_end(void) {
  slab_settle(&g_conn_slab);
}
