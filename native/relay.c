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
// need no locks and no thread hand-over. The counters live in a Float64Array shared with
// JavaScript, SLOT_FIELDS doubles per real server (relay.h).
//
// This file holds the listeners and the functions JavaScript calls; a connection's life is in
// relay-conn.c and its bytes in relay-pump.c.
#include "relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

napi_ref g_on_accept, g_on_closed, g_on_problem;
double *g_counters;
Slab g_conn_slab = SLAB_OF(Conn);
Listener *g_listeners;
static int g_listeners_len, g_listeners_cap;

// ---- listeners and the functions JavaScript calls ----
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
    while (g_listeners[lid].head >= 0) conn_cut(g_listeners[lid].head);
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
      if (c->state == C_OPEN) conn_cut(id);
      else conn_refuse(id);
    }
    id = next;
  }
  return NULL;
}

/** relayInit(onAccept, onClosed, onProblem) → the shared counters (an ArrayBuffer). Once per process. */
static napi_value js_init(napi_env env, napi_callback_info info) {
  ARGS(3);
  if (loop_start_once(env, g_counters != NULL, "the native relay is already initialised") < 0) return NULL;
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

static const FunctionEntry FUNCTIONS[] = {
    {"relayInit", js_init}, {"listen", js_listen}, {"closeListener", js_close_listener},
    {"connections", js_connections}, {"sweep", js_sweep},
};
static const LayoutEntry COUNTERS[] = {RELAY_COUNTERS(LAYOUT_ENTRY)};

void relay_register(napi_env env, napi_value exports, napi_value layout) {
  define_functions(env, exports, FUNCTIONS, TABLE_COUNT(FUNCTIONS));
  // layout.relay = {slotFields, maxSlots, counters: {active: 0, ...}}
  napi_value relay = define_object(env, layout, "relay");
  define_int(env, relay, "slotFields", SLOT_FIELDS);
  define_int(env, relay, "maxSlots", MAX_SLOTS);
  define_layout(env, relay, "counters", COUNTERS, TABLE_COUNT(COUNTERS));
}
