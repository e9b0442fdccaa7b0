// Scheduled TCP health checks, in C: connect, write `send`, read until `expect` is decided, close,
// once every interval per real server. JavaScript (agent/checkers/native-checks.ts) registers each
// check, gets every verdict back in batches, and keeps nanny's state machine, the messages and
// "check now" (agent/checkers/pool.ts, check.ts).
//
// Why native: at 10,000 checks a second, Node's own work per check (a libuv handle, a connect
// request, two timers, calls into JavaScript) cost as much CPU as the kernel's whole TCP exchange
// (bench/checks/README.md). Here a check is a socket, one edge-triggered epoll registration, and
// two entries in a timer heap; its verdict is a row in a shared array.
//
// Semantics are those of agent/checkers/tcp.ts and expect.ts for the checks routed here (IPv4
// address, connect-only, send only, prefix expect, or "*"): the connect has `timeout` seconds, the
// answer a full `timeout` of its own once connected; a prefix expect fails at the first byte that
// differs; checks of one server never overlap (a check due while the last one runs starts as soon
// as it ends); at most `maxInFlight` run at once, the others wait for a slot rather than fail.
#include "loop.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/** How a check ended; failures are turned into sentences by JavaScript (native-checks.ts). */
enum { K_OK, K_SOCKET, K_CONNECT, K_CONNECT_TIMEOUT, K_WRITE, K_READ, K_CLOSED, K_TIMEOUT, K_MISMATCH };
enum { P_FREE, P_IDLE, P_CONNECTING, P_WRITING, P_READING };
enum { H_DUE, H_DEADLINE };

/** Most bytes of an answer kept for the failure message (expect.ts MAX_READ). */
#define KEEP_MAX 4096
/** Verdicts handed to JavaScript per call, and the bytes of failed answers among them. */
#define RESULTS_MAX 4096
#define RESULT_FIELDS 5
#define RESULT_BYTES (1 << 20)

typedef struct {
  uint32_t ip;
  uint16_t port;
  uint8_t phase;
  uint8_t overdue;  // the next check fell due while this one was running
  uint8_t has_expect, expect_any;
  uint32_t gen;  // bumped when the check is removed: its stale timer entries are ignored
  uint32_t run;  // bumped at every start: epoll events of an earlier run's socket are ignored
  char *send, *expect;
  uint32_t send_len, sent, expect_len;
  double interval_ms, timeout_ms, due, deadline;
  int fd;
  char *kept;  // the answer so far, when one read did not decide
  uint32_t kept_len;
} Check;

typedef struct {
  double t;
  int id;
  uint32_t gen;
  uint8_t what;
} HeapItem;

static napi_ref g_on_results;
static Slab g_check_slab = SLAB_OF(Check);
#define g_checks ((Check *)g_check_slab.items)
static HeapItem *g_heap;
static int g_heap_len, g_heap_cap;
static uv_timer_t g_timer;
static double g_armed_at = -1;  // when g_timer fires, -1 when stopped
static int *g_waiting;          // ring of check ids due while maxInFlight checks ran
static int g_waiting_head, g_waiting_len, g_waiting_cap;
static int g_in_flight, g_max_in_flight = 4096;
static int32_t *g_results;
static uint8_t *g_result_bytes;
static int g_result_count;
static uint32_t g_result_bytes_len;
static char g_read_buf[64 * 1024];

// ---- results ----

static void flush_results(void) {
  if (g_result_count == 0) return;
  double args[1] = {g_result_count};
  g_result_count = 0;
  g_result_bytes_len = 0;
  call_js(g_on_results, 1, args);
}

