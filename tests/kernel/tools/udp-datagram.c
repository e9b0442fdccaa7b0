/*
 * The spoofing test's attacker (run in a namespace of its own): sends one UDP datagram given as
 * hex, or waits for one and prints it as hex. Source-address spoofing and the copy of a router's
 * heartbeats to the attacker are done by nftables rules the test installs; this program only sends
 * and receives bytes. Node would take half a minute to start for each under the emulated CPU.
 *
 *   udp-datagram send ADDRESS PORT HEX          one datagram of those bytes to ADDRESS:PORT
 *   udp-datagram receive ADDRESS PORT SECONDS   the first datagram to ADDRESS:PORT, as hex
 *                                               (exit 1 when none came within SECONDS)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what) {
  perror(what);
  return 1;
}

static int address(const char *ip, const char *port, struct sockaddr_in *to) {
  memset(to, 0, sizeof *to);
  to->sin_family = AF_INET;
  to->sin_port = htons((unsigned short)atoi(port));
  return inet_pton(AF_INET, ip, &to->sin_addr) == 1 ? 0 : -1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 5 || (strcmp(argv[1], "send") != 0 && strcmp(argv[1], "receive") != 0)) {
    fprintf(stderr, "usage: udp-datagram send ADDRESS PORT HEX | receive ADDRESS PORT SECONDS\n");
    return 2;
  }
  struct sockaddr_in where;
  if (address(argv[2], argv[3], &where) != 0) {
    fprintf(stderr, "udp-datagram: not an IPv4 address: %s\n", argv[2]);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return fail("socket");

  if (strcmp(argv[1], "send") == 0) {
    size_t len = strlen(argv[4]);
    if (len == 0 || len % 2 != 0 || len > 2 * 65507) {
      fprintf(stderr, "udp-datagram: HEX must be an even number of hex digits\n");
      return 2;
    }
    unsigned char *bytes = malloc(len / 2);
    if (!bytes) return fail("malloc");
    for (size_t i = 0; i < len / 2; i++) {
      int hi = hexval(argv[4][2 * i]), lo = hexval(argv[4][2 * i + 1]);
      if (hi < 0 || lo < 0) {
        fprintf(stderr, "udp-datagram: not a hex digit in HEX\n");
        return 2;
      }
      bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    if (sendto(fd, bytes, len / 2, 0, (struct sockaddr *)&where, sizeof where) != (ssize_t)(len / 2)) return fail("sendto");
    return 0;
  }

  if (bind(fd, (struct sockaddr *)&where, sizeof where) != 0) return fail("bind");
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int ready = poll(&p, 1, atoi(argv[4]) * 1000);
  if (ready < 0) return fail("poll");
  if (ready == 0) {
    fprintf(stderr, "udp-datagram: no datagram within %s s\n", argv[4]);
    return 1;
  }
  unsigned char buf[65536];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n < 0) return fail("recv");
  for (ssize_t i = 0; i < n; i++) printf("%02x", buf[i]);
  printf("\n");
  return 0;
}
