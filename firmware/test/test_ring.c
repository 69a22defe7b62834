/* Offline ring buffer: order, wrap, overflow reports, seq continuity across link drops and reboots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tc_ring.h"

static tc_sample_t reading(double v) {
    tc_sample_t s;
    tc_sample_init(&s, 0);
    tc_sample_add(&s, 0, v);
    return s;
}

/* Publishes and acknowledges everything, like a healthy link; returns how many left. */
static size_t drain(tc_ring_t *r, uint32_t *seqs, size_t max) {
    size_t n = 0;
    const tc_sample_t *s;
    while ((s = tc_ring_next_unsent(r)) != NULL) {
        uint32_t seq = s->seq;
        assert_true(tc_ring_mark_sent(r, seq, (int)seq + 1, 0));
        assert_true(tc_ring_ack(r, seq));
        if (n < max) seqs[n] = seq;
        n++;
    }
    return n;
}

static void keeps_order_and_assigns_consecutive_seq(void **state) {
    (void)state;
    tc_ring_slot_t slots[4];
    tc_ring_t r;
    tc_ring_init(&r, slots, 4, 100);
    for (int i = 0; i < 3; i++) assert_int_equal(tc_ring_push(&r, &(tc_sample_t){.count = 0}), 100 + i);
    assert_int_equal(tc_ring_count(&r), 3);
    assert_int_equal(tc_ring_peek(&r, 0)->seq, 100);
    assert_int_equal(tc_ring_peek(&r, 2)->seq, 102);
    assert_null(tc_ring_peek(&r, 3));
}

static void overflow_drops_the_oldest_and_reports_the_gap(void **state) {
    (void)state;
    tc_ring_slot_t slots[4];
    tc_ring_t r;
    tc_ring_init(&r, slots, 4, 0);
    for (int i = 0; i < 10; i++) {
        tc_sample_t s = reading(i);
        tc_ring_push(&r, &s);
    }
    assert_int_equal(tc_ring_count(&r), 4);
    assert_int_equal(tc_ring_peek(&r, 0)->seq, 6);
    assert_true(tc_ring_peek(&r, 0)->value[0] == 6.0);
    uint32_t first, last, count;
    assert_true(tc_ring_take_dropped(&r, &first, &last, &count));
    assert_int_equal(first, 0);
    assert_int_equal(last, 5);
    assert_int_equal(count, 6);
    assert_false(tc_ring_take_dropped(&r, &first, &last, &count));
    assert_int_equal(r.dropped_total, 6);
}

static void seq_has_no_gap_across_a_link_drop(void **state) {
    (void)state;
    tc_ring_slot_t slots[8];
    tc_ring_t r;
    tc_ring_init(&r, slots, 8, 41);
    uint32_t seen[32];
    size_t n_seen = 0;
    /* Online: two readings go out at once. */
    for (int i = 0; i < 2; i++) {
        tc_sample_t s = reading(i);
        tc_ring_push(&r, &s);
        n_seen += drain(&r, seen + n_seen, 32 - n_seen);
    }
    /* One published, then the link drops before its PUBACK. */
    tc_sample_t s = reading(2);
    tc_ring_push(&r, &s);
    tc_ring_mark_sent(&r, tc_ring_next_unsent(&r)->seq, 9, 0);
    assert_int_equal(tc_ring_in_flight(&r), 1);
    tc_ring_unsend_all(&r);
    assert_int_equal(tc_ring_in_flight(&r), 0);
    /* Offline: five readings wait. */
    for (int i = 3; i < 8; i++) {
        s = reading(i);
        tc_ring_push(&r, &s);
    }
    assert_int_equal(tc_ring_count(&r), 6);
    n_seen += drain(&r, seen + n_seen, 32 - n_seen);
    assert_int_equal(n_seen, 8);
    for (size_t i = 0; i < n_seen; i++) assert_int_equal(seen[i], 41 + i);
    assert_int_equal(tc_ring_count(&r), 0);
}

static void out_of_order_acks_release_only_a_prefix(void **state) {
    (void)state;
    tc_ring_slot_t slots[4];
    tc_ring_t r;
    tc_ring_init(&r, slots, 4, 0);
    for (int i = 0; i < 3; i++) {
        tc_sample_t s = reading(i);
        tc_ring_push(&r, &s);
        tc_ring_mark_sent(&r, (uint32_t)i, i + 1, 0);
    }
    assert_true(tc_ring_ack(&r, 2));
    assert_int_equal(tc_ring_count(&r), 3);
    assert_true(tc_ring_ack(&r, 0));
    assert_int_equal(tc_ring_count(&r), 2);
    assert_int_equal(tc_ring_peek(&r, 0)->seq, 1);
    assert_true(tc_ring_ack(&r, 1));
    assert_int_equal(tc_ring_count(&r), 0);
    tc_sample_t more = reading(9);
    tc_ring_push(&r, &more);
    tc_ring_mark_sent(&r, 3, 4, 0);
    /* An ack for something never sent or long gone changes nothing. */
    assert_false(tc_ring_ack(&r, 0));
    assert_false(tc_ring_ack(&r, 77));
    /* After a drop, the unacknowledged one is published again. */
    assert_null(tc_ring_next_unsent(&r));
    tc_ring_unsend_all(&r);
    assert_int_equal(tc_ring_next_unsent(&r)->seq, 3);
}

