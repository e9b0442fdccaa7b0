// The userspace dataplane's TCP relay, in C: accepts clients on a VIP:PORT, asks JavaScript which
// real server takes each one (the schedulers, persistence and quiesce stay in agent/dataplane),
// connects to it and copies bytes both ways until both sides have closed.
//
// Why native: with a new connection per request, Node's own machinery per connection (two libuv
// handles, a connect request, six calls into JavaScript, five epoll_ctl calls) cost more CPU than
// HAProxy's whole connection; bench/dataplane/README.md has the figures. Here a connection is two
// epoll registrations, one call into JavaScript to choose the real server and one when it ends.
//
// It runs on Node's main thread in the addon's epoll set (loop.c), so the callbacks into JavaScript
// need no locks and no thread hand-over.
//
// Counting follows agent/dataplane/userspace/real.ts: a connection is active until the first FIN
// either way, inactive until both sides are closed, and then JavaScript records it as closed.
// The counters live in a Float64Array shared with JavaScript, SLOT_FIELDS doubles per real server.
#include "loop.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

// One real server's fields in the shared counters (agent/dataplane/userspace/native-relay.ts).
enum { F_ACTIVE, F_INACTIVE, F_PACKETS_IN, F_PACKETS_OUT, F_BYTES_IN, F_BYTES_OUT, F_IP, F_PORT, SLOT_FIELDS };
#define MAX_SLOTS (1 << 20)
#define READ_SIZE (64 * 1024)
#define ACCEPTS_PER_WAKEUP 64

enum { C_FREE, C_CONNECTING, C_OPEN };
enum { CLIENT = 0, UPSTREAM = 1 };

/** Bytes read from one side that the other side's socket did not take yet. */
typedef struct {
  char *buf;
  uint32_t off, len;
} Pending;

typedef struct {
  int fd[2];
  int listener;
  int slot;
  uint32_t idle;  // sweeps since the last byte either way
  uint8_t state;
  uint8_t half_closed;  // a FIN was read, either way
  uint8_t ended[2];     // the FIN of that side was read
  Pending pend[2];      // read from side i, waiting to be written to the other side
  int prev, next;       // the listener's list of connections
} Conn;

typedef struct {
  int fd;  // -1 once closed
  int head;
  int count;
  uint8_t failing;  // the last accept failed: reported, cleared by the next success
  uint8_t paused;   // out of the epoll set after EMFILE; the next sweep puts it back
} Listener;

static napi_ref g_on_accept, g_on_closed, g_on_problem;
static double *g_counters;
static Slab g_conn_slab = SLAB_OF(Conn);
#define g_conns ((Conn *)g_conn_slab.items)
static Listener *g_listeners;
static int g_listeners_len, g_listeners_cap;
static char g_buf[READ_SIZE];

// ---- connections ----


/**
 * Both sockets are closed: uncount the connection and tell JavaScript. The slot is reused only
 * after the current batch of epoll events, some of which may still name this connection.
 */
