// What the three files of the userspace dataplane's TCP relay share (the relay's design is
// described at the top of relay.c):
//   relay.c       the listeners and the functions JavaScript calls (init, listen, close, sweep);
//   relay-conn.c  a connection's life: accepted, placed by JavaScript, connected, ended;
//   relay-pump.c  the bytes of an open connection, both ways, with backpressure and counting.
#ifndef PIRANHA_RELAY_H
#define PIRANHA_RELAY_H
#include "loop.h"

/**
 * One real server's slot in the counters shared with JavaScript: SLOT_FIELDS doubles in this
 * order. The addon exports the names and offsets (layout.relay.counters) and the agent checks them
 * against agent/native-contract.ts when it loads the addon, so the two sides cannot drift apart.
 */
#define RELAY_COUNTERS(X)          \
  X(F_ACTIVE, "active")            \
  X(F_INACTIVE, "inactive")        \
  X(F_PACKETS_IN, "packetsIn")     \
  X(F_PACKETS_OUT, "packetsOut")   \
  X(F_BYTES_IN, "bytesIn")         \
  X(F_BYTES_OUT, "bytesOut")       \
  X(F_IP, "ip")                    \
  X(F_PORT, "port")
enum { RELAY_COUNTERS(LAYOUT_ENUM) SLOT_FIELDS };
#define MAX_SLOTS (1 << 20)

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

extern napi_ref g_on_accept, g_on_closed, g_on_problem;
extern double *g_counters;
extern Slab g_conn_slab;
#define g_conns ((Conn *)g_conn_slab.items)
extern Listener *g_listeners;

/** A real server's fields in the shared counters. */
static inline double *slot_counters(int slot) {
  return g_counters + (size_t)slot * SLOT_FIELDS;
}

// relay-conn.c
/** Accepts what waits on listener `lid` (a bounded number per wake-up). */
void conn_accept(int lid);
/** An epoll event on side `side` of connection `id`. */
void conn_event(int id, int side, uint32_t events);
/** Ends both sides at once: a FIN, or a RST where unread data is left. */
void conn_cut(int id);
/** Resets the client, as it would see had it connected to a real server that refused. */
void conn_refuse(int id);
/** `from` sent its FIN: pass it on, or end the connection when both sides have. */
void conn_ended(int id, int from);

// relay-pump.c
/** Moves bytes from side `from` to the other side; `drain` reads on after a short read. */
void pump(int id, int from, int drain);

#endif
