// SPDX-License-Identifier: GPL-2.0
/*
 * twbench: TCP connection churn load generator for the twctl benchmarks.
 *
 * N client loops connect -> optional request/response -> close, against a
 * built-in epoll server (on one or many ports, optionally in another network
 * namespace) or a given address, for a fixed count or a duration, at full
 * speed or paced to a rate. Who closes first is selectable. Reports
 * connections/s, errors by errno, connect latency p50/p99, CPU time and a
 * per-interval time series; --json for machines. See twbench --help.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_ERRNO	256
#define MAX_PORTS	4096
#define MAX_THREADS	1024
#define REQ_MAX		65536

enum close_mode { CLOSE_CLIENT, CLOSE_SERVER, CLOSE_BOTH };
static const char *const close_names[] = { "client", "server", "both" };

struct opts {
	long count;			/* connection attempts in all, 0: duration */
	double duration;		/* seconds, 0: count */
	int conc;			/* client loops */
	enum close_mode close;
	int req;			/* request = response size, bytes */
	const char *connect_to;		/* external server HOST:PORT */
	const char *listen_addr;	/* built-in server address */
	int listen_port;		/* first port, 0 = ephemeral */
	int nports;			/* listening ports */
	const char *bind_addr;		/* client source address */
	int port_lo, port_hi;		/* client source port range */
	const char *server_netns, *client_netns;
	double rate;			/* total connections/s, 0 = unpaced */
	double interval;		/* time series step, s */
	int stop_on_error;
	int server_fifo;		/* server thread SCHED_FIFO 1 */
	int inline_server;		/* the client loop serves, no server thread */
	int json;
	int family;
};

static struct opts o = {
	.conc = 1, .nports = 1, .interval = 1.0, .close = CLOSE_CLIENT,
	.family = AF_INET,
};

static struct sockaddr_storage dst[MAX_PORTS];
static socklen_t dst_len;
static int ndst;
static struct sockaddr_storage src;
static socklen_t src_len;

static atomic_long n_ok, n_err, n_started;
static atomic_int stop;
static struct timespec t_start;

struct worker {
	pthread_t th;
	int id;
	int joined;
	long ok;
	long err[MAX_ERRNO];
	uint32_t *lat;			/* connect latency samples, us */
	size_t nlat, caplat;
};

static struct worker *workers;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("twbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t_start.tv_sec) + (t.tv_nsec - t_start.tv_nsec) / 1e9;
}

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "EUNKNOWN";
}

static void usage(FILE *f)
{
	fputs(
"Usage: twbench [options]\n"
"TCP connection churn: connect -> [request/response] -> close, in a loop.\n"
"\n"
"Options:\n"
"  -n, --count N           connection attempts in all (default 1000 unless -d)\n"
"  -d, --duration SEC      run for SEC seconds instead of a count\n"
"  -c, --concurrency N     concurrent client loops (threads), default 1\n"
"  -C, --close WHO         who closes first: client (default), server, both\n"
"  -r, --request BYTES     request and response size (default 0: none)\n"
"  -a, --connect HOST:PORT use a running server instead of the built-in one\n"
"  -l, --listen ADDR[:PORT] built-in server address (default 127.0.0.1, or ::1\n"
"                          with -6); PORT 0 or none: ephemeral\n"
"  -P, --server-ports N    built-in server listens on N ports, clients spread\n"
"                          over them round-robin (default 1)\n"
"  -b, --bind ADDR         client source address (the port is still chosen at\n"
"                          connect(), from the 4-tuple)\n"
"  -p, --ports LO-HI       client source port range: sets\n"
"                          net.ipv4.ip_local_port_range of the client's network\n"
"                          namespace (needs CAP_NET_ADMIN; use a netns)\n"
"  -R, --rate R            pace all clients together to R connections/s\n"
"  -i, --interval SEC      time series step (default 1)\n"
"      --server-netns NS   built-in server in netns NS (/run/netns/NS or a path)\n"
"      --client-netns NS   clients in netns NS\n"
"      --server-fifo       the built-in server's thread runs SCHED_FIFO 1, so\n"
"                          it takes each connection as it arrives and the\n"
"                          scheduler's batching cannot change from run to\n"
"                          run (needs CAP_SYS_NICE)\n"
"      --inline-server     the client loop (-c 1) serves each connection it\n"
"                          makes, in the same thread: no server thread, no\n"
"                          switch between client and server, the same order\n"
"                          of work on every scheduler\n"
"  -S, --stop-on-error     a client loop ends at its first error\n"
"  -6                      IPv6 (default IPv4)\n"
"  -j, --json              one JSON object on stdout\n"
"  -h, --help              this text\n"
"\n"
"Errors are counted by errno (EADDRNOTAVAIL: no free 4-tuple); the exit\n"
"status is 0 when the run completed (errors included), 1 on bad usage or\n"
"setup failure.\n", f);
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		die("bad %s '%s' (allowed %ld..%ld)", what, s, lo, hi);
	return v;
}

