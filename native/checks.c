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
//
// This file holds the functions JavaScript calls and the verdicts handed to it in batches; when
// checks run is checks-schedule.c, and one check's run checks-probe.c.
#include "checks.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/** Most bytes of an answer kept for the failure message (expect.ts MAX_READ). */
#define KEEP_MAX 4096
/** Verdicts handed to JavaScript per call, and the bytes of failed answers among them. */
#define RESULTS_MAX 4096
#define RESULT_BYTES (1 << 20)

Slab g_check_slab = SLAB_OF(Check);

static napi_ref g_on_results;
static int32_t *g_results;
static uint8_t *g_result_bytes;
static int g_result_count;
static uint32_t g_result_bytes_len;

// ---- results ----

static void flush_results(void) {
  if (g_result_count == 0) return;
  double args[1] = {g_result_count};
  g_result_count = 0;
  g_result_bytes_len = 0;
  call_js(g_on_results, 1, args);
}

double checks_clock_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

void result_add(int id, int outcome, int err, const char *a, uint32_t alen, const char *b, uint32_t blen) {
  if (alen + blen > KEEP_MAX) {
    if (alen > KEEP_MAX) alen = KEEP_MAX;
    blen = KEEP_MAX - alen;
  }
  if (g_result_count == RESULTS_MAX || g_result_bytes_len + alen + blen > RESULT_BYTES) flush_results();
  int32_t *r = g_results + g_result_count * RESULT_FIELDS;
  r[R_ID] = id;
  r[R_OUTCOME] = outcome;
  r[R_ERRNO] = err;
  r[R_OFFSET] = (int32_t)g_result_bytes_len;
  r[R_LENGTH] = (int32_t)(alen + blen);
  double micros = checks_clock_us() - g_checks[id].started_us;
  r[R_MICROS] = micros < 0 ? 0 : micros > 2e9 ? 2000000000 : (int32_t)micros;
  if (alen) memcpy(g_result_bytes + g_result_bytes_len, a, alen);
  if (blen) memcpy(g_result_bytes + g_result_bytes_len + alen, b, blen);
  g_result_bytes_len += alen + blen;
  g_result_count++;
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
  timer_add(c->due, id, H_DUE);
  timers_arm();
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
 * `count` rows of RESULT_FIELDS int32 in `results` (RESULT_COLUMNS: id, outcome, errno, offset,
 * length), the last two locating, in `bytes`, the answer a failure quotes. Once per process.
 */
static napi_value js_checks_init(napi_env env, napi_callback_info info) {
  ARGS(1);
  if (loop_start_once(env, g_on_results != NULL, "the native checks are already initialised") < 0) return NULL;
  g_results = calloc(RESULTS_MAX * RESULT_FIELDS, sizeof(int32_t));
  g_result_bytes = malloc(RESULT_BYTES);
  if (g_results == NULL || g_result_bytes == NULL) {
    napi_throw_error(env, NULL, "the native checks could not allocate their result buffers");
    return NULL;
  }
  napi_create_reference(env, argv[0], 1, &g_on_results);
  timers_init();
  napi_value out, results, bytes;
  napi_create_external_arraybuffer(env, g_results, RESULTS_MAX * RESULT_FIELDS * sizeof(int32_t), NULL, NULL, &results);
  napi_create_external_arraybuffer(env, g_result_bytes, RESULT_BYTES, NULL, NULL, &bytes);
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, results);
  napi_set_element(env, out, 1, bytes);
  return out;
}

static const FunctionEntry FUNCTIONS[] = {
    {"checksInit", js_checks_init}, {"checkAdd", js_check_add}, {"checkRemove", js_check_remove},
    {"checksSetMaxInFlight", js_set_max_in_flight}, {"checksInFlight", js_in_flight},
};
static const LayoutEntry RESULTS[] = {RESULT_COLUMNS(LAYOUT_ENTRY)};
static const LayoutEntry OUTCOMES[] = {CHECK_OUTCOMES(LAYOUT_ENTRY)};

void checks_register(napi_env env, napi_value exports, napi_value layout) {
  define_functions(env, exports, FUNCTIONS, TABLE_COUNT(FUNCTIONS));
  // layout.checks = {resultFields, results: {id: 0, ...}, outcomes: {ok: 0, ...}}
  napi_value checks = define_object(env, layout, "checks");
  define_int(env, checks, "resultFields", RESULT_FIELDS);
  define_layout(env, checks, "results", RESULTS, TABLE_COUNT(RESULTS));
  define_layout(env, checks, "outcomes", OUTCOMES, TABLE_COUNT(OUTCOMES));
}
