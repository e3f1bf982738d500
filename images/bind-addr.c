/*
 * bind-addr.so: an LD_PRELOAD library that makes a server whose tool has no option to choose its
 * listening address (nuttcp's server) bind ISOBENCH_BIND_ADDR instead of the IPv4 wildcard, for
 * its control and its data listeners alike. Benchmark servers run as root on shared machines;
 * on the host's own network (native, Docker host networking) the wildcard would expose them to
 * the whole LAN. Only bind() is wrapped, so the measured data path is untouched.
 *
 * With ISOBENCH_BIND_ADDR unset it changes nothing. With it set, an IPv6 bind is refused
 * (EAFNOSUPPORT) rather than let through unconfined.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    static bind_fn real;
    if (!real) real = (bind_fn)dlsym(RTLD_NEXT, "bind");
    const char *want = getenv("ISOBENCH_BIND_ADDR");
    if (!want || !addr) return real(fd, addr, len);
    if (addr->sa_family == AF_INET6) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    if (addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in a;
        memcpy(&a, addr, sizeof a);
        if (a.sin_addr.s_addr == htonl(INADDR_ANY)) {
            if (inet_pton(AF_INET, want, &a.sin_addr) != 1) {
                errno = EINVAL;
                return -1;
            }
            return real(fd, (const struct sockaddr *)&a, sizeof a);
        }
    }
    return real(fd, addr, len);
}