static double parse_double(const char *s, double lo, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo))
		die("bad %s '%s'", what, s);
	return v;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT" -> sockaddr; port -1 when none given. */
static void parse_addr(const char *s, int family, struct sockaddr_storage *ss,
		       socklen_t *len, int *port)
{
	char host[256];
	const char *p = NULL;
	size_t hl;

	*port = -1;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e)
			die("bad address '%s'", s);
		hl = e - s - 1;
		memcpy(host, s + 1, hl < sizeof(host) ? hl : sizeof(host) - 1);
		host[hl < sizeof(host) ? hl : sizeof(host) - 1] = 0;
		if (e[1] == ':')
			p = e + 2;
		else if (e[1])
			die("bad address '%s'", s);
	} else {
		const char *c = strrchr(s, ':');

		if (c && family == AF_INET && strchr(s, ':') == c)
			p = c + 1;
		hl = p ? (size_t)(c - s) : strlen(s);
		if (hl >= sizeof(host))
			die("bad address '%s'", s);
		memcpy(host, s, hl);
		host[hl] = 0;
	}
	if (p)
		*port = parse_long(p, 0, 65535, "port");
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			die("bad IPv4 address '%s'", host);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			die("bad IPv6 address '%s'", host);
		*len = sizeof(*a);
	}
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static int get_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void enter_netns(const char *ns)
{
	char path[512];
	int fd;

	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("netns %s: %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0)
		die("setns %s: %s", path, strerror(errno));
	close(fd);
}

static void set_port_range(int lo, int hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "w");

	if (!f || fprintf(f, "%d %d\n", lo, hi) < 0 || fclose(f) != 0)
		die("setting ip_local_port_range %d %d: %s", lo, hi, strerror(errno));
}

/* --- the built-in server --------------------------------------------------- */

struct sconn {
	int fd;
	int listener;
	int got;			/* request bytes read */
	int replied;
};

static int lfds[MAX_PORTS];
static int nlfds;
static int epfd;
static atomic_long srv_accepted;

