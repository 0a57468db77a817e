// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the length-record table (module/twrec.c): the cap, the
 * identity check, replacement of a record left behind, and that every
 * record goes. The table only compares the addresses and namespaces it is
 * given, so stand-ins that are never dereferenced do for both.
 */
#include <kunit/test.h>
#include <linux/irqflags.h>

#include "twrec.c"

static char twctl_fake_tw[10000];
static char twctl_fake_net[2];

static const void *twctl_tw(int i)
{
	return &twctl_fake_tw[i];
}

static struct twctl_twrec_id twctl_id(int net, u32 ports, u32 snd_nxt)
{
	return (struct twctl_twrec_id) {
		.net = (const struct net *)&twctl_fake_net[net],
		.ports = ports,
		.snd_nxt = snd_nxt,
	};
}

static int twctl_twrec_test_init(struct kunit *test)
{
	max_tw_records = TWCTL_TWREC_MAX_DEFAULT;
	return twctl_twrec_init();
}

static void twctl_twrec_test_exit(struct kunit *test)
{
	twctl_twrec_exit();
	max_tw_records = TWCTL_TWREC_MAX_DEFAULT;
}

static void twctl_test_twrec_reserve(struct kunit *test)
{
	atomic_long_t n = ATOMIC_LONG_INIT(0);

	KUNIT_EXPECT_TRUE(test, twctl_twrec_reserve(&n, 2));
	KUNIT_EXPECT_TRUE(test, twctl_twrec_reserve(&n, 2));
	KUNIT_EXPECT_FALSE(test, twctl_twrec_reserve(&n, 2));	/* full */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&n), 2L);
	KUNIT_EXPECT_FALSE(test, twctl_twrec_reserve(&n, 1));	/* lowered below */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&n), 2L);
	KUNIT_EXPECT_TRUE(test, twctl_twrec_reserve(&n, 3));	/* raised */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&n), 3L);
	atomic_long_set(&n, 0);
	KUNIT_EXPECT_FALSE(test, twctl_twrec_reserve(&n, 0));	/* cap 0: none */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&n), 0L);
}

static void twctl_test_twrec_add_get_del(struct kunit *test)
{
	struct twctl_twrec_id a = twctl_id(0, 0x10002000, 1234);
	unsigned long len = 0;
	u8 class = 0;

	KUNIT_EXPECT_FALSE(test, twctl_twrec_get(twctl_tw(0), &a, &len, &class));
	KUNIT_ASSERT_EQ(test, twctl_twrec_add(twctl_tw(0), &a, 750, 1), 0);
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), 1L);
	KUNIT_EXPECT_TRUE(test, twctl_twrec_get(twctl_tw(0), &a, &len, &class));
	KUNIT_EXPECT_EQ(test, len, 750UL);
	KUNIT_EXPECT_EQ(test, class, 1);
	/* another address has no record */
	KUNIT_EXPECT_FALSE(test, twctl_twrec_get(twctl_tw(1), &a, &len, &class));
	twctl_twrec_del(twctl_tw(1));
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), 1L);
	twctl_twrec_del(twctl_tw(0));
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), 0L);
	KUNIT_EXPECT_FALSE(test, twctl_twrec_get(twctl_tw(0), &a, &len, &class));
}

/* A record found by a socket it is not of is absent, and goes. */
static void twctl_test_twrec_identity(struct kunit *test)
{
	const struct twctl_twrec_id a = twctl_id(0, 0x10002000, 1234);
	const struct twctl_twrec_id other[] = {
		twctl_id(1, 0x10002000, 1234),	/* another namespace */
		twctl_id(0, 0x10002001, 1234),	/* other ports */
		twctl_id(0, 0x10002000, 1235),	/* another connection */
	};
	unsigned long len = 0;
	u8 class = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(other); i++) {
		KUNIT_ASSERT_EQ(test, twctl_twrec_add(twctl_tw(0), &a, 750, 1), 0);
		KUNIT_EXPECT_FALSE_MSG(test, twctl_twrec_get(twctl_tw(0), &other[i],
							     &len, &class), "case %zu", i);
		KUNIT_EXPECT_EQ_MSG(test, twctl_twrec_count(), 0L, "case %zu", i);
		/* removed: not found by its own socket either */
		KUNIT_EXPECT_FALSE_MSG(test, twctl_twrec_get(twctl_tw(0), &a, &len,
							     &class), "case %zu", i);
	}
}

/* A new socket at the address of one that ended unseen replaces its record. */
static void twctl_test_twrec_replace(struct kunit *test)
{
	const struct twctl_twrec_id old = twctl_id(0, 0x10002000, 1234);
	const struct twctl_twrec_id new = twctl_id(1, 0x30004000, 99);
	unsigned long len = 0;
	u8 class = 0;

	KUNIT_ASSERT_EQ(test, twctl_twrec_add(twctl_tw(0), &old, 750, 1), 0);
	KUNIT_ASSERT_EQ(test, twctl_twrec_add(twctl_tw(0), &new, 4000, 2), 0);
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), 1L);
	KUNIT_EXPECT_TRUE(test, twctl_twrec_get(twctl_tw(0), &new, &len, &class));
	KUNIT_EXPECT_EQ(test, len, 4000UL);
	KUNIT_EXPECT_EQ(test, class, 2);
	KUNIT_EXPECT_FALSE(test, twctl_twrec_get(twctl_tw(0), &old, &len, &class));
}

