/* Payload encoding: exact bytes, edge values, escaping, and every refusal the protocol implies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "tc_payload.h"

static const char *const METRICS[] = {"temperature_c", "door_open", "humidity_pct"};

static void validates_names_like_the_protocol(void **state) {
    (void)state;
    assert_true(tc_valid_device_id("camara-1"));
    assert_true(tc_valid_device_id("0node_a"));
    assert_false(tc_valid_device_id("Camara"));
    assert_false(tc_valid_device_id("-a"));
    assert_false(tc_valid_device_id("a/b"));
    assert_false(tc_valid_device_id("a+"));
    assert_false(tc_valid_device_id(""));
    char long_id[70];
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    assert_false(tc_valid_device_id(long_id));
    long_id[64] = '\0';
    assert_true(tc_valid_device_id(long_id));
    assert_true(tc_valid_key("temperature_c"));
    assert_false(tc_valid_key("1temp"));
    assert_false(tc_valid_key("temp-c"));
    assert_true(tc_valid_event_kind("door.opened"));
    assert_false(tc_valid_event_kind("Door"));
    assert_true(tc_valid_command_id("cloud.8d0c:ab-1_Z"));
    assert_false(tc_valid_command_id("a b"));
}

static void builds_topics(void **state) {
    (void)state;
    char t[96];
    assert_true(tc_topic(t, sizeof t, "camara-1", "telemetry"));
    assert_string_equal(t, "tendero/v1/camara-1/telemetry");
    assert_false(tc_topic(t, sizeof t, "bad/id", "telemetry"));
    assert_false(tc_topic(t, 10, "camara-1", "telemetry"));
}

static void encodes_telemetry_with_and_without_a_synced_clock(void **state) {
    (void)state;
    char out[256];
    size_t len;
    tc_sample_t s;
    tc_sample_init(&s, 5000);
    s.seq = 4711;
    assert_int_equal(tc_sample_add(&s, 0, 4.6), TC_OK);
    assert_int_equal(tc_sample_add(&s, 1, 0), TC_OK);
    tc_clock_t unsynced = {false, 0};
    assert_int_equal(tc_encode_telemetry(out, sizeof out, &len, &s, METRICS, 3, &unsynced), TC_OK);
    assert_string_equal(out, "{\"seq\":4711,\"readings\":{\"temperature_c\":4.6,\"door_open\":0}}");
    assert_int_equal(len, strlen(out));
    tc_clock_t synced = {true, 1763719195000LL};
    assert_int_equal(tc_encode_telemetry(out, sizeof out, &len, &s, METRICS, 3, &synced), TC_OK);
    assert_string_equal(out, "{\"ts\":1763719200000,\"seq\":4711,\"readings\":{\"temperature_c\":4.6,\"door_open\":0}}");
    /* A clock that would give a negative epoch is treated as unknown. */
    tc_clock_t broken = {true, -10000};
    assert_int_equal(tc_encode_telemetry(out, sizeof out, &len, &s, METRICS, 3, &broken), TC_OK);
    assert_null(strstr(out, "\"ts\""));
}

static void refuses_what_the_protocol_would_reject(void **state) {
    (void)state;
    char out[256];
    size_t len;
    tc_sample_t s;
    tc_sample_init(&s, 0);
    tc_clock_t clock = {false, 0};
    assert_int_equal(tc_encode_telemetry(out, sizeof out, &len, &s, METRICS, 3, &clock), TC_ERR_EMPTY);
    assert_int_equal(tc_sample_add(&s, 0, NAN), TC_ERR_NON_FINITE);
    assert_int_equal(tc_sample_add(&s, 0, INFINITY), TC_ERR_NON_FINITE);
    assert_int_equal(tc_sample_add(&s, 0, -INFINITY), TC_ERR_NON_FINITE);
    assert_int_equal(s.count, 0);
    assert_int_equal(tc_sample_add(&s, 0, 1), TC_OK);
    assert_int_equal(tc_sample_add(&s, 0, 2), TC_ERR_DUPLICATE);
    /* A sample altered behind the API's back is still never sent as NaN. */
    s.value[0] = NAN;
    assert_int_equal(tc_encode_telemetry(out, sizeof out, &len, &s, METRICS, 3, &clock), TC_ERR_NON_FINITE);
    s.value[0] = 1;
    s.metric[0] = 7;
    assert_int_equal(tc_encode_telemetry(out, sizeof out, &len, &s, METRICS, 3, &clock), TC_ERR_BAD_NAME);
    const char *const bad_names[] = {"Temp"};
    s.metric[0] = 0;
    assert_int_equal(tc_encode_telemetry(out, sizeof out, &len, &s, bad_names, 1, &clock), TC_ERR_BAD_NAME);
    for (uint8_t i = 1; i < TC_MAX_READINGS; i++) assert_int_equal(tc_sample_add(&s, i, i), TC_OK);
    assert_int_equal(tc_sample_add(&s, 200, 1), TC_ERR_TOO_MANY);
    /* Too small a buffer is an error, never a truncated payload. */
    tc_sample_init(&s, 0);
    tc_sample_add(&s, 0, 1);
    assert_int_equal(tc_encode_telemetry(out, 20, &len, &s, METRICS, 3, &clock), TC_ERR_NOSPACE);
}

