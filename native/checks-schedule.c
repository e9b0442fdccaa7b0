// When health checks run: every check's next start and its current deadline are entries in one
// timer heap behind one libuv timer; a check starts at a fixed rate from the start of the last
// one, never overlaps itself, and waits for a slot when maxInFlight checks already run.
#include "checks.h"

#include <stdlib.h>

typedef struct {
  double t;
  int id;
  uint32_t gen;
  uint8_t what;
} HeapItem;

int g_in_flight, g_max_in_flight = 4096;

static HeapItem *g_heap;
static int g_heap_len, g_heap_cap;
static uv_timer_t g_timer;
static double g_armed_at = -1;  // when g_timer fires, -1 when stopped
static int *g_waiting;          // ring of check ids due while maxInFlight checks ran
static int g_waiting_head, g_waiting_len, g_waiting_cap;

// ---- timer heap ----

void timer_add(double t, int id, uint8_t what) {
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

void timers_arm(void) {
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

void timers_init(void) {
  uv_timer_init(loop_uv(), &g_timer);
  // Like the pool's timers: checks alone do not keep the process alive.
  uv_unref((uv_handle_t *)&g_timer);
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
      if (c->phase == P_IDLE) check_start(item.id);
      else c->overdue = 1;  // never overlap: it starts when this one ends
    } else {
      if (c->phase < P_CONNECTING || c->deadline != item.t) continue;
      probe_deadline(item.id, item.gen);
    }
  }
  timers_arm();
  loop_batch_end();
}

// ---- starting checks ----

void check_start(int id) {
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
  timer_add(c->due, id, H_DUE);
  probe_start(id, now);
}

void checks_start_waiting(void) {
  while (g_waiting_len > 0 && g_in_flight < g_max_in_flight) {
    int w = g_waiting[g_waiting_head];
    g_waiting_head = (g_waiting_head + 1) % g_waiting_cap;
    g_waiting_len--;
    if (g_checks[w].phase == P_IDLE) check_start(w);
  }
}
