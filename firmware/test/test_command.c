/* Command decoding (good and malformed) and what the node answers: expiry, unknown relays, fail-safe specs, setpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "tc_node.h"

static bool decode(const char *json, tc_command_t *cmd, tc_decode_error_t *err) {
    return tc_decode_command(json, strlen(json), cmd, err);
}

static void decodes_every_relay_node_kind(void **state) {
    (void)state;
    tc_command_t c;
    tc_decode_error_t e;
    assert_true(decode("{\"id\":\"r-cold-high-17\",\"issuedAt\":1763719200000,\"expiresAt\":1763719260000,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":true}", &c, &e));
    assert_string_equal(c.id, "r-cold-high-17");
    assert_int_equal(c.kind, TC_CMD_RELAY_SET);
    assert_string_equal(c.name, "compressor");
    assert_true(c.on);
    assert_int_equal(c.issued_at, 1763719200000LL);
    assert_int_equal(c.expires_at, 1763719260000LL);

    assert_true(decode("{\"kind\":\"setpoint.set\",\"id\":\"a:b.c_d-e\",\"issuedAt\":0,\"expiresAt\":1e3,\"name\":\"setpoint_c\",\"value\":-2.5}", &c, &e));
    assert_int_equal(c.kind, TC_CMD_SETPOINT_SET);
    assert_true(c.value == -2.5);
    assert_int_equal(c.expires_at, 1000);

    assert_true(decode("{\"id\":\"f1\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"failsafe.set\",\"relay\":\"compressor\",\"mode\":\"duty\",\"onSeconds\":600,\"offSeconds\":900}", &c, &e));
    assert_int_equal(c.mode, TC_FS_DUTY);
    assert_int_equal(c.on_seconds, 600);
    assert_int_equal(c.off_seconds, 900);
    /* Valid protocol, unusable spec: decoded, refused later as invalid_failsafe. */
    assert_true(decode("{\"id\":\"f2\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"failsafe.set\",\"relay\":\"v\",\"mode\":\"duty\"}", &c, &e));
    assert_int_equal(c.on_seconds, 0);

    assert_true(decode("{\"id\":\"a1\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"access.result\",\"doorId\":\"vip\",\"allow\":true,\"reason\":\"allowed\"}", &c, &e));
    assert_int_equal(c.kind, TC_CMD_ACCESS_RESULT);
}

