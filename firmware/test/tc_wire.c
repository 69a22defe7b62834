/*
 * Host harness for firmware/test/payloads.test.ts, built from the same tendero_core
 * sources as the firmware:
 *   tc_wire emit [deviceId]   prints "<case>\t<topic>\t<payload>" lines the node would publish
 *   tc_wire decode            reads one command per stdin line, prints "<decoded>\t<ack payload>"
 *   tc_wire config            parses a config partition's text from stdin, prints a summary or the error
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc_config.h"
#include "tc_json.h"
#include "tc_node.h"
#include "tc_ring.h"

static const char *device_id = "camara-1";
static const char *const METRICS[] = {"temperature_c", "door_open", "humidity_pct", "power_kw", "energy_kwh",
                                      "co2_ppm", "flow_lpm", "m7", "m8", "m9", "m10", "m11", "m12", "m13", "m14", "m15"};
#define N_METRICS (sizeof METRICS / sizeof METRICS[0])

static void line(const char *name, const char *channel, const char *payload) {
    char topic[128];
    if (!tc_topic(topic, sizeof topic, device_id, channel)) {
        fprintf(stderr, "bad device id %s\n", device_id);
        exit(2);
    }
    printf("%s\t%s\t%s\n", name, topic, payload);
}

static void check(tc_err_t e, const char *what) {
    if (e != TC_OK) {
        fprintf(stderr, "%s: %s\n", what, tc_err_str(e));
        exit(1);
    }
}

static void telemetry(const char *name, const tc_sample_t *s, const tc_clock_t *clock) {
    char out[2048];
    check(tc_encode_telemetry(out, sizeof out, NULL, s, METRICS, N_METRICS, clock), name);
    line(name, "telemetry", out);
}

static void emit(void) {
    const tc_clock_t unsynced = {false, 0};
    const tc_clock_t synced = {true, 1763719200000LL};
    tc_sample_t s;

    tc_sample_init(&s, 0);
    tc_sample_add(&s, 0, 4.6);
    tc_sample_add(&s, 1, 0);
    s.seq = 4711;
    telemetry("telemetry.unsynced", &s, &unsynced);
    telemetry("telemetry.synced", &s, &synced);

    const double edges[] = {0.0, -0.0, 5e-324, 1e-300, DBL_MAX, -DBL_MAX, 0.1 + 0.2, 1.0 / 3, -273.15, 1e21, 1e-7, 123456789.123456789, 9007199254740993.0};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        tc_sample_init(&s, 0);
        tc_sample_add(&s, 0, edges[i]);
        s.seq = (uint32_t)i;
        char name[32];
        snprintf(name, sizeof name, "telemetry.edge.%zu", i);
        telemetry(name, &s, &synced);
    }
    tc_sample_init(&s, 0);
    s.seq = UINT32_MAX;
    for (uint8_t i = 0; i < TC_MAX_READINGS; i++) tc_sample_add(&s, i, i * 1.5 - 3);
    telemetry("telemetry.max_readings", &s, &unsynced);

    /* The offline story: 20 readings while the link is down and the clock unsynced, a
       ring of 8, seq crossing 2^32; SNTP syncs, the link comes back, the buffer drains. */
    tc_ring_slot_t slots[8];
    tc_ring_t ring;
    tc_ring_init(&ring, slots, 8, UINT32_MAX - 4);
    for (int i = 0; i < 20; i++) {
        tc_sample_init(&s, 1000LL * i);
        tc_sample_add(&s, 0, 3.5 + i * 0.1);
        tc_sample_add(&s, 1, i % 2);
        tc_ring_push(&ring, &s);
    }
    const tc_clock_t later = {true, 1763719000000LL};
    uint32_t first, last, count;
    if (tc_ring_take_dropped(&ring, &first, &last, &count)) {
        tc_kv_t data[] = {{.key = "first_seq", .type = TC_VAL_NUMBER, .num = first},
                          {.key = "last_seq", .type = TC_VAL_NUMBER, .num = last},
                          {.key = "count", .type = TC_VAL_NUMBER, .num = count}};
        char out[512];
        check(tc_encode_event(out, sizeof out, NULL, tc_clock_epoch_ms(&later, 20000), "buffer.dropped", data, 3), "dropped");
        line("event.buffer_dropped", "event", out);
    }
    const tc_sample_t *next;
    while ((next = tc_ring_next_unsent(&ring)) != NULL) {
        uint32_t seq = next->seq;
        telemetry("telemetry.drain", next, &later);
        tc_ring_mark_sent(&ring, seq, 1, 0);
        tc_ring_ack(&ring, seq);
    }

    char out[1024];
    char sixty_four[65];
    memset(sixty_four, 'v', 64);
    sixty_four[64] = '\0';
    tc_kv_t st[] = {
        {.key = "compressor", .type = TC_VAL_BOOL, .b = true},
        {.key = "valve_1", .type = TC_VAL_BOOL, .b = false},
        {.key = "failsafe", .type = TC_VAL_BOOL, .b = true},
        {.key = "setpoint_c", .type = TC_VAL_NUMBER, .num = -18.5},
        {.key = "interval_s", .type = TC_VAL_NUMBER, .num = 10},
        {.key = "fw", .type = TC_VAL_STRING, .str = "0.1.0"},
        {.key = "note", .type = TC_VAL_STRING, .str = "a \"quoted\" \\ path\n\t\x01 cámara 😀 \xff end"},
        {.key = "long", .type = TC_VAL_STRING, .str = sixty_four},
    };
    check(tc_encode_state(out, sizeof out, NULL, 1763719200000LL, st, 8), "state");
    line("state.full", "state", out);
    check(tc_encode_state(out, sizeof out, NULL, -1, st, 1), "state");
    line("state.unsynced", "state", out);

    check(tc_encode_event(out, sizeof out, NULL, -1, "door.opened", NULL, 0), "event");
    line("event.bare", "event", out);
    tc_kv_t ev[] = {{.key = "door", .type = TC_VAL_STRING, .str = "cámara \"1\""}, {.key = "open", .type = TC_VAL_BOOL, .b = true}};
    check(tc_encode_event(out, sizeof out, NULL, 1763719200000LL, "door.opened", ev, 2), "event");
    line("event.data", "event", out);

    tc_ack_t ok = {.id = "r-cold-high-17", .ok = true};
    check(tc_encode_ack(out, sizeof out, NULL, 1763719200150LL, &ok), "ack");
    line("ack.ok", "ack", out);
    tc_ack_t refused = {.id = "cloud.8d0c4f:x_Y-1", .ok = false, .error = "expired"};
    check(tc_encode_ack(out, sizeof out, NULL, -1, &refused), "ack");
    line("ack.refused", "ack", out);
}

