/* Reconnect backoff: growth, cap, jitter bounds, reset, no overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tc_backoff.h"

static uint32_t fixed(void *ctx) { return *(uint32_t *)ctx; }

/* xorshift32: a deterministic stand-in for esp_random(). */
static uint32_t xorshift(void *ctx) {
    uint32_t *x = ctx;
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void grows_exponentially_up_to_the_cap(void **state) {
    (void)state;
    uint32_t top = UINT32_MAX; /* always the top of the jitter range */
    tc_backoff_t b;
    tc_backoff_init(&b, 500, 30000, fixed, &top);
    const uint32_t want[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        uint32_t ceiling = tc_backoff_ceiling(&b, b.attempt);
        assert_int_equal(ceiling, want[i]);
        uint32_t d = tc_backoff_next(&b);
        assert_in_range(d, want[i] / 2, want[i]);
    }
}

static void jitter_stays_in_the_upper_half_and_spreads(void **state) {
    (void)state;
    uint32_t seed = 0x12345678;
    tc_backoff_t b;
    tc_backoff_init(&b, 1000, 60000, xorshift, &seed);
    uint32_t lo = UINT32_MAX, hi = 0;
    for (int i = 0; i < 2000; i++) {
        b.attempt = 3; /* ceiling 8000 */
        uint32_t d = tc_backoff_next(&b);
        assert_in_range(d, 4000, 8000);
        if (d < lo) lo = d;
        if (d > hi) hi = d;
    }
    /* A constant would pass the bounds; spread proves there is jitter at all. */
    assert_true(lo < 4400);
    assert_true(hi > 7600);
    uint32_t zero = 0;
    tc_backoff_init(&b, 1000, 60000, fixed, &zero);
    b.attempt = 3;
    assert_int_equal(tc_backoff_next(&b), 4000);
}

static void reset_starts_over(void **state) {
    (void)state;
    uint32_t top = UINT32_MAX;
    tc_backoff_t b;
    tc_backoff_init(&b, 250, 10000, fixed, &top);
    for (int i = 0; i < 10; i++) tc_backoff_next(&b);
    assert_int_equal(tc_backoff_ceiling(&b, b.attempt), 10000);
    tc_backoff_reset(&b);
    assert_int_equal(b.attempt, 0);
    assert_in_range(tc_backoff_next(&b), 125, 250);
}

static void huge_attempt_counts_do_not_overflow(void **state) {
    (void)state;
    uint32_t top = UINT32_MAX;
    tc_backoff_t b;
    tc_backoff_init(&b, 3000, UINT32_MAX, fixed, &top);
    b.attempt = UINT32_MAX;
    assert_int_equal(tc_backoff_ceiling(&b, b.attempt), UINT32_MAX);
    assert_in_range(tc_backoff_next(&b), UINT32_MAX / 2, UINT32_MAX);
    assert_int_equal(b.attempt, UINT32_MAX);
    /* A cap below the base is lifted to the base rather than producing zero delays. */
    tc_backoff_init(&b, 1000, 10, fixed, &top);
    assert_int_equal(tc_backoff_ceiling(&b, 5), 1000);
    tc_backoff_init(&b, 0, 0, NULL, NULL);
    assert_int_equal(tc_backoff_next(&b), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_exponentially_up_to_the_cap),
        cmocka_unit_test(jitter_stays_in_the_upper_half_and_spreads),
        cmocka_unit_test(reset_starts_over),
        cmocka_unit_test(huge_attempt_counts_do_not_overflow),
    };
    return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