static int open_listeners(void)
{
	struct sockaddr_storage a;
	socklen_t len;
	int port, i;

	parse_addr(o.listen_addr, o.family, &a, &len, &port);
	if (port < 0)
		port = o.listen_port;
	for (i = 0; i < o.nports; i++) {
		int fd = socket(o.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;

		if (fd < 0)
			die("socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		set_port(&a, port ? port + i : 0);
		if (bind(fd, (struct sockaddr *)&a, len) < 0)
			die("bind %s port %d: %s", o.listen_addr, port ? port + i : 0,
			    strerror(errno));
		if (listen(fd, 4096) < 0)
			die("listen: %s", strerror(errno));
		lfds[nlfds++] = fd;
		dst[i] = a;
		if (getsockname(fd, (struct sockaddr *)&dst[i], &len) < 0)
			die("getsockname: %s", strerror(errno));
	}
	ndst = o.nports;
	dst_len = len;
	return 0;
}

static void sconn_close(struct sconn *c)
{
	close(c->fd);
	free(c);
}

/* Request read (or none wanted): reply, then close per mode. 1 = closed. */
static int sconn_progress(struct sconn *c)
{
	char buf[4096];
	ssize_t r;

	while (c->got < o.req) {
		r = recv(c->fd, buf, sizeof(buf), 0);
		if (r > 0) {
			c->got += r;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		sconn_close(c);		/* EOF or error before the request */
		return 1;
	}
	if (!c->replied) {
		static const char zeros[REQ_MAX];

		c->replied = 1;
		if (o.req && send(c->fd, zeros, o.req, MSG_NOSIGNAL) != o.req) {
			sconn_close(c);
			return 1;
		}
		if (o.close != CLOSE_CLIENT) {
			sconn_close(c);
			return 1;
		}
	}
	/* client closes first: wait for its FIN */
	for (;;) {
		r = recv(c->fd, buf, sizeof(buf), 0);
		if (r > 0)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		sconn_close(c);
		return 1;
	}
}

static void *server_main(void *arg)
{
	struct epoll_event ev[64];
	int i, n;

	(void)arg;
	while (!atomic_load(&stop)) {
		n = epoll_wait(epfd, ev, 64, 50);
		for (i = 0; i < n; i++) {
			struct sconn *c = ev[i].data.ptr;

			if (c->listener) {
				for (;;) {
					int fd = accept4(c->fd, NULL, NULL,
							 SOCK_NONBLOCK | SOCK_CLOEXEC);
					struct sconn *nc;
					struct epoll_event e;

					if (fd < 0)
						break;
					atomic_fetch_add(&srv_accepted, 1);
					nc = calloc(1, sizeof(*nc));
					if (!nc)
						die("out of memory");
					nc->fd = fd;
					if (sconn_progress(nc))
						continue;
					e.events = EPOLLIN | EPOLLRDHUP;
					e.data.ptr = nc;
					if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0)
						sconn_close(nc);
				}
			} else {
				sconn_progress(c);
			}
		}
	}
	return NULL;
}

static void start_server(pthread_t *th)
{
	int i;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	for (i = 0; i < nlfds; i++) {
		struct sconn *c = calloc(1, sizeof(*c));
		struct epoll_event e = { .events = EPOLLIN };

		if (!c)
			die("out of memory");
		c->fd = lfds[i];
		c->listener = 1;
		e.data.ptr = c;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfds[i], &e) < 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	if (pthread_create(th, NULL, server_main, NULL))
		die("pthread_create failed");
	if (o.server_fifo) {
		struct sched_param sp = { .sched_priority = 1 };
		int e = pthread_setschedparam(*th, SCHED_FIFO, &sp);

		if (e)
			die("--server-fifo: %s", strerror(e));
	}
}

/*
 * --inline-server: the client loop takes the connection it just made from
 * listener @i and serves it itself, with the server thread's own steps
 * (sconn_progress()), waiting in poll() where that thread would wait in
 * epoll_wait(). NULL and errno when none comes within 5 s.
 */
static struct sconn *inline_accept(int i)
{
	struct pollfd p = { .fd = lfds[i], .events = POLLIN };
	struct sconn *c;
	int fd;

	while ((fd = accept4(lfds[i], NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return NULL;
		if (poll(&p, 1, 5000) == 0) {
			errno = ETIMEDOUT;
			return NULL;
		}
	}
	atomic_fetch_add(&srv_accepted, 1);
	c = calloc(1, sizeof(*c));
	if (!c)
		die("out of memory");
	c->fd = fd;
	return c;
}

/* The server's steps for what has arrived: NULL once it closed. */
static struct sconn *inline_serve(struct sconn *c)
{
	return c && sconn_progress(c) ? NULL : c;
}

/* The server's steps until it closed: 0, or ETIMEDOUT after 5 s. */
static int inline_finish(struct sconn *c)
{
	struct pollfd p = { .events = POLLIN | POLLRDHUP };

	while ((c = inline_serve(c))) {
		p.fd = c->fd;
		if (poll(&p, 1, 5000) == 0) {
			sconn_close(c);
			return ETIMEDOUT;
		}
	}
	return 0;
}

/* --- the clients ----------------------------------------------------------- */

static void add_lat(struct worker *w, uint32_t us)
{
	if (w->nlat == w->caplat) {
		w->caplat = w->caplat ? w->caplat * 2 : 4096;
		w->lat = realloc(w->lat, w->caplat * sizeof(*w->lat));
		if (!w->lat)
			die("out of memory");
	}
	w->lat[w->nlat++] = us;
}

static void count_err(struct worker *w, int e)
{
	w->err[e > 0 && e < MAX_ERRNO ? e : 0]++;
	atomic_fetch_add(&n_err, 1);
}

/* One connection; 0 or the errno of what failed. */
static int one_conn(struct worker *w, long seq)
{
	static const char zeros[REQ_MAX];
	struct timeval tmo = { .tv_sec = 5 };
	const struct sockaddr_storage *d = &dst[seq % ndst];
	struct sconn *sc = NULL;
	char buf[4096];
	double t0, t1;
	int fd, one = 1, e = 0, got = 0;
	ssize_t r;

	fd = socket(o.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	if (src_len) {
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&src, src_len) < 0) {
			e = errno;
			goto out;
		}
	}
	t0 = now_s();
	if (connect(fd, (const struct sockaddr *)d, dst_len) < 0) {
		e = errno;
		goto out;
	}
	t1 = now_s();
	add_lat(w, (uint32_t)((t1 - t0) * 1e6 + 0.5));
	if (o.inline_server) {
		sc = inline_accept(seq % ndst);
		if (!sc) {
			e = errno;
			goto out;
		}
	}
	if (o.req) {
		if (send(fd, zeros, o.req, MSG_NOSIGNAL) != o.req) {
			e = errno ? errno : EIO;
			goto out;
		}
	}
	sc = inline_serve(sc);	/* the request, the reply, its close */
	if (o.req) {
		while (got < o.req) {
			r = recv(fd, buf, sizeof(buf), 0);
			if (r <= 0) {
				e = r < 0 ? errno : ECONNRESET;
				goto out;
			}
			got += r;
		}
	}
	if (o.close == CLOSE_SERVER) {
		/* wait for the server's FIN, then close (passive close) */
		while ((r = recv(fd, buf, sizeof(buf), 0)) > 0)
			;
		if (r < 0) {
			e = errno;
			goto out;
		}
	}
out:
	close(fd);
	if (sc) {
		int se = inline_finish(sc);

		if (!e)
			e = se;
	}
	return e;
}

static void *client_main(void *arg)
{
	struct worker *w = arg;
	double per = o.rate > 0 ? o.conc / o.rate : 0, next = 0;
	long quota = o.count ? o.count / o.conc + (w->id < o.count % o.conc) : -1;
	long i;

	for (i = 0; !atomic_load(&stop); i++) {
		int e;

		if (quota >= 0 && i >= quota)
			break;
		if (o.duration > 0 && now_s() >= o.duration)
			break;
		if (per > 0) {
			double t = now_s();

			if (next == 0)
				next = t + per * w->id / o.conc;
			if (next > t) {
				struct timespec ts;
				double d = next - t;

				ts.tv_sec = (time_t)d;
				ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
				nanosleep(&ts, NULL);
			}
			next += per;
		}
		e = one_conn(w, atomic_fetch_add(&n_started, 1));
		if (e) {
			count_err(w, e);
			if (o.stop_on_error)
				break;
		} else {
			w->ok++;
			atomic_fetch_add(&n_ok, 1);
		}
	}
	return NULL;
}

/* --- results --------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct sample {
	double t;
	long ok, err;
};

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

int main(int argc, char **argv)
{
	enum { OPT_SNS = 256, OPT_CNS, OPT_FIFO, OPT_INLINE };
	static const struct option lo[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "close", required_argument, NULL, 'C' },
		{ "request", required_argument, NULL, 'r' },
		{ "connect", required_argument, NULL, 'a' },
		{ "listen", required_argument, NULL, 'l' },
		{ "server-ports", required_argument, NULL, 'P' },
		{ "bind", required_argument, NULL, 'b' },
		{ "ports", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'R' },
		{ "interval", required_argument, NULL, 'i' },
		{ "server-netns", required_argument, NULL, OPT_SNS },
		{ "client-netns", required_argument, NULL, OPT_CNS },
		{ "server-fifo", no_argument, NULL, OPT_FIFO },
		{ "inline-server", no_argument, NULL, OPT_INLINE },
		{ "stop-on-error", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sample *ser = NULL;
	size_t nser = 0, capser = 0;
	struct rusage ru0, ru1;
	pthread_t sth;
	uint32_t *all = NULL;
	size_t nall = 0;
	long ok = 0, err_total = 0, errs[MAX_ERRNO] = { 0 };
	double elapsed, next_tick, p50 = 0, p99 = 0, lmax = 0;
	int opt, i, j, have_server = 0, orig_ns = -1;

	while ((opt = getopt_long(argc, argv, "n:d:c:C:r:a:l:P:b:p:R:i:Sj6h", lo, NULL)) != -1) {
		switch (opt) {
		case 'n': o.count = parse_long(optarg, 1, 1000000000L, "count"); break;
		case 'd': o.duration = parse_double(optarg, 0.001, "duration"); break;
		case 'c': o.conc = parse_long(optarg, 1, MAX_THREADS, "concurrency"); break;
		case 'C':
			for (i = 0; i < 3 && strcmp(optarg, close_names[i]); i++)
				;
			if (i == 3)
				die("bad --close '%s' (client, server, both)", optarg);
			o.close = i;
			break;
		case 'r': o.req = parse_long(optarg, 0, REQ_MAX, "request size"); break;
		case 'a': o.connect_to = optarg; break;
		case 'l': o.listen_addr = optarg; break;
		case 'P': o.nports = parse_long(optarg, 1, MAX_PORTS, "server ports"); break;
		case 'b': o.bind_addr = optarg; break;
		case 'p': {
			char *dash = strchr(optarg, '-');

			if (!dash)
				die("bad --ports '%s' (LO-HI)", optarg);
			*dash = 0;
			o.port_lo = parse_long(optarg, 1, 65535, "port");
			o.port_hi = parse_long(dash + 1, o.port_lo, 65535, "port");
			break;
		}
		case 'R': o.rate = parse_double(optarg, 0.001, "rate"); break;
		case 'i': o.interval = parse_double(optarg, 0.01, "interval"); break;
		case OPT_SNS: o.server_netns = optarg; break;
		case OPT_CNS: o.client_netns = optarg; break;
		case OPT_FIFO: o.server_fifo = 1; break;
		case OPT_INLINE: o.inline_server = 1; break;
		case 'S': o.stop_on_error = 1; break;
		case 'j': o.json = 1; break;
		case '6': o.family = AF_INET6; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!o.count && !o.duration)
		o.count = 1000;
	if (o.count && o.duration)
		die("--count and --duration exclude each other");
	if (o.count && o.count < o.conc)
		o.conc = o.count;
	if (o.connect_to && (o.server_netns || o.listen_addr || o.nports > 1 ||
			     o.server_fifo || o.inline_server))
		die("--connect excludes the built-in server's options");
	if (o.inline_server && (o.conc > 1 || o.server_fifo))
		die("--inline-server: one client loop (-c 1), no --server-fifo");
	if (!o.listen_addr)
		o.listen_addr = o.family == AF_INET ? "127.0.0.1" : "::1";

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	{
		/* many listeners and connections in flight: all the fds we may */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (o.server_netns || o.client_netns) {
		orig_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (orig_ns < 0)
			die("/proc/thread-self/ns/net: %s", strerror(errno));
	}
	if (o.connect_to) {
		int port;

		parse_addr(o.connect_to, o.family, &dst[0], &dst_len, &port);
		if (port <= 0)
			die("--connect needs HOST:PORT");
		ndst = 1;
	} else {
		/* sockets keep the netns they were created in; threads take the
		 * creating thread's */
		if (o.server_netns)
			enter_netns(o.server_netns);
		open_listeners();
		if (!o.inline_server) {
			start_server(&sth);
			have_server = 1;
		}
		if (o.server_netns && setns(orig_ns, CLONE_NEWNET) < 0)
			die("setns back: %s", strerror(errno));
	}
	if (o.client_netns)
		enter_netns(o.client_netns);
	if (o.port_lo)
		set_port_range(o.port_lo, o.port_hi);
	if (o.bind_addr) {
		int port;

		parse_addr(o.bind_addr, o.family, &src, &src_len, &port);
		if (port > 0)
			die("--bind takes an address; source ports: --ports");
	}

	workers = calloc(o.conc, sizeof(*workers));
	if (!workers)
		die("out of memory");
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	for (i = 0; i < o.conc; i++) {
		workers[i].id = i;
		if (pthread_create(&workers[i].th, NULL, client_main, &workers[i]))
			die("pthread_create failed");
	}

	/* the time series, until every client loop is done */
	next_tick = o.interval;
	{
		long last_ok = 0, last_err = 0;
		int running = 1;

		while (running) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			double t;

			nanosleep(&ts, NULL);
			running = 0;
			for (i = 0; i < o.conc; i++) {
				if (workers[i].joined)
					continue;
				if (pthread_tryjoin_np(workers[i].th, NULL) == 0)
					workers[i].joined = 1;
				else
					running = 1;
			}
			t = now_s();
			if (t >= next_tick || !running) {
				long a = atomic_load(&n_ok), b = atomic_load(&n_err);

				if (nser == capser) {
					capser = capser ? capser * 2 : 256;
					ser = realloc(ser, capser * sizeof(*ser));
					if (!ser)
						die("out of memory");
				}
				ser[nser++] = (struct sample){ t, a - last_ok, b - last_err };
				last_ok = a;
				last_err = b;
				while (next_tick <= t)
					next_tick += o.interval;
			}
		}
	}
	/* tryjoin reaped each thread exactly once when it was done */
	elapsed = now_s();
	getrusage(RUSAGE_SELF, &ru1);
	atomic_store(&stop, 1);
	if (have_server)
		pthread_join(sth, NULL);

	for (i = 0; i < o.conc; i++) {
		struct worker *w = &workers[i];

		ok += w->ok;
		for (j = 0; j < MAX_ERRNO; j++) {
			errs[j] += w->err[j];
			err_total += w->err[j];
		}
		if (w->nlat) {
			all = realloc(all, (nall + w->nlat) * sizeof(*all));
			if (!all)
				die("out of memory");
			memcpy(all + nall, w->lat, w->nlat * sizeof(*all));
			nall += w->nlat;
		}
		free(w->lat);
	}
	if (nall) {
		qsort(all, nall, sizeof(*all), cmp_u32);
		p50 = all[(nall - 1) * 50 / 100];
		p99 = all[(nall - 1) * 99 / 100];
		lmax = all[nall - 1];
	}

	{
		double user = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
			      (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
		double sys = (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
			     (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
		double rate = elapsed > 0 ? ok / elapsed : 0;
		const char *sep = "";

		if (o.json) {
			printf("{\"tool\":\"twbench\",\"version\":1,");
			printf("\"config\":{\"close\":\"%s\",\"concurrency\":%d,"
			       "\"request\":%d,\"count\":%ld,\"duration\":%g,"
			       "\"rate\":%g,\"server_ports\":%d,\"family\":%d,"
			       "\"port_lo\":%d,\"port_hi\":%d,\"first_server_port\":%d,"
			       "\"server_fifo\":%s,\"inline_server\":%s},",
			       close_names[o.close], o.conc, o.req, o.count,
			       o.duration, o.rate, ndst, o.family == AF_INET ? 4 : 6,
			       o.port_lo, o.port_hi, get_port(&dst[0]),
			       o.server_fifo ? "true" : "false",
			       o.inline_server ? "true" : "false");
			printf("\"elapsed_s\":%.6f,\"connections\":%ld,\"attempts\":%ld,"
			       "\"rate\":%.3f,\"errors_total\":%ld,\"errors\":{",
			       elapsed, ok, ok + err_total, rate, err_total);
			for (j = 0; j < MAX_ERRNO; j++) {
				if (errs[j]) {
					printf("%s\"%s\":%ld", sep, j ? errname(j) : "EOTHER", errs[j]);
					sep = ",";
				}
			}
			printf("},\"connect_latency_us\":{\"p50\":%.0f,\"p99\":%.0f,"
			       "\"max\":%.0f,\"samples\":%zu},", p50, p99, lmax, nall);
			printf("\"cpu_s\":{\"user\":%.6f,\"sys\":%.6f},", user, sys);
			printf("\"server_accepted\":%ld,\"series\":[",
			       atomic_load(&srv_accepted));
			for (size_t k = 0; k < nser; k++)
				printf("%s[%.3f,%ld,%ld]", k ? "," : "", ser[k].t,
				       ser[k].ok, ser[k].err);
			printf("]}\n");
		} else {
			printf("connections %ld\nattempts %ld\nelapsed_s %.3f\n"
			       "rate %.1f\nerrors_total %ld\n",
			       ok, ok + err_total, elapsed, rate, err_total);
			for (j = 0; j < MAX_ERRNO; j++)
				if (errs[j])
					printf("error %s %ld\n", j ? errname(j) : "EOTHER", errs[j]);
			printf("connect_p50_us %.0f\nconnect_p99_us %.0f\n"
			       "cpu_user_s %.3f\ncpu_sys_s %.3f\n", p50, p99, user, sys);
		}
	}
	free(all);
	free(ser);
	free(workers);
	return 0;
}
