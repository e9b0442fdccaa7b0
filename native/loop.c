// The native addon's event loop: one epoll set of our own, watched by a libuv poll handle, so that
// the relay and the checks run on Node's main thread with no threads, no locks and no hand-over, and
// each wake-up handles every ready socket in one batch with one callback scope.
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

napi_env g_env;
int g_epfd = -1;
int g_in_batch;

static uv_poll_t g_poll;
static napi_ref g_resource;
static napi_async_context g_async;
static int g_live;
static napi_handle_scope g_hs;
static napi_callback_scope g_cs;
/** Whether the current batch has opened its scopes (only once it calls into JavaScript). */
static int g_scoped;

/**
 * The handle scope and callback scope of a batch, opened at its first call into JavaScript: most
 * wake-ups (a connect completing, a request written) call none, and the scopes cost more than
 * the work of such a wake-up. The callback scope makes process.nextTick and promises queued by
 * the callbacks run after the batch, as after any callback from Node.
 */
static void enter_js(void) {
  if (!g_in_batch || g_scoped) return;
  napi_value resource;
  napi_open_handle_scope(g_env, &g_hs);
  napi_get_reference_value(g_env, g_resource, &resource);
  napi_open_callback_scope(g_env, resource, g_async, &g_cs);
  g_scoped = 1;
}

static void rethrow_pending(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;
  napi_value err;
  napi_get_and_clear_last_exception(env, &err);
  napi_fatal_exception(env, err);
}

int call_js(napi_ref fn_ref, int argc, const double *args) {
  enter_js();
  napi_value fn, recv, argv[6], result;
  napi_get_reference_value(g_env, fn_ref, &fn);
  napi_get_undefined(g_env, &recv);
  for (int i = 0; i < argc; i++) napi_create_double(g_env, args[i], &argv[i]);
  if (napi_call_function(g_env, recv, fn, (size_t)argc, argv, &result) != napi_ok) {
    rethrow_pending(g_env);
    return -1;
  }
  int32_t out = -1;
  if (napi_get_value_int32(g_env, result, &out) != napi_ok) out = -1;
  return out;
}

double loop_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

void loop_live(int delta) {
  int before = g_live;
  g_live += delta;
  if (before == 0 && g_live > 0) uv_ref((uv_handle_t *)&g_poll);
  else if (before > 0 && g_live == 0) uv_unref((uv_handle_t *)&g_poll);
}

int loop_watch(int fd, uint64_t data, uint32_t events) {
  struct epoll_event e = {.events = events, .data.u64 = data};
  return epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &e);
}

uv_loop_t *loop_uv(void) {
  uv_loop_t *loop;
  napi_get_uv_event_loop(g_env, &loop);
  return loop;
}

void loop_batch_begin(void) {
  g_in_batch = 1;
}

void loop_batch_end(void) {
  // Flushing the checks' results may be the batch's first call into JavaScript.
  relay_batch_end();
  checks_batch_end();
  g_in_batch = 0;
  if (g_scoped) {
    g_scoped = 0;
    napi_close_callback_scope(g_env, g_cs);
    napi_close_handle_scope(g_env, g_hs);
  }
}

static void on_epoll(uv_poll_t *handle, int status, int events) {
  (void)handle, (void)status, (void)events;
  struct epoll_event ev[256];
  loop_batch_begin();
  int n = epoll_wait(g_epfd, ev, 256, 0);
  for (int i = 0; i < n; i++) {
    uint64_t d = ev[i].data.u64;
    if (d & CHECK_TAG) checks_event(d, ev[i].events);
    else relay_event(d, ev[i].events);
  }
  loop_batch_end();
}

int loop_start(napi_env env) {
  if (g_epfd >= 0) return 0;
  g_env = env;
  g_epfd = epoll_create1(EPOLL_CLOEXEC);
  if (g_epfd < 0) {
    napi_throw_error(env, NULL, "the native addon could not create its epoll set");
    return -1;
  }
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &g_resource);
  napi_create_string_utf8(env, "PiranhaNative", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &g_async);
  uv_poll_init(loop_uv(), &g_poll, g_epfd);
  uv_poll_start(&g_poll, UV_READABLE, on_epoll);
  // Referenced only while something is open (loop_live).
  uv_unref((uv_handle_t *)&g_poll);
  return 0;
}

int loop_start_once(napi_env env, int started, const char *already) {
  if (started) {
    napi_throw_error(env, NULL, already);
    return -1;
  }
  return loop_start(env);
}

int slab_take(Slab *s) {
  if (s->free < 0) {
    int cap = s->cap ? s->cap * 2 : 1024;
    void *items = realloc(s->items, s->item_size * (size_t)cap);
    if (items == NULL) return -1;
    s->items = items;
    int *next = realloc(s->next, sizeof(int) * (size_t)cap);
    if (next == NULL) return -1;
    s->next = next;
    memset((char *)items + s->item_size * (size_t)s->cap, 0, s->item_size * (size_t)(cap - s->cap));
    for (int i = cap - 1; i >= s->cap; i--) {
      s->next[i] = s->free;
      s->free = i;
    }
    s->cap = cap;
  }
  int id = s->free;
  s->free = s->next[id];
  return id;
}

void slab_put(Slab *s, int id) {
  if (g_in_batch) {
    s->next[id] = s->deferred;
    s->deferred = id;
  } else {
    s->next[id] = s->free;
    s->free = id;
  }
}

void slab_settle(Slab *s) {
  while (s->deferred >= 0) {
    int id = s->deferred;
    s->deferred = s->next[id];
    s->next[id] = s->free;
    s->free = id;
  }
}

napi_value int_value(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

void define_functions(napi_env env, napi_value exports, const FunctionEntry *entries, size_t count) {
  for (size_t i = 0; i < count; i++) {
    napi_value f;
    napi_create_function(env, entries[i].name, NAPI_AUTO_LENGTH, entries[i].fn, NULL, &f);
    napi_set_named_property(env, exports, entries[i].name, f);
  }
}

void define_int(napi_env env, napi_value exports, const char *name, int value) {
  napi_set_named_property(env, exports, name, int_value(env, value));
}

napi_value define_object(napi_env env, napi_value parent, const char *name) {
  napi_value obj;
  napi_create_object(env, &obj);
  napi_set_named_property(env, parent, name, obj);
  return obj;
}

void define_layout(napi_env env, napi_value parent, const char *name, const LayoutEntry *entries, size_t count) {
  napi_value obj = define_object(env, parent, name);
  for (size_t i = 0; i < count; i++) define_int(env, obj, entries[i].name, entries[i].value);
}

static napi_value module_init(napi_env env, napi_value exports) {
  // `layout`: what JavaScript reads of shared memory and results, checked by agent/native-contract.ts.
  napi_value layout = define_object(env, exports, "layout");
  relay_register(env, exports, layout);
  checks_register(env, exports, layout);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