static void twctl_test_twrec_cap(struct kunit *test)
{
	const struct twctl_twrec_id a = twctl_id(0, 1, 1);
	unsigned long len = 0;
	u8 class = 0;
	int i;

	max_tw_records = 3;
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, twctl_twrec_add(twctl_tw(i), &a, 100 + i, 0), 0);
	KUNIT_EXPECT_EQ(test, twctl_twrec_add(twctl_tw(3), &a, 103, 0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), 3L);
	KUNIT_EXPECT_FALSE(test, twctl_twrec_get(twctl_tw(3), &a, &len, &class));
	/* a place freed is a place taken again */
	twctl_twrec_del(twctl_tw(0));
	KUNIT_EXPECT_EQ(test, twctl_twrec_add(twctl_tw(3), &a, 103, 0), 0);
	KUNIT_EXPECT_TRUE(test, twctl_twrec_get(twctl_tw(3), &a, &len, &class));
	KUNIT_EXPECT_EQ(test, len, 103UL);
	/* lowered below the records alive: they stay, no new one */
	max_tw_records = 1;
	KUNIT_EXPECT_EQ(test, twctl_twrec_add(twctl_tw(0), &a, 100, 0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), 3L);
	KUNIT_EXPECT_TRUE(test, twctl_twrec_get(twctl_tw(1), &a, &len, &class));
	max_tw_records = 0;
	KUNIT_EXPECT_EQ(test, twctl_twrec_add(twctl_tw(0), &a, 100, 0), -ENOSPC);
}

/* Enough records for the table to grow several times, and shrink again. */
static void twctl_test_twrec_many(struct kunit *test)
{
	unsigned long len = 0;
	unsigned int i;
	int found = 0, added = 0;
	u8 class = 0;

	for (i = 0; i < ARRAY_SIZE(twctl_fake_tw); i++) {
		struct twctl_twrec_id id = twctl_id(i & 1, i, i * 7);

		added += !twctl_twrec_add(twctl_tw(i), &id, i, i % 3);
	}
	KUNIT_EXPECT_EQ(test, added, (int)ARRAY_SIZE(twctl_fake_tw));
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), (long)ARRAY_SIZE(twctl_fake_tw));
	for (i = 0; i < ARRAY_SIZE(twctl_fake_tw); i++) {
		struct twctl_twrec_id id = twctl_id(i & 1, i, i * 7);

		found += twctl_twrec_get(twctl_tw(i), &id, &len, &class) &&
			 len == i && class == i % 3;
	}
	KUNIT_EXPECT_EQ(test, found, (int)ARRAY_SIZE(twctl_fake_tw));
	for (i = 0; i < ARRAY_SIZE(twctl_fake_tw); i += 2)
		twctl_twrec_del(twctl_tw(i));
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), (long)ARRAY_SIZE(twctl_fake_tw) / 2);
	/* the rest is freed by twctl_twrec_exit() (kmemleak would see a leak) */
}

/* Records left at exit (sockets alive at unload) are all freed. */
static void twctl_test_twrec_exit_frees(struct kunit *test)
{
	const struct twctl_twrec_id a = twctl_id(0, 1, 1);
	unsigned long len = 0;
	u8 class = 0;
	int i;

	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_EQ(test, twctl_twrec_add(twctl_tw(i), &a, 1, 0), 0);
	twctl_twrec_exit();
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), 0L);
	KUNIT_ASSERT_EQ(test, twctl_twrec_init(), 0);
	KUNIT_EXPECT_FALSE(test, twctl_twrec_get(twctl_tw(0), &a, &len, &class));
}

/*
 * With interrupts off the table is written only where its bucket lock
 * saves them (compat.h); elsewhere nothing is added and a record stays.
 */
static void twctl_test_twrec_irqs_off(struct kunit *test)
{
	const struct twctl_twrec_id a = twctl_id(0, 1, 1);
	unsigned long flags;
	int err;

	local_irq_save(flags);
	err = twctl_twrec_add(twctl_tw(0), &a, 1, 0);
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, err, TWCTL_RHT_IRQSAFE ? 0 : -EAGAIN);
	if (!TWCTL_RHT_IRQSAFE)
		KUNIT_ASSERT_EQ(test, twctl_twrec_add(twctl_tw(0), &a, 1, 0), 0);
	local_irq_save(flags);
	twctl_twrec_del(twctl_tw(0));
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, twctl_twrec_count(), TWCTL_RHT_IRQSAFE ? 0L : 1L);
}

static struct kunit_case twctl_twrec_cases[] = {
	KUNIT_CASE(twctl_test_twrec_reserve),
	KUNIT_CASE(twctl_test_twrec_add_get_del),
	KUNIT_CASE(twctl_test_twrec_identity),
	KUNIT_CASE(twctl_test_twrec_replace),
	KUNIT_CASE(twctl_test_twrec_cap),
	KUNIT_CASE(twctl_test_twrec_many),
	KUNIT_CASE(twctl_test_twrec_exit_frees),
	KUNIT_CASE(twctl_test_twrec_irqs_off),
	{}
};

static struct kunit_suite twctl_twrec_suite = {
	.name = "twctl_twrec",
	.init = twctl_twrec_test_init,
	.exit = twctl_twrec_test_exit,
	.test_cases = twctl_twrec_cases,
};

kunit_test_suite(twctl_twrec_suite);