static void refuses_malformed_commands_with_a_reason(void **state) {
    (void)state;
    const struct {
        const char *json;
        bool has_id;
        const char *reason;
    } cases[] = {
        {"not json", false, "not valid JSON"},
        {"[]", false, "not a JSON object"},
        {"{\"kind\":\"relay.set\"}", false, "/id: required"},
        {"{\"id\":7}", false, "/id: must be string"},
        {"{\"id\":\"has space\"}", false, "/id: must be"},
        {"{\"id\":\"\"}", false, "/id: must be"},
        {"{\"id\":\"x\",\"kind\":\"relay.toggle\"}", true, "/kind: unknown command kind"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"relay.set\",\"relay\":\"a\",\"on\":true,\"extra\":1}", true, "/extra: unknown field"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"relay.set\",\"relay\":\"a\",\"onSeconds\":1,\"on\":true}", true, "/onSeconds: unknown field"},
        {"{\"id\":\"x\",\"issuedAt\":1.5,\"expiresAt\":2,\"kind\":\"relay.set\",\"relay\":\"a\",\"on\":true}", true, "/issuedAt: must be an integer"},
        {"{\"id\":\"x\",\"issuedAt\":-1,\"expiresAt\":2,\"kind\":\"relay.set\",\"relay\":\"a\",\"on\":true}", true, "/issuedAt: must be an integer"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"kind\":\"relay.set\",\"relay\":\"a\",\"on\":true}", true, "/expiresAt: required"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":\"2\",\"kind\":\"relay.set\",\"relay\":\"a\",\"on\":true}", true, "/expiresAt: must be number"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":9e15,\"kind\":\"relay.set\",\"relay\":\"a\",\"on\":true}", true, "/expiresAt: must be an integer"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"relay.set\",\"relay\":\"Compressor\",\"on\":true}", true, "/relay: must match"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"relay.set\",\"relay\":\"a\",\"on\":1}", true, "/on: must be boolean, got number"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"relay.set\",\"relay\":\"a\"}", true, "/on: required"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"setpoint.set\",\"name\":\"a\",\"value\":null}", true, "/value: must be number, got null"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"setpoint.set\",\"name\":\"a\",\"value\":1e999}", false, "number out of range"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"failsafe.set\",\"relay\":\"a\",\"mode\":\"blink\"}", true, "/mode: must be off, on or duty"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"failsafe.set\",\"relay\":\"a\",\"mode\":\"duty\",\"onSeconds\":0,\"offSeconds\":5}", true, "/onSeconds: must be an integer in 1..86400"},
        {"{\"id\":\"x\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"failsafe.set\",\"relay\":\"a\",\"mode\":\"duty\",\"onSeconds\":5,\"offSeconds\":86401}", true, "/offSeconds: must be an integer in 1..86400"},
        {"{\"id\":\"x\",\"id\":\"y\"}", false, "duplicate key"},
        {"{\"id\":\"x\",\"data\":{}}", false, "nested objects"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tc_command_t c;
        tc_decode_error_t e;
        if (decode(cases[i].json, &c, &e)) fail_msg("case %zu accepted: %s", i, cases[i].json);
        if (e.has_id != cases[i].has_id) fail_msg("case %zu: has_id %d", i, e.has_id);
        if (strstr(e.reason, cases[i].reason) != e.reason) fail_msg("case %zu: reason \"%s\", want \"%s\"", i, e.reason, cases[i].reason);
    }
    /* An id of 65 characters is one too many. */
    char json[256];
    snprintf(json, sizeof json, "{\"id\":\"%065d\"}", 0);
    tc_command_t c;
    tc_decode_error_t e;
    assert_false(decode(json, &c, &e));
    assert_false(e.has_id);
}

typedef struct {
    tc_failsafe_t fs;
    tc_setpoints_t sp;
    tc_node_t node;
} fixture_t;

static void setup_node(fixture_t *f) {
    memset(f, 0, sizeof *f);
    tc_failsafe_init(&f->fs, 0, 0);
    tc_failsafe_spec_t off = {TC_FS_OFF, 0, 0};
    tc_failsafe_add_relay(&f->fs, "compressor", &off, false);
    f->sp.item[0] = (tc_setpoint_t){.name = "interval_s", .value = 10, .min = 1, .max = 3600};
    f->sp.n = 1;
    f->node.fs = &f->fs;
    f->node.setpoints = &f->sp;
}

static uint32_t send(fixture_t *f, const char *json, int64_t mono, tc_ack_t *ack) {
    uint32_t changed;
    assert_true(tc_node_handle(&f->node, json, strlen(json), mono, ack, &changed));
    return changed;
}

static void applies_commands_and_answers_like_the_simulated_node(void **state) {
    (void)state;
    fixture_t f;
    setup_node(&f);
    tc_ack_t ack;
    uint32_t ch = send(&f, "{\"id\":\"c1\",\"issuedAt\":1000,\"expiresAt\":61000,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":true}", 5, &ack);
    assert_true(ack.ok);
    assert_string_equal(ack.id, "c1");
    assert_string_equal(ack.error, "");
    assert_int_equal(ch, TC_CHANGED_RELAY);
    assert_true(f.fs.relay[0].on);

    send(&f, "{\"id\":\"c2\",\"issuedAt\":1000,\"expiresAt\":61000,\"kind\":\"relay.set\",\"relay\":\"valve\",\"on\":true}", 6, &ack);
    assert_false(ack.ok);
    assert_string_equal(ack.error, "unknown_relay");

    ch = send(&f, "{\"id\":\"c3\",\"issuedAt\":1000,\"expiresAt\":61000,\"kind\":\"failsafe.set\",\"relay\":\"compressor\",\"mode\":\"duty\",\"onSeconds\":600,\"offSeconds\":900}", 7, &ack);
    assert_true(ack.ok);
    assert_int_equal(ch, TC_CHANGED_FAILSAFE);
    assert_int_equal(f.fs.relay[0].spec.mode, TC_FS_DUTY);
    assert_int_equal(f.fs.relay[0].spec.off_s, 900);

    ch = send(&f, "{\"id\":\"c4\",\"issuedAt\":1000,\"expiresAt\":61000,\"kind\":\"failsafe.set\",\"relay\":\"compressor\",\"mode\":\"duty\",\"onSeconds\":600}", 8, &ack);
    assert_string_equal(ack.error, "invalid_failsafe");
    assert_int_equal(ch, 0);
    assert_int_equal(f.fs.relay[0].spec.on_s, 600); /* the previous spec stands */

    ch = send(&f, "{\"id\":\"c5\",\"issuedAt\":1000,\"expiresAt\":61000,\"kind\":\"setpoint.set\",\"name\":\"interval_s\",\"value\":30}", 9, &ack);
    assert_true(ack.ok);
    assert_int_equal(ch, TC_CHANGED_SETPOINT);
    assert_true(f.sp.item[0].value == 30);
    send(&f, "{\"id\":\"c6\",\"issuedAt\":1000,\"expiresAt\":61000,\"kind\":\"setpoint.set\",\"name\":\"interval_s\",\"value\":0}", 9, &ack);
    assert_string_equal(ack.error, "out_of_range");
    send(&f, "{\"id\":\"c7\",\"issuedAt\":1000,\"expiresAt\":61000,\"kind\":\"setpoint.set\",\"name\":\"setpoint_c\",\"value\":2}", 9, &ack);
    assert_string_equal(ack.error, "unknown_setpoint");
    send(&f, "{\"id\":\"c8\",\"issuedAt\":1000,\"expiresAt\":61000,\"kind\":\"charge.result\",\"txId\":\"t\",\"cardId\":\"04A1\",\"approved\":true,\"reason\":\"approved\",\"balanceMinor\":1,\"currency\":\"ARS\"}", 9, &ack);
    assert_string_equal(ack.error, "unsupported_command");
}

static void malformed_commands_are_acked_only_when_they_carry_an_id(void **state) {
    (void)state;
    fixture_t f;
    setup_node(&f);
    tc_ack_t ack;
    uint32_t changed;
    const char *bad = "{\"id\":\"c9\",\"issuedAt\":1,\"expiresAt\":2,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":\"yes\"}";
    assert_true(tc_node_handle(&f.node, bad, strlen(bad), 0, &ack, &changed));
    assert_false(ack.ok);
    assert_string_equal(ack.error, "bad_command: /on: must be boolean, got string");
    assert_int_equal(changed, 0);
    assert_false(f.fs.relay[0].on);
    const char *junk = "{\"on\":true";
    assert_false(tc_node_handle(&f.node, junk, strlen(junk), 0, &ack, &changed));
}

static void expiry_is_judged_on_the_gateway_clock(void **state) {
    (void)state;
    fixture_t f;
    setup_node(&f);
    tc_ack_t ack;
    /* The node's monotonic clock is unrelated to the gateway's epoch time. */
    send(&f, "{\"id\":\"a\",\"issuedAt\":1763719200000,\"expiresAt\":1763719260000,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":true}", 50, &ack);
    assert_true(ack.ok);
    assert_int_equal(tc_gwclock_now(&f.node.gwclock, 1050), 1763719201000LL);
    /* Reconnecting 90 s later, a command that waited at the broker arrives after its expiry. */
    send(&f, "{\"id\":\"stale\",\"issuedAt\":1763719210000,\"expiresAt\":1763719270000,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":false}", 90050, &ack);
    assert_false(ack.ok);
    assert_string_equal(ack.error, "expired");
    assert_true(f.fs.relay[0].on);
    /* Exactly at expiry counts as expired, one ms before does not. */
    send(&f, "{\"id\":\"edge\",\"issuedAt\":1763719200000,\"expiresAt\":1763719290000,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":false}", 90050, &ack);
    assert_string_equal(ack.error, "expired");
    send(&f, "{\"id\":\"edge2\",\"issuedAt\":1763719200000,\"expiresAt\":1763719290001,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":false}", 90050, &ack);
    assert_true(ack.ok);
    /* A newer issuedAt moves the estimate forward, never backward. */
    send(&f, "{\"id\":\"n\",\"issuedAt\":1763719400000,\"expiresAt\":1763719460000,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":true}", 90060, &ack);
    assert_int_equal(tc_gwclock_now(&f.node.gwclock, 90060), 1763719400000LL);
    send(&f, "{\"id\":\"o\",\"issuedAt\":1763719000000,\"expiresAt\":1763719500000,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":true}", 90070, &ack);
    assert_true(ack.ok);
    assert_int_equal(tc_gwclock_now(&f.node.gwclock, 90070), 1763719400010LL);
    /* A command that expired before it was issued is refused even as the first one. */
    fixture_t g;
    setup_node(&g);
    send(&g, "{\"id\":\"z\",\"issuedAt\":5000,\"expiresAt\":5000,\"kind\":\"relay.set\",\"relay\":\"compressor\",\"on\":true}", 0, &ack);
    assert_string_equal(ack.error, "expired");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_every_relay_node_kind),
        cmocka_unit_test(refuses_malformed_commands_with_a_reason),
        cmocka_unit_test(applies_commands_and_answers_like_the_simulated_node),
        cmocka_unit_test(malformed_commands_are_acked_only_when_they_carry_an_id),
        cmocka_unit_test(expiry_is_judged_on_the_gateway_clock),
    };
    return cmocka_run_group_tests_name("command", tests, NULL, NULL);
}
