/* Contact debouncing: bounces are ignored, a settled change is one edge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tc_debounce.h"

static void a_bouncing_opening_is_one_edge(void **state) {
    (void)state;
    tc_debounce_t d;
    tc_debounce_init(&d, false, 0, 50);
    /* The reed switch chatters for 30 ms, then stays open. */
    const struct { int64_t t; bool level; } samples[] = {{100, true}, {105, false}, {110, true}, {118, false}, {130, true}};
    int edges = 0;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) edges += tc_debounce_update(&d, samples[i].level, samples[i].t);
    assert_int_equal(edges, 0);
    assert_false(tc_debounce_update(&d, true, 179));
    assert_true(tc_debounce_update(&d, true, 180));
    assert_true(d.stable);
    /* Held open: no more edges. */
    assert_false(tc_debounce_update(&d, true, 5000));
}

static void a_glitch_shorter_than_settle_is_ignored(void **state) {
    (void)state;
    tc_debounce_t d;
    tc_debounce_init(&d, true, 0, 50);
    assert_false(tc_debounce_update(&d, false, 1000));
    assert_false(tc_debounce_update(&d, true, 1040));
    assert_false(tc_debounce_update(&d, true, 2000));
    assert_true(d.stable);
}

static void closing_is_an_edge_too(void **state) {
    (void)state;
    tc_debounce_t d;
    tc_debounce_init(&d, true, 0, 0);
    assert_true(tc_debounce_update(&d, false, 1));
    assert_false(d.stable);
    assert_true(tc_debounce_update(&d, true, 2));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_bouncing_opening_is_one_edge),
        cmocka_unit_test(a_glitch_shorter_than_settle_is_ignored),
        cmocka_unit_test(closing_is_an_edge_too),
    };
    return cmocka_run_group_tests_name("debounce", tests, NULL, NULL);
}
