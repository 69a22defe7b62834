/* Relay fail-safe: grace, off/on/duty, phase keeping, link back, timing on an injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tc_failsafe.h"

static const tc_failsafe_spec_t OFF = {TC_FS_OFF, 0, 0};
static const tc_failsafe_spec_t ON = {TC_FS_ON, 0, 0};
static const tc_failsafe_spec_t DUTY = {TC_FS_DUTY, 600, 900};

/* A node with compressor (duty), valve (off), lights (on), link up at t=0. */
static void node(tc_failsafe_t *fs, uint32_t grace_ms) {
    tc_failsafe_init(fs, grace_ms, 0);
    assert_int_equal(tc_failsafe_add_relay(fs, "compressor", &DUTY, false), 0);
    assert_int_equal(tc_failsafe_add_relay(fs, "valve", &OFF, false), 1);
    assert_int_equal(tc_failsafe_add_relay(fs, "lights", &ON, false), 2);
    tc_failsafe_link_up(fs, 0);
}

static void validates_specs_and_relays(void **state) {
    (void)state;
    tc_failsafe_t fs;
    tc_failsafe_init(&fs, 0, 0);
    tc_failsafe_spec_t bad = {TC_FS_DUTY, 0, 10};
    assert_false(tc_failsafe_spec_valid(&bad));
    bad = (tc_failsafe_spec_t){TC_FS_DUTY, 10, 86401};
    assert_false(tc_failsafe_spec_valid(&bad));
    assert_int_equal(tc_failsafe_add_relay(&fs, "a", &bad, false), -1);
    assert_int_equal(tc_failsafe_add_relay(&fs, "a", &OFF, false), 0);
    assert_int_equal(tc_failsafe_add_relay(&fs, "a", &OFF, false), -1);
    assert_int_equal(tc_failsafe_find(&fs, "a"), 0);
    assert_int_equal(tc_failsafe_find(&fs, "b"), -1);
    for (int i = 1; i < TC_MAX_RELAYS; i++) {
        char name[8] = {'r', (char)('0' + i), 0};
        assert_int_equal(tc_failsafe_add_relay(&fs, name, &OFF, false), i);
    }
    assert_int_equal(tc_failsafe_add_relay(&fs, "full", &OFF, false), -1);
    assert_false(tc_failsafe_command(&fs, TC_MAX_RELAYS, true));
}

static void a_booting_node_reaches_failsafe_without_any_link(void **state) {
    (void)state;
    tc_failsafe_t fs;
    tc_failsafe_init(&fs, 5000, 1000);
    tc_failsafe_add_relay(&fs, "lights", &ON, false);
    assert_int_equal(tc_failsafe_tick(&fs, 5999), 0);
    assert_int_equal(tc_failsafe_next_in(&fs, 5999), 1);
    assert_int_equal(tc_failsafe_tick(&fs, 6000), 1);
    assert_true(tc_failsafe_active(&fs));
    assert_true(fs.relay[0].on);
}

static void link_loss_applies_safe_states_at_once_without_grace(void **state) {
    (void)state;
    tc_failsafe_t fs;
    node(&fs, 0);
    tc_failsafe_command(&fs, 0, true);
    tc_failsafe_command(&fs, 1, true);
    assert_int_equal(tc_failsafe_tick(&fs, 10), 0);
    assert_false(tc_failsafe_active(&fs));
    tc_failsafe_link_down(&fs, 100);
    uint32_t changed = tc_failsafe_tick(&fs, 100);
    assert_true(tc_failsafe_active(&fs));
    assert_int_equal(changed, (1u << 1) | (1u << 2)); /* valve closed, lights on; compressor keeps running */
    assert_true(fs.relay[0].on);
    assert_false(fs.relay[1].on);
    assert_true(fs.relay[2].on);
}

static void grace_holds_relays_then_expires(void **state) {
    (void)state;
    tc_failsafe_t fs;
    node(&fs, 30000);
    tc_failsafe_command(&fs, 1, true);
    tc_failsafe_link_down(&fs, 1000);
    assert_int_equal(tc_failsafe_tick(&fs, 30999), 0);
    assert_true(fs.relay[1].on);
    assert_int_equal(tc_failsafe_next_in(&fs, 30999), 1);
    /* A second link_down during grace does not restart the grace. */
    tc_failsafe_link_down(&fs, 20000);
    assert_int_equal(tc_failsafe_tick(&fs, 31000), (1u << 1) | (1u << 2));
    assert_false(fs.relay[1].on);
}

static void a_short_blip_inside_grace_changes_nothing(void **state) {
    (void)state;
    tc_failsafe_t fs;
    node(&fs, 30000);
    tc_failsafe_command(&fs, 1, true);
    tc_failsafe_link_down(&fs, 1000);
    tc_failsafe_tick(&fs, 5000);
    tc_failsafe_link_up(&fs, 6000);
    assert_int_equal(tc_failsafe_tick(&fs, 100000), 0);
    assert_false(tc_failsafe_active(&fs));
    assert_true(fs.relay[1].on);
    assert_int_equal(tc_failsafe_next_in(&fs, 100000), -1);
}