static void finish(int id) {
  Conn *c = &g_conns[id];
  double *k = g_counters + (size_t)c->slot * SLOT_FIELDS;
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

/** Ends both sides at once: a FIN, or a RST where unread data is left. */
static void cut(int id) {
  Conn *c = &g_conns[id];
  if (c->state == C_FREE) return;
  close(c->fd[CLIENT]);
  close(c->fd[UPSTREAM]);
  finish(id);
}

/** The real server refused or never answered: reset the client, as it would see had it connected directly. */
static void refuse(int id) {
  Conn *c = &g_conns[id];
  if (c->state == C_FREE) return;
  struct linger lg = {1, 0};
  setsockopt(c->fd[CLIENT], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(c->fd[CLIENT]);
  close(c->fd[UPSTREAM]);
  finish(id);
}

/** `from` sent its FIN: pass it on, or end the connection when both have. */
static void ended(int id, int from) {
  Conn *c = &g_conns[id];
  c->ended[from] = 1;
  if (!c->half_closed) {
    // The first FIN, as IPVS leaving ESTABLISHED.
    c->half_closed = 1;
    double *k = g_counters + (size_t)c->slot * SLOT_FIELDS;
    k[F_ACTIVE] -= 1;
    k[F_INACTIVE] += 1;
  }
  // Both FINs read: the other side's FIN was passed on when it came, and nothing waits to be
  // written either way (a side is read only once what it sent before is out).
  if (c->ended[1 - from]) cut(id);
  else if (shutdown(c->fd[1 - from], SHUT_WR) < 0) cut(id);
}

/**
 * Moves bytes from side `from` to the other side: first what is still waiting, then fresh reads.
 * Stops when `from` has nothing more (EAGAIN, or a short read when `drain` is off), or when the
 * other side's socket is full: then `from` is not read again until EPOLLOUT on the other side
 * (backpressure: the kernel's buffers fill up and TCP slows the sender down).
 */
static void pump(int id, int from, int drain) {
  int to = 1 - from;
  for (;;) {
    Conn *c = &g_conns[id];
    Pending *p = &c->pend[from];
    if (p->len > 0) {
      ssize_t w = send(c->fd[to], p->buf + p->off, p->len, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        cut(id);
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
      double *k = g_counters + (size_t)c->slot * SLOT_FIELDS;
      k[from == CLIENT ? F_PACKETS_IN : F_PACKETS_OUT] += 1;
      k[from == CLIENT ? F_BYTES_IN : F_BYTES_OUT] += (double)n;
      ssize_t w = send(c->fd[to], g_buf, (size_t)n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno != EAGAIN && errno != EINTR) {
          cut(id);
          return;
        }
        w = 0;
      }
      if (w < n) {
        p->buf = malloc((size_t)(n - w));
        if (p->buf == NULL) {
          cut(id);
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
      ended(id, from);
      return;
    }
    if (errno == EAGAIN) return;
    if (errno == EINTR) continue;
    cut(id);
    return;
  }
}

/** The real server accepted: from now on both sides are read. */
static void opened(int id) {
  g_conns[id].state = C_OPEN;
  g_conns[id].idle = 0;
  pump(id, CLIENT, 1);
  if (g_conns[id].state == C_OPEN) pump(id, UPSTREAM, 1);
}

static void on_conn_event(int id, int side, uint32_t ev) {
  Conn *c = &g_conns[id];
  if (c->state == C_FREE) return;
  if (c->state == C_CONNECTING) {
    // The client is not read until the real server accepts: the kernel buffers its bytes meanwhile.
    if (side != UPSTREAM || !(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd[UPSTREAM], SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err != 0 || (ev & EPOLLERR)) refuse(id);
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
  double *k = g_counters + (size_t)slot * SLOT_FIELDS;
  k[F_ACTIVE] += 1;

  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (up < 0) {
    refuse(id);  // closes fd[UPSTREAM] = -1: EBADF, harmless
    return;
  }
  c->fd[UPSTREAM] = up;
  setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in to = {.sin_family = AF_INET};
  to.sin_addr.s_addr = htonl((uint32_t)k[F_IP]);
  to.sin_port = htons((uint16_t)k[F_PORT]);
  int r = connect(up, (struct sockaddr *)&to, sizeof to);
  if (r < 0 && errno != EINPROGRESS) {
    refuse(id);
    return;
  }
  uint32_t events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  if (loop_watch(fd, (uint64_t)id << 1 | CLIENT, events) < 0 || loop_watch(up, (uint64_t)id << 1 | UPSTREAM, events) < 0) {
    refuse(id);
    return;
  }
  // The upstream's first EPOLLOUT (already due when the connect completed at once) opens it.
}

static void problem(int lid, int err) {
  double args[2] = {lid, err};
  call_js(g_on_problem, 2, args);
}

static void on_listener_event(int lid) {
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
  if (d & LISTENER_TAG) on_listener_event((int)(d & 0x7fffffff));
  else on_conn_event((int)(d >> 1), (int)(d & 1), events);
}

/** Connection ids freed during the batch can be reused now that none of its events is left. */
void relay_batch_end(void) {
  slab_settle(&g_conn_slab);
}

// ---- listeners ----
// Listener ids are never reused (a few bytes each), so a late call with an old id is harmless.

static Listener *listener_arg(napi_env env, napi_value v, int *lid) {
  int32_t id;
  if (napi_get_value_int32(env, v, &id) != napi_ok || id < 0 || id >= g_listeners_len) {
    napi_throw_range_error(env, NULL, "unknown listener id");
    return NULL;
  }
  *lid = id;
  return &g_listeners[id];
}

/** listen(ip: uint32, port, backlog) → listener id, or -errno. */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  ARGS(3);
  uint32_t ip, port, backlog;
  napi_get_value_uint32(env, argv[0], &ip);
  napi_get_value_uint32(env, argv[1], &port);
  napi_get_value_uint32(env, argv[2], &backlog);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return int_value(env, -errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(ip);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, (int)backlog) < 0) {
    int err = errno;
    close(fd);
    return int_value(env, -err);
  }
  if (g_listeners_len == g_listeners_cap) {
    int cap = g_listeners_cap ? g_listeners_cap * 2 : 64;
    Listener *grown = realloc(g_listeners, sizeof(Listener) * (size_t)cap);
    if (grown == NULL) {
      close(fd);
      return int_value(env, -ENOMEM);
    }
    g_listeners = grown;
    g_listeners_cap = cap;
  }
  int lid = g_listeners_len++;
  g_listeners[lid] = (Listener){.fd = fd, .head = -1};
  if (loop_watch(fd, LISTENER_TAG | (uint64_t)lid, EPOLLIN) < 0) {
    int err = errno;
    close(fd);
    g_listeners[lid].fd = -1;
    return int_value(env, -err);
  }
  loop_live(+1);
  return int_value(env, lid);
}

/** closeListener(id, cut): stops accepting; with `cut`, also ends every open connection. */
static napi_value js_close_listener(napi_env env, napi_callback_info info) {
  ARGS(2);
  int lid;
  Listener *l = listener_arg(env, argv[0], &lid);
  if (l == NULL) return NULL;
  bool cut_all = false;
  napi_get_value_bool(env, argv[1], &cut_all);
  if (l->fd >= 0) {
    close(l->fd);
    g_listeners[lid].fd = -1;
    loop_live(-1);
  }
  if (cut_all) {
    while (g_listeners[lid].head >= 0) cut(g_listeners[lid].head);
  }
  return NULL;
}

/** connections(id) → open connections of the listener (still counted after it is closed). */
static napi_value js_connections(napi_env env, napi_callback_info info) {
  ARGS(1);
  int lid;
  Listener *l = listener_arg(env, argv[0], &lid);
  if (l == NULL) return NULL;
  return int_value(env, l->count);
}

/**
 * sweep(id, idleLimit, connectLimit), once a second: cuts connections idle for more than
 * idleLimit sweeps, resets clients whose real server has not accepted within connectLimit, and
 * puts a listener paused by EMFILE back into the epoll set.
 */
static napi_value js_sweep(napi_env env, napi_callback_info info) {
  ARGS(3);
  int lid;
  Listener *l = listener_arg(env, argv[0], &lid);
  if (l == NULL) return NULL;
  uint32_t idle_limit, connect_limit;
  napi_get_value_uint32(env, argv[1], &idle_limit);
  napi_get_value_uint32(env, argv[2], &connect_limit);
  if (l->paused && l->fd >= 0) {
    l->paused = 0;
    loop_watch(l->fd, LISTENER_TAG | (uint64_t)lid, EPOLLIN);
  }
  int id = l->head;
  while (id >= 0) {
    Conn *c = &g_conns[id];
    int next = c->next;
    c->idle++;
    if (c->state == C_OPEN ? c->idle > idle_limit : c->idle > connect_limit) {
      if (c->state == C_OPEN) cut(id);
      else refuse(id);
    }
    id = next;
  }
  return NULL;
}

/** relayInit(onAccept, onClosed, onProblem) → the shared counters (an ArrayBuffer). Once per process. */
static napi_value js_init(napi_env env, napi_callback_info info) {
  ARGS(3);
  if (g_counters != NULL) {
    napi_throw_error(env, NULL, "the native relay is already initialised");
    return NULL;
  }
  if (loop_start(env) < 0) return NULL;
  // Untouched pages of this calloc cost no memory: only real servers in use are ever written.
  g_counters = calloc((size_t)MAX_SLOTS * SLOT_FIELDS, sizeof(double));
  if (g_counters == NULL) {
    napi_throw_error(env, NULL, "the native relay could not allocate its counters");
    return NULL;
  }
  napi_create_reference(env, argv[0], 1, &g_on_accept);
  napi_create_reference(env, argv[1], 1, &g_on_closed);
  napi_create_reference(env, argv[2], 1, &g_on_problem);
  napi_value buffer;
  napi_create_external_arraybuffer(env, g_counters, (size_t)MAX_SLOTS * SLOT_FIELDS * sizeof(double), NULL, NULL, &buffer);
  return buffer;
}

void relay_register(napi_env env, napi_value exports) {
  define_function(env, exports, "relayInit", js_init);
  define_function(env, exports, "listen", js_listen);
  define_function(env, exports, "closeListener", js_close_listener);
  define_function(env, exports, "connections", js_connections);
  define_function(env, exports, "sweep", js_sweep);
  define_int(env, exports, "SLOT_FIELDS", SLOT_FIELDS);
  define_int(env, exports, "MAX_SLOTS", MAX_SLOTS);
}
