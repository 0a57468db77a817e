// SPDX-License-Identifier: GPL-2.0
/*
 * The load-time self-test. twctl hooks kernel functions whose callers,
 * inlining and clones vary with the kernel and its compiler (compat.h): a
 * hook that exists but no longer sees an arming would leave twctl loaded
 * and half working. So before the module is loaded, it proves its hooks on
 * the running kernel with two loopback connections of its own in the
 * initial namespace, each closed by the client:
 *
 *   direct    the client shuts down its sending side and still holds the
 *             socket when the server's FIN comes: the socket goes straight
 *             to TIME_WAIT (tcp_fin() -> tcp_time_wait(TCP_TIME_WAIT));
 *   FIN_WAIT2 the client shuts down its sending side, and once the server
 *             has acknowledged (FIN_WAIT2) closes: the orphan moves to a
 *             FIN_WAIT2 timewait socket right in close() (tcp_close()),
 *             which the server's FIN then moves to TIME_WAIT, re-arming
 *             its timer. (Closing at once would leave it to when the ACK
 *             comes: while close() still holds the socket, the kernel
 *             keeps a full FIN_WAIT2 socket instead.)
 *
 * The hooks give these two TIME_WAITs a test length instead of 60 s and
 * keep them out of the namespace's counters and events; each must show
 * every hook on its path, end by its timer within the wait below and be
 * freed. On a failure the module refuses to load with one line saying
 * what did not happen.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "hooks.h"
#include "selftest.h"

/* Test TIME_WAIT length; how long a step may take (emulated debug kernels are slow) */
#define TWCTL_ST_LEN_MS		20
#define TWCTL_ST_WAIT_MS	5000

enum { TWCTL_ST_DIRECT, TWCTL_ST_FW2, TWCTL_ST_SERVER };

static const char *twctl_st_first_arm_func(void)
{
	return TWCTL_FIRST_ARM_HOOKED ? TWCTL_FIRST_ARM_FUNC : TWCTL_SCHEDULE_FUNC;
}

/* Why a step failed, for the one dmesg line. */
static const char *twctl_st_why(unsigned long missing, bool direct)
{
	if (missing & BIT(TWCTL_ST_ENTRY))
		return "tcp_time_wait() was not seen";
	if (missing & BIT(TWCTL_ST_FIRST_TW))
		return "a TIME_WAIT entered directly was not armed through the hooked function";
	if (missing & BIT(TWCTL_ST_FIRST_FW2))
		return "a FIN_WAIT2 timewait socket was not armed through the hooked function";
	if (missing & BIT(TWCTL_ST_HANDED_OVER))
		return "the closing socket was not matched to its timewait socket's arming";
	if (missing & BIT(TWCTL_ST_REARM))
		return "the move from FIN_WAIT2 to TIME_WAIT was not re-armed through "
		       TWCTL_SCHEDULE_FUNC "()";
	if (missing & BIT(TWCTL_ST_EXPIRED))
		return direct ?
		       "a TIME_WAIT entered directly did not end at the test length" :
		       "a TIME_WAIT reached through FIN_WAIT2 did not end at the test length";
	if (missing & BIT(TWCTL_ST_FREED))
		return "a TIME_WAIT that ended was not freed through " TWCTL_FREE_FUNC "()";
	return "unknown";
}

/* Wait until the hooks have seen all of @want for @slot; 0 or -ETIMEDOUT. */
static int twctl_st_wait(int slot, unsigned long want, const char *step)
{
	unsigned long end = jiffies + msecs_to_jiffies(TWCTL_ST_WAIT_MS);
	unsigned long missing;

	for (;;) {
		missing = want & ~twctl_hooks_selftest_seen(slot);
		if (!missing)
			return 0;
		if (time_after(jiffies, end))
			break;
		usleep_range(5000, 10000);
	}
	pr_err("self-test failed (%s, first arming hooked at %s()): %s; refusing to load: twctl cannot follow TIME_WAIT on this kernel\n",
	       step, twctl_st_first_arm_func(),
	       twctl_st_why(missing, slot == TWCTL_ST_DIRECT));
	return -ENOTRECOVERABLE;
}

static int twctl_st_socket(struct socket **sock)
{
	int err = sock_create_kern(&init_net, PF_INET, SOCK_STREAM, IPPROTO_TCP,
				   sock);

	if (!err)
		(*sock)->sk->sk_rcvtimeo = msecs_to_jiffies(TWCTL_ST_WAIT_MS);
	return err;
}

static u16 twctl_st_local_port(struct socket *sock)
{
	struct sockaddr_in a = {};

	if (kernel_getsockname(sock, (struct sockaddr *)&a) < 0)
		return 0;
	return ntohs(a.sin_port);
}

/* A connection to @srv, watched in @slot from now on. */
static int twctl_st_connect(struct socket *l, struct sockaddr_in *srv, int slot,
			    struct socket **c, struct socket **s)
{
	int err;

