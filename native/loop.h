// What the parts of the native addon share: Node's environment, one epoll set watched by a libuv
// poll handle on Node's main thread, the batch that each wake-up is, and calls into JavaScript.
// The relay (relay*.c, the userspace dataplane's TCP relay) and the checks (checks*.c, TCP health
// checks) register their sockets in the epoll set with their own tag and get their events back
// through loop.c.
#ifndef PIRANHA_LOOP_H
#define PIRANHA_LOOP_H
#define _GNU_SOURCE
#include <node_api.h>
#include <stdint.h>
#include <uv.h>

/** epoll data tags: the listener sockets of the relay, and health-check sockets. */
#define LISTENER_TAG (1ULL << 63)
#define CHECK_TAG (1ULL << 62)

extern napi_env g_env;
extern int g_epfd;
/** Set while a batch of events is handled: ids freed meanwhile are reused only after it. */
extern int g_in_batch;

/** Creates the epoll set and its poll handle on first use; returns 0 or throws into `env` (-1). */
int loop_start(napi_env env);
/**
 * For a part's init function, which runs once per process: throws `already` when `started`, else
 * starts the loop (loop_start). Returns 0, or -1 when it threw.
 */
int loop_start_once(napi_env env, int started, const char *already);
/** The libuv loop of the main thread. */
uv_loop_t *loop_uv(void);
/** Counts what must keep the process alive (open listeners, connections, checks), as net.Server would. */
void loop_live(int delta);
/** Adds `fd` to the epoll set. */
int loop_watch(int fd, uint64_t data, uint32_t events);
/** Opens (and closes) a batch run from a libuv callback: handle and callback scopes, batch ends. */
void loop_batch_begin(void);
void loop_batch_end(void);
/** Calls a JavaScript function with numeric arguments; its result as an int32, -1 when not a number or on a throw. */
int call_js(napi_ref fn, int argc, const double *args);
/** Milliseconds of a monotonic clock. */
double loop_now_ms(void);

/**
 * A growable array of same-size records (connections, checks) with a free list of ids. Ids freed
 * during a batch are handed out again only after it, when no event of that batch can name them.
 * `items` moves when the slab grows: index it afresh after slab_take().
 */
typedef struct {
  void *items;
  size_t item_size;
  int cap;
  int *next;  // free-list links, by id
  int free, deferred;
} Slab;
#define SLAB_OF(type) {.item_size = sizeof(type), .free = -1, .deferred = -1}
/** A free id (its record zeroed the first time), growing the slab when none is; -1 out of memory. */
int slab_take(Slab *s);
/** Gives an id back: free at once, or after the current batch. */
void slab_put(Slab *s, int id);
/** Called at the end of each batch: the ids freed during it become free. */
void slab_settle(Slab *s);

// The parts' entry points, called by loop.c.
void relay_event(uint64_t data, uint32_t events);
void relay_batch_end(void);
void checks_event(uint64_t data, uint32_t events);
void checks_batch_end(void);
/** Each part defines its functions on `exports` and describes what it shares with JavaScript in `layout`. */
void relay_register(napi_env env, napi_value exports, napi_value layout);
void checks_register(napi_env env, napi_value exports, napi_value layout);

// Helpers for the functions JavaScript calls.
#define ARGS(n)                                                    \
  size_t argc = n;                                                 \
  napi_value argv[n];                                              \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);            \
  if (argc < n) {                                                  \
    napi_throw_type_error(env, NULL, "expected " #n " arguments"); \
    return NULL;                                                   \
  }
napi_value int_value(napi_env env, int v);
/** How many entries a static table (FunctionEntry, LayoutEntry) has. */
#define TABLE_COUNT(table) (sizeof(table) / sizeof((table)[0]))
/** A function JavaScript calls, by its JavaScript name. */
typedef struct {
  const char *name;
  napi_callback fn;
} FunctionEntry;
/** `exports[name] = fn` for each entry. */
void define_functions(napi_env env, napi_value exports, const FunctionEntry *entries, size_t count);
void define_int(napi_env env, napi_value exports, const char *name, int value);
/** A new object set as `parent[name]`. */
napi_value define_object(napi_env env, napi_value parent, const char *name);

/**
 * The layout shared with JavaScript (offsets, result codes) is written once, as an X-macro list
 * of (enum constant, JavaScript name): LAYOUT_ENUM makes the C enum of it, LAYOUT_ENTRY the
 * table that define_layout() exports as `{name: value, ...}` for agent/native-contract.ts to check.
 */
#define LAYOUT_ENUM(constant, js_name) constant,
#define LAYOUT_ENTRY(constant, js_name) {js_name, constant},
typedef struct {
  const char *name;
  int value;
} LayoutEntry;
/** `parent[name] = {entries...}`. */
void define_layout(napi_env env, napi_value parent, const char *name, const LayoutEntry *entries, size_t count);

#endif