static void encodes_state_with_every_value_type(void **state) {
    (void)state;
    char out[512];
    size_t len;
    tc_kv_t items[] = {
        {.key = "compressor", .type = TC_VAL_BOOL, .b = true},
        {.key = "setpoint_c", .type = TC_VAL_NUMBER, .num = -18.5},
        {.key = "fw", .type = TC_VAL_STRING, .str = "0.3.1 \"beta\"\\\n"},
        {.key = "failsafe", .type = TC_VAL_BOOL, .b = false},
    };
    assert_int_equal(tc_encode_state(out, sizeof out, &len, 1763719200000LL, items, 4), TC_OK);
    assert_string_equal(out, "{\"ts\":1763719200000,\"state\":{\"compressor\":true,\"setpoint_c\":-18.5,\"fw\":\"0.3.1 \\\"beta\\\"\\\\\\n\",\"failsafe\":false}}");
    assert_int_equal(tc_encode_state(out, sizeof out, &len, -1, items, 1), TC_OK);
    assert_string_equal(out, "{\"state\":{\"compressor\":true}}");
    assert_int_equal(tc_encode_state(out, sizeof out, &len, -1, items, 0), TC_ERR_EMPTY);
    tc_kv_t dup[] = {items[0], items[0]};
    assert_int_equal(tc_encode_state(out, sizeof out, &len, -1, dup, 2), TC_ERR_DUPLICATE);
    char long_str[80];
    memset(long_str, 'x', 65);
    long_str[65] = '\0';
    tc_kv_t too_long = {.key = "fw", .type = TC_VAL_STRING, .str = long_str};
    assert_int_equal(tc_encode_state(out, sizeof out, &len, -1, &too_long, 1), TC_ERR_TOO_LONG);
    tc_kv_t nan = {.key = "x", .type = TC_VAL_NUMBER, .num = NAN};
    assert_int_equal(tc_encode_state(out, sizeof out, &len, -1, &nan, 1), TC_ERR_NON_FINITE);
    tc_kv_t bad_key = {.key = "X", .type = TC_VAL_BOOL};
    assert_int_equal(tc_encode_state(out, sizeof out, &len, -1, &bad_key, 1), TC_ERR_BAD_NAME);
    assert_int_equal(tc_encode_state(out, sizeof out, &len, TC_EPOCH_MS_MAX + 1, items, 1), TC_ERR_RANGE);
}

static void encodes_events_and_acks(void **state) {
    (void)state;
    char out[512];
    size_t len;
    assert_int_equal(tc_encode_event(out, sizeof out, &len, -1, "door.opened", NULL, 0), TC_OK);
    assert_string_equal(out, "{\"kind\":\"door.opened\"}");
    tc_kv_t data[] = {
        {.key = "first_seq", .type = TC_VAL_NUMBER, .num = 10},
        {.key = "door", .type = TC_VAL_STRING, .str = "cámara"},
    };
    assert_int_equal(tc_encode_event(out, sizeof out, &len, 5, "buffer.dropped", data, 2), TC_OK);
    assert_string_equal(out, "{\"ts\":5,\"kind\":\"buffer.dropped\",\"data\":{\"first_seq\":10,\"door\":\"cámara\"}}");
    assert_int_equal(tc_encode_event(out, sizeof out, &len, -1, "Door", NULL, 0), TC_ERR_BAD_NAME);
    assert_int_equal(tc_encode_event(out, sizeof out, &len, -1, "d", data, 33), TC_ERR_TOO_MANY);

    tc_ack_t ack = {.id = "r-cold-high-17", .ok = true};
    assert_int_equal(tc_encode_ack(out, sizeof out, &len, 1763719200150LL, &ack), TC_OK);
    assert_string_equal(out, "{\"id\":\"r-cold-high-17\",\"ts\":1763719200150,\"ok\":true}");
    tc_ack_t refused = {.id = "r-18", .ok = false, .error = "bad_command: /on: must be \"boolean\""};
    assert_int_equal(tc_encode_ack(out, sizeof out, &len, -1, &refused), TC_OK);
    assert_string_equal(out, "{\"id\":\"r-18\",\"ok\":false,\"error\":\"bad_command: /on: must be \\\"boolean\\\"\"}");
    tc_ack_t bad_id = {.id = "a b", .ok = true};
    assert_int_equal(tc_encode_ack(out, sizeof out, &len, -1, &bad_id), TC_ERR_BAD_NAME);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validates_names_like_the_protocol),
        cmocka_unit_test(builds_topics),
        cmocka_unit_test(encodes_telemetry_with_and_without_a_synced_clock),
        cmocka_unit_test(refuses_what_the_protocol_would_reject),
        cmocka_unit_test(encodes_state_with_every_value_type),
        cmocka_unit_test(encodes_events_and_acks),
    };
    return cmocka_run_group_tests_name("payload", tests, NULL, NULL);
}