static void an_in_flight_sample_overwritten_by_overflow_is_reported_not_acked(void **state) {
    (void)state;
    tc_ring_slot_t slots[2];
    tc_ring_t r;
    tc_ring_init(&r, slots, 2, 0);
    tc_sample_t s = reading(0);
    tc_ring_push(&r, &s);
    tc_ring_mark_sent(&r, 0, 1, 0);
    tc_ring_push(&r, &s);
    tc_ring_push(&r, &s); /* overwrites seq 0 */
    assert_false(tc_ring_ack(&r, 0));
    assert_int_equal(tc_ring_peek(&r, 0)->seq, 1);
    uint32_t first, last, count;
    assert_true(tc_ring_take_dropped(&r, &first, &last, &count));
    assert_int_equal(count, 1);
}

static void wraps_the_slot_array_many_times(void **state) {
    (void)state;
    tc_ring_slot_t slots[3];
    tc_ring_t r;
    tc_ring_init(&r, slots, 3, 0);
    uint32_t expected = 0;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 2; i++) {
            tc_sample_t s = reading(round);
            tc_ring_push(&r, &s);
        }
        uint32_t seen[4];
        size_t n = drain(&r, seen, 4);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++) assert_int_equal(seen[i], expected++);
    }
}

static void seq_wraps_at_2_to_the_32(void **state) {
    (void)state;
    tc_ring_slot_t slots[4];
    tc_ring_t r;
    tc_ring_init(&r, slots, 4, UINT32_MAX - 1);
    tc_sample_t s = reading(0);
    assert_int_equal(tc_ring_push(&r, &s), UINT32_MAX - 1);
    assert_int_equal(tc_ring_push(&r, &s), UINT32_MAX);
    assert_int_equal(tc_ring_push(&r, &s), 0);
}

static void seq_reservations_survive_reboots_without_repeats(void **state) {
    (void)state;
    tc_seq_store_t st;
    uint32_t to_store;
    /* First boot ever: start at 0, reserve a block of 100. */
    uint32_t next = tc_seq_boot(&st, false, 0, 100, &to_store);
    assert_int_equal(next, 0);
    assert_int_equal(to_store, 100);
    uint32_t nvs = to_store;
    int writes = 0;
    for (int i = 0; i < 250; i++) {
        if (tc_seq_needs_reserve(&st, next, &to_store)) {
            nvs = to_store;
            writes++;
        }
        next++;
    }
    assert_int_equal(writes, 2); /* at 100 and at 200, not once per reading */
    assert_int_equal(nvs, 300);
    /* Power cut at seq 250: the next boot starts where the reservation ended, past anything used. */
    uint32_t after = tc_seq_boot(&st, true, nvs, 100, &to_store);
    assert_true(after >= 250);
    assert_int_equal(to_store, 400);
    /* Near the wrap, the modular distance keeps working. */
    tc_seq_boot(&st, true, UINT32_MAX - 10, 100, &to_store);
    assert_int_equal(to_store, 89u);
    assert_false(tc_seq_needs_reserve(&st, UINT32_MAX - 5, &to_store));
    assert_false(tc_seq_needs_reserve(&st, 3, &to_store));
    assert_true(tc_seq_needs_reserve(&st, 89, &to_store));
    assert_int_equal(to_store, 189);
}

static void pubacks_match_packets_and_stale_ones_are_resent(void **state) {
    (void)state;
    tc_ring_slot_t slots[8];
    tc_ring_t r;
    tc_ring_init(&r, slots, 8, 500);
    tc_sample_t s = reading(0);
    for (int i = 0; i < 3; i++) tc_ring_push(&r, &s);
    /* 500 and 501 go out as packets 7 and 8 at t=1000; 502 at t=20000. */
    tc_ring_mark_sent(&r, 500, 7, 1000);
    tc_ring_mark_sent(&r, 501, 8, 1000);
    tc_ring_mark_sent(&r, 502, 9, 20000);
    assert_int_equal(tc_ring_in_flight(&r), 3);
    /* A PUBACK for a state or ack message (another packet id) releases nothing. */
    assert_false(tc_ring_puback(&r, 42));
    assert_true(tc_ring_puback(&r, 8));
    assert_false(tc_ring_puback(&r, 8));
    assert_int_equal(tc_ring_count(&r), 3); /* 500 is still ahead of it */
    /* No PUBACK for 500 within 30 s: it goes out again; 502 is not stale yet. */
    assert_int_equal(tc_ring_resend_stale(&r, 31000, 30000), 0);
    assert_int_equal(tc_ring_resend_stale(&r, 31001, 30000), 1);
    assert_int_equal(tc_ring_next_unsent(&r)->seq, 500);
    assert_int_equal(tc_ring_in_flight(&r), 1);
    tc_ring_mark_sent(&r, 500, 10, 31001);
    /* The old packet id no longer counts; the new one does, and the prefix leaves. */
    assert_false(tc_ring_puback(&r, 7));
    assert_true(tc_ring_puback(&r, 10));
    assert_int_equal(tc_ring_count(&r), 1);
    assert_int_equal(tc_ring_peek(&r, 0)->seq, 502);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_order_and_assigns_consecutive_seq),
        cmocka_unit_test(overflow_drops_the_oldest_and_reports_the_gap),
        cmocka_unit_test(seq_has_no_gap_across_a_link_drop),
        cmocka_unit_test(out_of_order_acks_release_only_a_prefix),
        cmocka_unit_test(an_in_flight_sample_overwritten_by_overflow_is_reported_not_acked),
        cmocka_unit_test(wraps_the_slot_array_many_times),
        cmocka_unit_test(seq_wraps_at_2_to_the_32),
        cmocka_unit_test(seq_reservations_survive_reboots_without_repeats),
        cmocka_unit_test(pubacks_match_packets_and_stale_ones_are_resent),
    };
    return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