/** Queues a verdict for JavaScript, with the answer's bytes for the failures that quote it. */
static void add_result(int id, int kind, int err, const char *a, uint32_t alen, const char *b, uint32_t blen) {
  if (alen + blen > KEEP_MAX) {
    if (alen > KEEP_MAX) alen = KEEP_MAX;
    blen = KEEP_MAX - alen;
  }
  if (g_result_count == RESULTS_MAX || g_result_bytes_len + alen + blen > RESULT_BYTES) flush_results();
  int32_t *r = g_results + g_result_count * RESULT_FIELDS;
  r[0] = id;
  r[1] = kind;
  r[2] = err;
  r[3] = (int32_t)g_result_bytes_len;
  r[4] = (int32_t)(alen + blen);
  if (alen) memcpy(g_result_bytes + g_result_bytes_len, a, alen);
  if (blen) memcpy(g_result_bytes + g_result_bytes_len + alen, b, blen);
  g_result_bytes_len += alen + blen;
  g_result_count++;
}

// ---- timer heap ----

static void heap_push(double t, int id, uint8_t what) {
  if (g_heap_len == g_heap_cap) {
    int cap = g_heap_cap ? g_heap_cap * 2 : 1024;
    HeapItem *grown = realloc(g_heap, sizeof(HeapItem) * (size_t)cap);
    if (grown == NULL) abort();
    g_heap = grown;
    g_heap_cap = cap;
  }
  int i = g_heap_len++;
  HeapItem item = {.t = t, .id = id, .gen = g_checks[id].gen, .what = what};
  while (i > 0) {
    int parent = (i - 1) / 2;
    if (g_heap[parent].t <= t) break;
    g_heap[i] = g_heap[parent];
    i = parent;
  }
  g_heap[i] = item;
}

static HeapItem heap_pop(void) {
  HeapItem top = g_heap[0];
  HeapItem last = g_heap[--g_heap_len];
  int i = 0;
  for (;;) {
    int child = 2 * i + 1;
    if (child >= g_heap_len) break;
    if (child + 1 < g_heap_len && g_heap[child + 1].t < g_heap[child].t) child++;
    if (g_heap[child].t >= last.t) break;
    g_heap[i] = g_heap[child];
    i = child;
  }
  if (g_heap_len > 0) g_heap[i] = last;
  return top;
}

static void on_timer(uv_timer_t *t);

/** Makes the timer fire for the earliest entry of the heap. */
static void arm(void) {
  if (g_heap_len == 0) {
    if (g_armed_at >= 0) uv_timer_stop(&g_timer);
    g_armed_at = -1;
    return;
  }
  double at = g_heap[0].t;
  if (g_armed_at >= 0 && g_armed_at <= at) return;
  double delay = at - loop_now_ms();
  uv_timer_start(&g_timer, on_timer, delay > 0 ? (uint64_t)delay + 1 : 0, 0);
  g_armed_at = at;
}

// ---- one check ----

static void start(int id);

