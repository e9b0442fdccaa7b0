// What the three files of the scheduled TCP health checks share (their design is described at the
// top of checks.c):
//   checks.c           the functions JavaScript calls, and the verdicts handed to it in batches;
//   checks-schedule.c  when checks run: the timer heap, the interval, at most maxInFlight at once;
//   checks-probe.c     one check's run: connect, write `send`, read until `expect` is decided.
#ifndef PIRANHA_CHECKS_H
#define PIRANHA_CHECKS_H
#include "loop.h"

/**
 * How a check ended; JavaScript turns the failures into sentences (agent/checkers/check.ts). The
 * addon exports the names and values (layout.checks.outcomes), checked against
 * agent/native-contract.ts when the agent loads the addon.
 */
#define CHECK_OUTCOMES(X)                      \
  X(K_OK, "ok")                                \
  X(K_SOCKET, "socket")                        \
  X(K_CONNECT, "connect")                      \
  X(K_CONNECT_TIMEOUT, "connectTimeout")       \
  X(K_WRITE, "write")                          \
  X(K_READ, "read")                            \
  X(K_CLOSED, "closed")                        \
  X(K_TIMEOUT, "timeout")                      \
  X(K_MISMATCH, "mismatch")
enum { CHECK_OUTCOMES(LAYOUT_ENUM) };

/**
 * One verdict in the results shared with JavaScript: RESULT_FIELDS int32 in this order, offset and
 * length locating in the bytes buffer the answer a failure quotes, micros the check's duration
 * (layout.checks.results).
 */
#define RESULT_COLUMNS(X) \
  X(R_ID, "id")           \
  X(R_OUTCOME, "outcome") \
  X(R_ERRNO, "errno")     \
  X(R_OFFSET, "offset")   \
  X(R_LENGTH, "length")   \
  X(R_MICROS, "micros")
enum { RESULT_COLUMNS(LAYOUT_ENUM) RESULT_FIELDS };

enum { P_FREE, P_IDLE, P_CONNECTING, P_WRITING, P_READING };
/** What a timer entry is: the check's next start, or the deadline of the phase it is in. */
enum { H_DUE, H_DEADLINE };

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
  double started_us;  // monotonic clock at the start of the run in flight (the verdict's latency)
  int fd;
  char *kept;  // the answer so far, when one read did not decide
  uint32_t kept_len;
} Check;

extern Slab g_check_slab;
#define g_checks ((Check *)g_check_slab.items)
/** Checks running now, and the most that may. */
extern int g_in_flight, g_max_in_flight;

// checks.c
/** Queues a verdict for JavaScript, with the answer's bytes (a then b) for the failures that quote it. */
void result_add(int id, int outcome, int err, const char *a, uint32_t alen, const char *b, uint32_t blen);
/** The monotonic clock in microseconds (a check's latency; the loop's cached time has only ms). */
double checks_clock_us(void);

// checks-schedule.c
/** Creates the timer; once, before the first check is added. */
void timers_init(void);
/** Adds a timer entry for check `id` at `t` (monotonic ms); timers_arm() makes it count. */
void timer_add(double t, int id, uint8_t what);
/** Makes the timer fire for the earliest entry. */
void timers_arm(void);
/** Starts check `id` now, or queues it while maxInFlight checks run. */
void check_start(int id);
/** Starts queued checks while slots are free. */
void checks_start_waiting(void);

// checks-probe.c
/** The run itself, from the socket on; `now` is when check_start() took it. */
void probe_start(int id, double now);
/** The deadline of the phase check `id` (of generation `gen`) is in has passed. */
void probe_deadline(int id, uint32_t gen);

#endif
