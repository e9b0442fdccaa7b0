/*
 * The client of the kernel suite, run in the client namespace. Emulated CPUs are slow, so the
 * connections are made by this small program rather than by node.
 *
 *   tcp-client count N TARGET[,TARGET...] [SOURCE[,SOURCE...]]
 *     makes N connections one after the other, the i-th to TARGET number i mod (count of targets)
 *     from SOURCE number i mod (count of sources) (default: the kernel's choice); reads the first
 *     line the server sends and closes. Prints one line per connection:
 *       SOURCE TARGET ANSWER        e.g. "203.0.113.10 198.51.100.1:80 rs2 80"
 *       SOURCE TARGET ! ERROR       when it failed (connect refused, timeout, ...)
 *   tcp-client hold TARGET [SOURCE]
 *     one connection kept open: prints the first line the server sends, then sends each line read
 *     on stdin and prints the line that comes back ("! ERROR" and exit 1 when the connection
 *     fails); closes at the end of stdin.
 * TARGET is ADDRESS:PORT. Connecting, and reading each line, time out after 5 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"

#define TIMEOUT_MS 5000
#define MAX_ADDRS 256

struct target {
  char text[64];
  struct sockaddr_in addr;
};

static int parse_list(char *list, struct target *out, int with_port) {
  int n = 0;
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    if (n == MAX_ADDRS) return -1;
    struct target *t = &out[n++];
    snprintf(t->text, sizeof t->text, "%s", tok);
    char *colon = strrchr(tok, ':');
    if (with_port != (colon != NULL)) return -1;
    int port = 0;
    if (colon) {
      *colon = 0;
      port = atoi(colon + 1);
      if (port < 1 || port > 65535) return -1;
    }
    t->addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, tok, &t->addr.sin_addr) != 1) return -1;
  }
  return n;
}

/* Connects (from `source` unless NULL) with a timeout; returns a blocking socket or -1 with errno. */
static int open_conn(const struct target *to, const struct target *source) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  int one = 1;
  setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if ((source && bind(s, (const void *)&source->addr, sizeof source->addr)) || connect_until(s, &to->addr, now_ms() + TIMEOUT_MS)) {
    int saved = errno;
    close(s);
    errno = saved;
    return -1;
  }
  fcntl(s, F_SETFL, 0);
  return s;
}

/* Reads one line (without its newline) into buf within TIMEOUT_MS; -1 with errno on error, timeout or EOF first. */
static int read_line(int s, char *buf, size_t size) {
  return read_line_until(s, buf, size, now_ms() + TIMEOUT_MS);
}

static int usage(void) {
  fputs("usage: tcp-client count N TARGET[,TARGET...] [SOURCE[,...]]\n"
        "       tcp-client hold TARGET [SOURCE]\n", stderr);
  return 2;
}

int main(int argc, char **argv) {
  static struct target targets[MAX_ADDRS], sources[MAX_ADDRS];
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && argc <= 5 && strcmp(argv[1], "count") == 0) {
    long n = atol(argv[2]);
    int nt = parse_list(argv[3], targets, 1);
    int ns = argc == 5 ? parse_list(argv[4], sources, 0) : 0;
    if (n < 1 || nt < 1 || ns < 0) return usage();
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    for (long i = 0; i < n; i++) {
      const struct target *to = &targets[i % nt], *from = ns ? &sources[i % ns] : NULL;
      char line[256];
      int s = open_conn(to, from);
      if (s >= 0 && read_line(s, line, sizeof line) == 0) printf("%s %s %s\n", from ? from->text : "-", to->text, line);
      else printf("%s %s ! %s\n", from ? from->text : "-", to->text, strerror(errno));
      if (s >= 0) close(s);
    }
    return 0;
  }
  if (argc >= 3 && argc <= 4 && strcmp(argv[1], "hold") == 0) {
    if (parse_list(argv[2], targets, 1) != 1 || (argc == 4 && parse_list(argv[3], sources, 0) != 1)) return usage();
    char line[4096];
    int s = open_conn(&targets[0], argc == 4 ? &sources[0] : NULL);
    if (s < 0 || read_line(s, line, sizeof line)) {
      printf("! %s\n", strerror(errno));
      return 1;
    }
    printf("%s\n", line);
    while (fgets(line, sizeof line, stdin)) {
      size_t len = strlen(line);
      if (write(s, line, len) != (ssize_t)len || read_line(s, line, sizeof line)) {
        printf("! %s\n", strerror(errno));
        return 1;
      }
      printf("%s\n", line);
    }
    close(s);
    return 0;
  }
  return usage();
}
