/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy arithmetic and parsing. Pure functions: no kernel internals, no
 * locks, no allocation, so they can be unit tested with KUnit.
 */
#ifndef _TWCTL_POLICY_H
#define _TWCTL_POLICY_H

#include <linux/types.h>

#include <uapi/linux/twctl.h>

/* enum twctl_peer_class has this many values */
#define TWCTL_NCLASSES		3

struct twctl_policy {
	u32 msl_ms;
	u32 reuse;		/* enum twctl_reuse */
	u32 reuse_delay_ms;
	u32 msl_class_ms[TWCTL_NCLASSES];	/* 0: msl_ms */
	u32 local_rtt_us;	/* 0: no peer is local */
	u32 rto_floor;		/* 0 or 1 */
};

/* Which fields of a twctl_policy_patch carry a new value. */
#define TWCTL_P_MSL		0x1u
#define TWCTL_P_REUSE		0x2u
#define TWCTL_P_REUSE_DELAY	0x4u
#define TWCTL_P_MSL_LOOPBACK	0x8u
#define TWCTL_P_MSL_LOCAL	0x10u
#define TWCTL_P_MSL_REMOTE	0x20u
#define TWCTL_P_LOCAL_RTT	0x40u
#define TWCTL_P_RTO_FLOOR	0x80u

/* A partial update: the fields flagged in @set replace the current ones. */
struct twctl_policy_patch {
	struct twctl_policy val;
	u32 set;
};

void twctl_policy_init_default(struct twctl_policy *p);
int twctl_policy_validate(const struct twctl_policy *p);
int twctl_policy_apply(const struct twctl_policy *cur,
		       const struct twctl_policy_patch *patch,
		       struct twctl_policy *out);

/* Longest decimal input accepted (leading zeros included). */
#define TWCTL_NUM_MAX_LEN	64

int twctl_parse_u32(const char *buf, size_t len, u32 *out);
int twctl_parse_ranged(const char *buf, size_t len, u32 min, u32 max, u32 *out);
int twctl_parse_reuse(const char *buf, size_t len, u32 *out);
const char *twctl_reuse_name(u32 mode);

/*
 * The policy's knobs as text, one u32 field each: the files of
 * /sys/kernel/twctl/ and the sysctls net.twctl.*, which share names, units,
 * parsing, ranges and the format shown.
 */
struct twctl_knob {
	const char *name;
	size_t off;		/* of the u32 field in struct twctl_policy */
	u32 flag;		/* TWCTL_P_* */
	u32 min, max;
	bool named;		/* reuse mode: shown and set by name */
};

#define TWCTL_NKNOBS		8
extern const struct twctl_knob twctl_knobs[TWCTL_NKNOBS];

/* Longest text a knob shows, newline and NUL included. */
#define TWCTL_KNOB_TEXT_MAX	16

int twctl_knob_parse(const struct twctl_knob *k, const char *buf, size_t len,
		     struct twctl_policy_patch *patch);
int twctl_knob_format(const struct twctl_knob *k, const struct twctl_policy *p,
		      char *buf, size_t size);

unsigned long twctl_ms_to_jiffies_hz(u64 ms, unsigned int hz);
unsigned long twctl_tw_timeo_hz(const struct twctl_policy *p, unsigned int hz);

static inline unsigned long twctl_tw_timeo(const struct twctl_policy *p)
{
	return twctl_tw_timeo_hz(p, HZ);
}

/*
 * How much older than they look TIME_WAIT sockets armed under an earlier,
 * shorter TIME_WAIT length may be (see twctl_tw_age()): after the length
 * grows from @old_len to @new_len at @now, sockets armed with @old_len live
 * on until @now + @old_len.
 */
struct twctl_age_bias {
	unsigned long bias;	/* jiffies to subtract from estimated ages */
	unsigned long until;	/* ... while time_before(now, until) */
};

void twctl_age_bias_update(struct twctl_age_bias *b, unsigned long old_len,
			   unsigned long new_len, unsigned long now);
unsigned long twctl_tw_age(unsigned long expires, unsigned long now,
			   unsigned long len, const struct twctl_age_bias *b);

unsigned long twctl_tw_lived(unsigned long expires, unsigned long now,
			     unsigned long len);

/* MSL by class of peer (see enum twctl_peer_class). */
enum twctl_peer_class twctl_peer_class(bool loopback, u32 srtt_us,
				       u32 local_rtt_us);
u32 twctl_class_msl_ms(const struct twctl_policy *p, enum twctl_peer_class c);
unsigned long twctl_class_timeo_hz(const struct twctl_policy *p,
				   enum twctl_peer_class c, unsigned int hz);
bool twctl_policy_needs_records(const struct twctl_policy *p);
unsigned long twctl_rto_floor(unsigned long rto);
unsigned long twctl_tw_len(unsigned long class_len, bool rto_floor,
			   unsigned long rto, bool *floored);

/*
 * What a TIME_WAIT reuse decision knows of the socket. The hook fills in
 * loopback only in loopback mode, and age_ms only where
 * twctl_reuse_needs_age() says the decision reads it.
 */
struct twctl_reuse_query {
	bool fin_wait2;		/* timewait socket in the FIN_WAIT2 substate */
	bool has_ts;		/* the connection used TCP timestamps */
	bool loopback;		/* a loopback address, or bound to lo */
	bool bound;		/* connect() from a port the socket bound */
	u32 age_ms;		/* time since it entered (or re-armed) TIME_WAIT */
};

enum twctl_reuse_verdict {
	TWCTL_REUSE_GRANT,
	TWCTL_REUSE_DENY_POLICY,
	TWCTL_REUSE_DENY_NO_TS,
};

enum twctl_reuse_verdict twctl_reuse_decide(const struct twctl_policy *p,
					    const struct twctl_reuse_query *q);
bool twctl_reuse_needs_age(const struct twctl_policy *p,
			   const struct twctl_reuse_query *q);

/*
 * The event budget of one namespace on one CPU: a token bucket that holds
 * TWCTL_EV_BURST events and refills at TWCTL_EV_PER_SEC a second. It keeps
 * what was spent, in 1/HZ of an event, so a zeroed bucket is full and no
 * fraction of a refill is lost whatever HZ is.
 */
#define TWCTL_EV_BURST		1000
#define TWCTL_EV_PER_SEC	1000

struct twctl_ev_bucket {
	unsigned long last;	/* jiffies of the last take */
	u32 spent;		/* events spent and not refilled, x HZ */
};

bool twctl_ev_bucket_take(struct twctl_ev_bucket *b, unsigned long now,
			  unsigned int hz);

#endif /* _TWCTL_POLICY_H */