	*c = NULL;
	*s = NULL;
	err = twctl_st_socket(c);
	if (err)
		return err;
	err = kernel_connect(*c, twctl_sockaddr(srv), sizeof(*srv), 0);
	if (err)
		return err;
	err = kernel_accept(l, s, 0);
	if (err)
		return err;
	twctl_hooks_selftest_watch(slot, twctl_st_local_port(*c));
	return 0;
}

/* Wait until @sock's connection is in @state; 0 or -ETIMEDOUT. */
static int twctl_st_wait_state(struct socket *sock, int state)
{
	unsigned long end = jiffies + msecs_to_jiffies(TWCTL_ST_WAIT_MS);

	while (READ_ONCE(sock->sk->sk_state) != state) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
	return 0;
}

/* Read until the peer's FIN: 0 at end of stream. */
static int twctl_st_read_eof(struct socket *s)
{
	struct msghdr msg = {};
	struct kvec iov;
	char buf[16];
	int n;

	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	n = kernel_recvmsg(s, &msg, &iov, 1, sizeof(buf), 0);
	return n == 0 ? 0 : n < 0 ? n : -EPROTO;
}

static void twctl_st_release(struct socket **sock)
{
	if (*sock)
		sock_release(*sock);
	*sock = NULL;
}

static int twctl_st_run(struct socket *l, struct sockaddr_in *srv)
{
	struct socket *c, *s;
	int linger2 = 5;	/* s, < TCP_TIMEWAIT_LEN: the orphan becomes a timewait socket */
	int err;

	/* Direct: the client holds its socket when the server's FIN comes. */
	err = twctl_st_connect(l, srv, TWCTL_ST_DIRECT, &c, &s);
	if (!err)
		err = kernel_sock_shutdown(c, SHUT_WR);
	if (!err)
		err = twctl_st_read_eof(s);
	if (err)
		goto out;
	twctl_st_release(&s);
	err = twctl_st_wait(TWCTL_ST_DIRECT, BIT(TWCTL_ST_ENTRY) |
			    BIT(TWCTL_ST_FIRST_TW) | BIT(TWCTL_ST_HANDED_OVER),
			    "direct close");
	if (err)
		goto out;
	twctl_st_release(&c);
	err = twctl_st_wait(TWCTL_ST_DIRECT, BIT(TWCTL_ST_EXPIRED) |
			    BIT(TWCTL_ST_FREED), "direct close");
	if (err)
		goto out;
	twctl_hooks_selftest_watch(TWCTL_ST_DIRECT, 0);	/* its port is free again */

	/* Through FIN_WAIT2: the client closes before the server's FIN. */
	err = twctl_st_connect(l, srv, TWCTL_ST_FW2, &c, &s);
	if (!err)
		err = c->ops->setsockopt(c, SOL_TCP, TCP_LINGER2,
					 KERNEL_SOCKPTR(&linger2), sizeof(linger2));
	if (!err)
		err = kernel_sock_shutdown(c, SHUT_WR);
	if (!err)
		err = twctl_st_wait_state(c, TCP_FIN_WAIT2);
	if (err)
		goto out;
	twctl_st_release(&c);
	err = twctl_st_wait(TWCTL_ST_FW2, BIT(TWCTL_ST_ENTRY) |
			    BIT(TWCTL_ST_FIRST_FW2) | BIT(TWCTL_ST_HANDED_OVER),
			    "close through FIN_WAIT2");
	if (!err)
		err = twctl_st_read_eof(s);
	if (err)
		goto out;
	twctl_st_release(&s);
	err = twctl_st_wait(TWCTL_ST_FW2, BIT(TWCTL_ST_REARM) |
			    BIT(TWCTL_ST_EXPIRED) | BIT(TWCTL_ST_FREED),
			    "close through FIN_WAIT2");
out:
	twctl_st_release(&s);
	twctl_st_release(&c);
	return err;
}

int twctl_selftest(void)
{
	struct sockaddr_in srv = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct socket *l;
	int err;

	if (TWCTL_TEST_TRACEPOINT_ONLY)
		return 0;
	twctl_hooks_selftest_begin(msecs_to_jiffies(TWCTL_ST_LEN_MS));
	err = twctl_st_socket(&l);
	if (err)
		goto out;
	err = kernel_bind(l, twctl_sockaddr(&srv), sizeof(srv));
	if (!err)
		err = kernel_listen(l, 2);
	if (!err) {
		srv.sin_port = htons(twctl_st_local_port(l));
		twctl_hooks_selftest_watch(TWCTL_ST_SERVER, ntohs(srv.sin_port));
		err = twctl_st_run(l, &srv);
	}
	sock_release(l);
out:
	twctl_hooks_selftest_end();
	if (err && err != -ENOTRECOVERABLE)
		pr_err("self-test could not run (%d): it needs TCP over 127.0.0.1 in the initial namespace; refusing to load\n",
		       err);
	if (err == -ENOTRECOVERABLE)
		return -EOPNOTSUPP;
	return err;
}
