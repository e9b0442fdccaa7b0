/*
 * A real server for the kernel suite: listens on 0.0.0.0:PORT for each PORT given and, on every
 * connection, first sends "NAME PORT\n" (which real server answered, on which port), then echoes
 * whatever the client sends until it closes. One process, one poll loop: under an emulated CPU a
 * process per connection would cost more than the traffic it carries.
 *
 *   name-server NAME PORT [PORT...]
 *
 * SIGUSR1 closes the listening sockets (the service stops: new connections are refused) while the
 * established connections carry on; SIGUSR2 opens them again; SIGTERM ends the process. It prints
 * "listening" or "stopped" on stdout after each change, so the test knows when it took effect.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PORTS 8
#define MAX_FDS 4096

static volatile sig_atomic_t want_stop, want_start, want_exit;
static void on_signal(int sig) {
  if (sig == SIGUSR1) want_stop = 1;
  else if (sig == SIGUSR2) want_start = 1;
  else want_exit = 1;
}

static struct pollfd fds[MAX_FDS];
static int nfds;
static int nports, ports[MAX_PORTS], listeners[MAX_PORTS];
static char greeting[MAX_PORTS][128];

static void open_listeners(void) {
  for (int i = 0; i < nports; i++) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(ports[i]), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) || bind(s, (void *)&a, sizeof a) || listen(s, 1024)) {
      fprintf(stderr, "name-server: cannot listen on port %d: %s\n", ports[i], strerror(errno));
      exit(1);
    }
    listeners[i] = s;
  }
  puts("listening");
  fflush(stdout);
}

static void close_listeners(void) {
  for (int i = 0; i < nports; i++) {
    close(listeners[i]);
    listeners[i] = -1;
  }
  puts("stopped");
  fflush(stdout);
}

static void drop(int i) {
  close(fds[i].fd);
  fds[i] = fds[--nfds];
}

int main(int argc, char **argv) {
  if (argc < 3 || argc - 2 > MAX_PORTS) {
    fprintf(stderr, "usage: name-server NAME PORT [PORT...] (at most %d ports)\n", MAX_PORTS);
    return 2;
  }
  nports = argc - 2;
  for (int i = 0; i < nports; i++) {
    ports[i] = atoi(argv[i + 2]);
    if (ports[i] < 1 || ports[i] > 65535) {
      fprintf(stderr, "name-server: bad port %s\n", argv[i + 2]);
      return 2;
    }
    snprintf(greeting[i], sizeof greeting[i], "%s %d\n", argv[1], ports[i]);
  }
  sigset_t block, none;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGUSR2);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &none);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  open_listeners();

  for (;;) {
    if (want_exit) return 0;
    if (want_stop) {
      want_stop = 0;
      if (listeners[0] >= 0) close_listeners();
    }
    if (want_start) {
      want_start = 0;
      if (listeners[0] < 0) open_listeners();
    }
    /* Listeners first (slots 0..nports-1 of a scratch array), then the connections. */
    struct pollfd all[MAX_PORTS + MAX_FDS];
    int nl = listeners[0] >= 0 ? nports : 0;
    for (int i = 0; i < nl; i++) all[i] = (struct pollfd){.fd = listeners[i], .events = POLLIN};
    for (int i = 0; i < nfds; i++) all[nl + i] = (struct pollfd){.fd = fds[i].fd, .events = POLLIN};
    /* ppoll with the signals unblocked only while waiting: none is lost between checks. */
    int n = ppoll(all, nl + nfds, NULL, &none);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("name-server: poll");
      return 1;
    }
    for (int i = nfds - 1; i >= 0; i--) {
      if (!all[nl + i].revents) continue;
      char buf[4096];
      ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r <= 0 || write(fds[i].fd, buf, r) != r) drop(i);
    }
    for (int i = 0; i < nl; i++) {
      if (!(all[i].revents & POLLIN)) continue;
      for (;;) {
        int c = accept4(listeners[i], NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) break;
        size_t len = strlen(greeting[i]);
        if (nfds == MAX_FDS || write(c, greeting[i], len) != (ssize_t)len) {
          close(c);
          continue;
        }
        fds[nfds++] = (struct pollfd){.fd = c};
      }
    }
  }
}