/* A relay node with a compressor and a valve, and one setpoint besides interval_s. */
static void demo_node(tc_failsafe_t *fs, tc_setpoints_t *sp, tc_node_t *node) {
    tc_failsafe_init(fs, 0, 0);
    tc_failsafe_spec_t off = {TC_FS_OFF, 0, 0};
    tc_failsafe_add_relay(fs, "compressor", &off, false);
    tc_failsafe_add_relay(fs, "valve_1", &off, false);
    memset(sp, 0, sizeof *sp);
    sp->item[0] = (tc_setpoint_t){.name = "interval_s", .value = 10, .min = 1, .max = 3600};
    sp->item[1] = (tc_setpoint_t){.name = "setpoint_c", .value = 2, .min = -30, .max = 30};
    sp->n = 2;
    memset(node, 0, sizeof *node);
    node->fs = fs;
    node->setpoints = sp;
}

static void decode(void) {
    static char buf[TC_MAX_PAYLOAD_BYTES * 2];
    while (fgets(buf, sizeof buf, stdin)) {
        size_t len = strcspn(buf, "\n");
        buf[len] = '\0';
        tc_command_t cmd;
        tc_decode_error_t err;
        char out[1024];
        tc_jw_t w;
        tc_jw_init(&w, out, sizeof out);
        tc_jw_object_begin(&w);
        bool ok = tc_decode_command(buf, len, &cmd, &err);
        tc_jw_key(&w, "ok");
        tc_jw_bool(&w, ok);
        if (ok) {
            tc_jw_key(&w, "id");
            tc_jw_string(&w, cmd.id);
            tc_jw_key(&w, "kind");
            tc_jw_string(&w, tc_cmd_kind_str(cmd.kind));
            tc_jw_key(&w, "issuedAt");
            tc_jw_int(&w, cmd.issued_at);
            tc_jw_key(&w, "expiresAt");
            tc_jw_int(&w, cmd.expires_at);
            if (cmd.kind == TC_CMD_RELAY_SET || cmd.kind == TC_CMD_FAILSAFE_SET || cmd.kind == TC_CMD_SETPOINT_SET) {
                tc_jw_key(&w, "name");
                tc_jw_string(&w, cmd.name);
            }
            if (cmd.kind == TC_CMD_RELAY_SET) {
                tc_jw_key(&w, "on");
                tc_jw_bool(&w, cmd.on);
            } else if (cmd.kind == TC_CMD_SETPOINT_SET) {
                tc_jw_key(&w, "value");
                tc_jw_number(&w, cmd.value);
            } else if (cmd.kind == TC_CMD_FAILSAFE_SET) {
                tc_jw_key(&w, "mode");
                tc_jw_string(&w, tc_failsafe_mode_str(cmd.mode));
                tc_jw_key(&w, "onSeconds");
                tc_jw_int(&w, cmd.on_seconds);
                tc_jw_key(&w, "offSeconds");
                tc_jw_int(&w, cmd.off_seconds);
            }
        } else {
            tc_jw_key(&w, "hasId");
            tc_jw_bool(&w, err.has_id);
            tc_jw_key(&w, "reason");
            tc_jw_string(&w, err.reason);
        }
        tc_jw_object_end(&w);
        if (!tc_jw_finish(&w)) {
            fprintf(stderr, "decode summary overflow\n");
            exit(1);
        }
        /* The node's answer, judged on a fresh node whose gateway clock starts at issuedAt. */
        tc_failsafe_t fs;
        tc_setpoints_t sp;
        tc_node_t node;
        demo_node(&fs, &sp, &node);
        tc_ack_t ack;
        uint32_t changed;
        char ack_json[512] = "";
        if (tc_node_handle(&node, buf, len, 0, &ack, &changed))
            check(tc_encode_ack(ack_json, sizeof ack_json, NULL, -1, &ack), "ack");
        printf("%s\t%s\n", out, ack_json);
    }
}

static int config(void) {
    static char text[TC_CONFIG_MAX_BYTES + 2];
    size_t len = fread(text, 1, sizeof text, stdin);
    tc_config_t cfg;
    tc_cfg_error_t err;
    if (tc_config_parse(text, len, &cfg, &err) != TC_CFG_OK) {
        char msg[200];
        tc_cfg_error_format(&err, msg, sizeof msg);
        printf("error: %s\n", msg);
        return 1;
    }
    printf("ok %s relays=%zu sensors=%zu setpoints=%zu\n", cfg.device_id, cfg.n_relays, cfg.n_sensors, cfg.setpoints.n);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "config")) return config();
    if (argc >= 2 && !strcmp(argv[1], "emit")) {
        if (argc >= 3) device_id = argv[2];
        emit();
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "decode")) {
        decode();
        return 0;
    }
    fprintf(stderr, "usage: tc_wire emit [deviceId] | tc_wire decode < commands.jsonl | tc_wire config < tconfig\n");
    return 2;
}