/** The check is over: close, report, and start what waits (this server's overdue check, then others). */
static void finish(int id, int kind, int err, const char *a, uint32_t alen, const char *b, uint32_t blen) {
  Check *c = &g_checks[id];
  // An orderly close (FIN), not a reset (HAProxy's habit): a server that only shut down its
  // sending side, as a Node server's end() does, would read ECONNRESET.
  close(c->fd);
  c->fd = -1;
  c->phase = P_IDLE;
  g_in_flight--;
  add_result(id, kind, err, a, alen, b, blen);
  free(c->kept);
  c->kept = NULL;
  c->kept_len = 0;
  if (c->overdue) {
    c->overdue = 0;
    start(id);
  }
  while (g_waiting_len > 0 && g_in_flight < g_max_in_flight) {
    int w = g_waiting[g_waiting_head];
    g_waiting_head = (g_waiting_head + 1) % g_waiting_cap;
    g_waiting_len--;
    if (g_checks[w].phase == P_IDLE) start(w);
  }
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
  heap_push(c->deadline, id, H_DEADLINE);
  arm();
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

static void start(int id) {
  Check *c = &g_checks[id];
  if (g_in_flight >= g_max_in_flight) {
    // Out of slots: wait for one rather than fail (running out of descriptors must not mark
    // healthy servers down).
    if (g_waiting_len == g_waiting_cap) {
      int cap = g_waiting_cap ? g_waiting_cap * 2 : 1024;
      int *grown = malloc(sizeof(int) * (size_t)cap);
      if (grown == NULL) abort();
      for (int i = 0; i < g_waiting_len; i++) grown[i] = g_waiting[(g_waiting_head + i) % g_waiting_cap];
      free(g_waiting);
      g_waiting = grown;
      g_waiting_head = 0;
      g_waiting_cap = cap;
    }
    g_waiting[(g_waiting_head + g_waiting_len++) % g_waiting_cap] = id;
    return;
  }
  double now = loop_now_ms();
  // Fixed rate from the start of each check.
  c->due = now + c->interval_ms;
  heap_push(c->due, id, H_DUE);
  g_in_flight++;
  c->run++;
  c->phase = P_CONNECTING;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    finish(id, K_SOCKET, errno, NULL, 0, NULL, 0);
    arm();
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
    arm();
    return;
  }
  uint64_t data = CHECK_TAG | ((uint64_t)(c->run & 0xffffff) << 32) | (uint32_t)id;
  if (loop_watch(c->fd, data, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
    finish(id, K_SOCKET, errno, NULL, 0, NULL, 0);
    arm();
    return;
  }
  c->deadline = now + c->timeout_ms;
  heap_push(c->deadline, id, H_DEADLINE);
  arm();
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

static void on_timer(uv_timer_t *t) {
  (void)t;
  g_armed_at = -1;
  loop_batch_begin();
  double now = loop_now_ms();
  while (g_heap_len > 0 && g_heap[0].t <= now) {
    HeapItem item = heap_pop();
    Check *c = &g_checks[item.id];
    if (c->gen != item.gen || c->phase == P_FREE) continue;
    if (item.what == H_DUE) {
      if (c->due != item.t) continue;
      if (c->phase == P_IDLE) start(item.id);
      else c->overdue = 1;  // never overlap: it starts when this one ends
    } else {
      if (c->phase < P_CONNECTING || c->deadline != item.t) continue;
      if (c->phase == P_CONNECTING) {
        finish(item.id, K_CONNECT_TIMEOUT, 0, NULL, 0, NULL, 0);
      } else {
        // An answer may be waiting unread on a busy process: look once before calling it late.
        if (c->phase == P_READING) read_answer(item.id);
        if (g_checks[item.id].phase >= P_CONNECTING && g_checks[item.id].gen == item.gen) {
          finish(item.id, K_TIMEOUT, 0, g_checks[item.id].kept, g_checks[item.id].kept_len, NULL, 0);
        }
      }
    }
  }
  arm();
  loop_batch_end();
}

void checks_batch_end(void) {
  flush_results();
  slab_settle(&g_check_slab);
}

// ---- JavaScript API ----

static char *copy_buffer(napi_env env, napi_value v, uint32_t *len) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  *len = 0;
  if (type == napi_null || type == napi_undefined) return NULL;
  void *data;
  size_t n;
  if (napi_get_buffer_info(env, v, &data, &n) != napi_ok || n == 0) return NULL;
  char *out = malloc(n);
  if (out == NULL) return NULL;
  memcpy(out, data, n);
  *len = (uint32_t)n;
  return out;
}

/**
 * checkAdd(ip, port, send: Buffer | null, expect: Buffer | null, expectAny, intervalMs, timeoutMs,
 * firstDelayMs) → id. `expect` null and not expectAny: no answer is read.
 */
static napi_value js_check_add(napi_env env, napi_callback_info info) {
  ARGS(8);
  if (g_on_results == NULL) {
    napi_throw_error(env, NULL, "checksInit() first");
    return NULL;
  }
  // A new record is zeroed (P_FREE, gen 0); a reused one keeps the gen and run of its last use.
  int id = slab_take(&g_check_slab);
  if (id < 0) {
    napi_throw_error(env, NULL, "out of memory for health checks");
    return NULL;
  }
  Check *c = &g_checks[id];
  uint32_t ip, port;
  bool any;
  double interval, timeout, first;
  napi_get_value_uint32(env, argv[0], &ip);
  napi_get_value_uint32(env, argv[1], &port);
  c->ip = ip;
  c->port = (uint16_t)port;
  c->send = copy_buffer(env, argv[2], &c->send_len);
  c->expect = copy_buffer(env, argv[3], &c->expect_len);
  napi_get_value_bool(env, argv[4], &any);
  c->expect_any = any;
  c->has_expect = any || c->expect_len > 0;
  napi_get_value_double(env, argv[5], &interval);
  napi_get_value_double(env, argv[6], &timeout);
  napi_get_value_double(env, argv[7], &first);
  c->interval_ms = interval;
  c->timeout_ms = timeout;
  c->phase = P_IDLE;
  c->overdue = 0;
  c->fd = -1;
  c->due = loop_now_ms() + (first > 0 ? first : 0);
  heap_push(c->due, id, H_DUE);
  arm();
  return int_value(env, id);
}

/** checkRemove(id): ends the check's schedule and any check in flight, without a verdict. */
static napi_value js_check_remove(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t id;
  napi_get_value_int32(env, argv[0], &id);
  if (id < 0 || id >= g_check_slab.cap || g_checks[id].phase == P_FREE) return NULL;
  Check *c = &g_checks[id];
  if (c->phase >= P_CONNECTING) {
    close(c->fd);
    g_in_flight--;
  }
  free(c->send);
  free(c->expect);
  free(c->kept);
  uint32_t gen = c->gen + 1, run = c->run + 1;
  memset(c, 0, sizeof *c);
  c->gen = gen;
  c->run = run;
  c->fd = -1;
  c->phase = P_FREE;
  // Results of this batch may still name the id: reuse it only after the batch.
  slab_put(&g_check_slab, id);
  return NULL;
}

/** checksSetMaxInFlight(n): most checks running at once. */
static napi_value js_set_max_in_flight(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t n;
  napi_get_value_int32(env, argv[0], &n);
  g_max_in_flight = n > 0 ? n : 1;
  return NULL;
}

/** checksInFlight() → checks running now. */
static napi_value js_in_flight(napi_env env, napi_callback_info info) {
  return int_value(env, g_in_flight);
}

/**
 * checksInit(onResults) → [results, bytes]: two ArrayBuffers. onResults(count) is called with
 * `count` rows of RESULT_FIELDS int32 in `results` (id, kind, errno, offset, length), the last two
 * locating, in `bytes`, the answer a failure quotes. Once per process.
 */
static napi_value js_checks_init(napi_env env, napi_callback_info info) {
  ARGS(1);
  if (g_on_results != NULL) {
    napi_throw_error(env, NULL, "the native checks are already initialised");
    return NULL;
  }
  if (loop_start(env) < 0) return NULL;
  g_results = calloc(RESULTS_MAX * RESULT_FIELDS, sizeof(int32_t));
  g_result_bytes = malloc(RESULT_BYTES);
  if (g_results == NULL || g_result_bytes == NULL) {
    napi_throw_error(env, NULL, "the native checks could not allocate their result buffers");
    return NULL;
  }
  napi_create_reference(env, argv[0], 1, &g_on_results);
  uv_timer_init(loop_uv(), &g_timer);
  // Like the pool's timers: checks alone do not keep the process alive.
  uv_unref((uv_handle_t *)&g_timer);
  napi_value out, results, bytes;
  napi_create_external_arraybuffer(env, g_results, RESULTS_MAX * RESULT_FIELDS * sizeof(int32_t), NULL, NULL, &results);
  napi_create_external_arraybuffer(env, g_result_bytes, RESULT_BYTES, NULL, NULL, &bytes);
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, results);
  napi_set_element(env, out, 1, bytes);
  return out;
}

void checks_register(napi_env env, napi_value exports) {
  define_function(env, exports, "checksInit", js_checks_init);
  define_function(env, exports, "checkAdd", js_check_add);
  define_function(env, exports, "checkRemove", js_check_remove);
  define_function(env, exports, "checksSetMaxInFlight", js_set_max_in_flight);
  define_function(env, exports, "checksInFlight", js_in_flight);
  define_int(env, exports, "RESULT_FIELDS", RESULT_FIELDS);
}