static void duty_keeps_the_running_phase_in_full(void **state) {
    (void)state;
    tc_failsafe_t fs;
    node(&fs, 0);
    tc_failsafe_command(&fs, 0, true); /* compressor running when the link drops */
    tc_failsafe_link_down(&fs, 0);
    tc_failsafe_tick(&fs, 0);
    assert_int_equal(tc_failsafe_next_in(&fs, 0), 600000);
    assert_int_equal(tc_failsafe_tick(&fs, 599999) & 1u, 0);
    assert_true(fs.relay[0].on);
    assert_int_equal(tc_failsafe_tick(&fs, 600000) & 1u, 1);
    assert_false(fs.relay[0].on);
    assert_int_equal(tc_failsafe_tick(&fs, 1499999) & 1u, 0);
    assert_int_equal(tc_failsafe_tick(&fs, 1500000) & 1u, 1);
    assert_true(fs.relay[0].on);
}

static void duty_from_a_stopped_compressor_rests_a_full_off_phase_first(void **state) {
    (void)state;
    tc_failsafe_t fs;
    node(&fs, 0);
    tc_failsafe_link_down(&fs, 50);
    tc_failsafe_tick(&fs, 50);
    assert_false(fs.relay[0].on);
    assert_int_equal(tc_failsafe_next_in(&fs, 50), 900000);
    tc_failsafe_tick(&fs, 900049);
    assert_false(fs.relay[0].on);
    tc_failsafe_tick(&fs, 900050);
    assert_true(fs.relay[0].on);
}

static void phases_count_from_failsafe_start_not_from_a_late_tick(void **state) {
    (void)state;
    tc_failsafe_t fs;
    node(&fs, 10000);
    tc_failsafe_command(&fs, 0, true);
    tc_failsafe_link_down(&fs, 0);
    /* The task stalled: the first tick comes long after grace ended at 10 s. */
    tc_failsafe_tick(&fs, 400000);
    assert_true(fs.relay[0].on);
    assert_int_equal(tc_failsafe_next_in(&fs, 400000), 210000); /* 10 s + 600 s */
    /* And a stall over many periods lands in the right phase without looping per period. */
    int64_t t = 10000 + 1500000LL * 1000 + 700000; /* 1000 periods + 700 s: in an off phase */
    tc_failsafe_tick(&fs, t);
    assert_false(fs.relay[0].on);
    assert_int_equal(tc_failsafe_next_in(&fs, t), 800000);
}

static void link_back_holds_relays_and_stops_duty(void **state) {
    (void)state;
    tc_failsafe_t fs;
    node(&fs, 0);
    tc_failsafe_link_down(&fs, 0);
    tc_failsafe_tick(&fs, 900000);
    assert_true(fs.relay[0].on);
    tc_failsafe_link_up(&fs, 900500);
    assert_false(tc_failsafe_active(&fs));
    /* Past where the duty cycle would have switched: nothing moves without the gateway. */
    assert_int_equal(tc_failsafe_tick(&fs, 2000000), 0);
    assert_true(fs.relay[0].on);
    assert_true(fs.relay[2].on);
    assert_true(tc_failsafe_command(&fs, 2, false));
    assert_false(fs.relay[2].on);
}

static void a_new_spec_in_failsafe_takes_effect_at_once(void **state) {
    (void)state;
    tc_failsafe_t fs;
    node(&fs, 0);
    tc_failsafe_link_down(&fs, 0);
    tc_failsafe_tick(&fs, 0);
    assert_false(fs.relay[1].on);
    assert_true(tc_failsafe_set_spec(&fs, 1, &ON, 10));
    assert_true(fs.relay[1].on);
    tc_failsafe_spec_t bad = {TC_FS_DUTY, 0, 0};
    assert_false(tc_failsafe_set_spec(&fs, 1, &bad, 10));
    assert_int_equal(fs.relay[1].spec.mode, TC_FS_ON);
    /* Outside fail-safe a new spec only waits for the next link loss. */
    tc_failsafe_link_up(&fs, 20);
    assert_true(tc_failsafe_set_spec(&fs, 1, &OFF, 30));
    assert_true(fs.relay[1].on);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validates_specs_and_relays),
        cmocka_unit_test(a_booting_node_reaches_failsafe_without_any_link),
        cmocka_unit_test(link_loss_applies_safe_states_at_once_without_grace),
        cmocka_unit_test(grace_holds_relays_then_expires),
        cmocka_unit_test(a_short_blip_inside_grace_changes_nothing),
        cmocka_unit_test(duty_keeps_the_running_phase_in_full),
        cmocka_unit_test(duty_from_a_stopped_compressor_rests_a_full_off_phase_first),
        cmocka_unit_test(phases_count_from_failsafe_start_not_from_a_late_tick),
        cmocka_unit_test(link_back_holds_relays_and_stops_duty),
        cmocka_unit_test(a_new_spec_in_failsafe_takes_effect_at_once),
    };
    return cmocka_run_group_tests_name("failsafe", tests, NULL, NULL);
}
