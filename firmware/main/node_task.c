/*
 * The node: sampling, the offline buffer, commands, fail-safe and reconnect pacing, all in
 * one task around the tendero_core objects. Other tasks only post events (node_task.h).
 */
#include "node_task.h"

#include <stdlib.h>
#include <string.h>

#include "esp_app_desc.h"
#include "esp_log.h"
#include "esp_random.h"
#include "esp_task_wdt.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "mqtt_link.h"
#include "relays.h"
#include "sensors.h"
#include "storage.h"
#include "tc_backoff.h"
#include "tc_debounce.h"
#include "tc_node.h"
#include "tc_ring.h"
#include "wifi_link.h"

static const char *TAG = "node";

#define INFLIGHT CONFIG_TENDERO_MQTT_INFLIGHT
/* A published reading with no PUBACK after this long is sent again. */
#define PUBACK_TIMEOUT_MS 30000
/* Contacts with an event are polled this often, and a level must hold this long to count. */
#define CONTACT_POLL_MS 20
#define CONTACT_SETTLE_MS 50

static QueueHandle_t queue;
static const tc_config_t *cfg;

static tc_failsafe_t fs;
static tc_setpoints_t setpoints;
static tc_node_t node;
static tc_ring_slot_t slots[CONFIG_TENDERO_RING_CAPACITY];
static tc_ring_t ring;
static tc_seq_store_t seq_store;
static tc_backoff_t wifi_backoff, mqtt_backoff;
static tc_clock_t clock_state;
static const char *metric_names[TC_MAX_SENSORS];

static bool wifi_up, mqtt_up;
static int64_t next_sample_ms, wifi_retry_ms = -1, mqtt_retry_ms = -1;
static bool state_dirty;
static tc_debounce_t contacts[TC_MAX_SENSORS];
static bool any_contact_event;

/* What the relays were when fail-safe began, reported once the gateway is back. */
static struct {
    bool pending;
    int64_t at_ms;
    bool on[TC_MAX_RELAYS];
} failsafe_report;

/* Last persisted values, so only real changes are written to flash. */
static tc_failsafe_spec_t saved_specs[TC_MAX_RELAYS];
static double saved_setpoints[TC_MAX_SETPOINTS];

static int64_t mono_ms(void) { return esp_timer_get_time() / 1000; }
static uint32_t hw_random(void *ctx) { (void)ctx; return esp_random(); }

void node_post(const node_event_t *ev) {
    if (!queue || xQueueSend(queue, ev, 0) != pdTRUE) {
        ESP_LOGE(TAG, "event queue full, event %d dropped", ev->type);
        free(ev->data);
    }
}

static void drive_relays(uint32_t mask) {
    for (size_t i = 0; i < fs.n; i++)
        if (mask & (1u << i)) relays_set(i, fs.relay[i].on);
}

static void publish_state_of(const bool *on, bool failsafe, int64_t at_ms) {
    tc_kv_t items[TC_MAX_RELAYS + TC_MAX_SETPOINTS + 2];
    size_t n = 0;
    for (size_t i = 0; i < fs.n; i++) items[n++] = (tc_kv_t){.key = fs.relay[i].name, .type = TC_VAL_BOOL, .b = on[i]};
    for (size_t i = 0; i < setpoints.n; i++)
        items[n++] = (tc_kv_t){.key = setpoints.item[i].name, .type = TC_VAL_NUMBER, .num = setpoints.item[i].value};
    items[n++] = (tc_kv_t){.key = "failsafe", .type = TC_VAL_BOOL, .b = failsafe};
    items[n++] = (tc_kv_t){.key = "fw", .type = TC_VAL_STRING, .str = esp_app_get_description()->version};
    char out[1024];
    size_t len;
    tc_err_t err = tc_encode_state(out, sizeof out, &len, tc_clock_epoch_ms(&clock_state, at_ms), items, n);
    if (err != TC_OK) {
        ESP_LOGE(TAG, "state not sent: %s", tc_err_str(err));
        return;
    }
    mqtt_link_publish("state", out, len);
}

static void publish_state(void) {
    bool on[TC_MAX_RELAYS];
    for (size_t i = 0; i < fs.n; i++) on[i] = fs.relay[i].on;
    publish_state_of(on, tc_failsafe_active(&fs), mono_ms());
    state_dirty = false;
}

static void link_lost(int64_t now) {
    if (!mqtt_up) return;
    mqtt_up = false;
    tc_failsafe_link_down(&fs, now);
    /*
     * Readings in flight stay so: esp-mqtt keeps them in its outbox and sends them again
     * after the reconnect, and their PUBACK still releases them here. Whatever it gave
     * up on is sent again by the PUBACK timeout in drain(): at least once, told apart by seq.
     */
    ESP_LOGW(TAG, "lost the gateway; %u readings buffered", (unsigned)tc_ring_count(&ring));
}

static void schedule_mqtt(int64_t now) {
    if (wifi_up && mqtt_retry_ms < 0) mqtt_retry_ms = now + tc_backoff_next(&mqtt_backoff);
}

static void persist_changes(void) {
    for (size_t i = 0; i < fs.n; i++) {
        if (memcmp(&saved_specs[i], &fs.relay[i].spec, sizeof saved_specs[i]) != 0) {
            saved_specs[i] = fs.relay[i].spec;
            storage_set_failsafe(fs.relay[i].name, &saved_specs[i]);
        }
    }
    for (size_t i = 0; i < setpoints.n; i++) {
        if (saved_setpoints[i] != setpoints.item[i].value) {
            saved_setpoints[i] = setpoints.item[i].value;
            storage_set_setpoint(setpoints.item[i].name, saved_setpoints[i]);
        }
    }
}

static void handle_command(const char *payload, size_t len, int64_t now) {
    tc_ack_t ack;
    uint32_t changed;
    if (!tc_node_handle(&node, payload, len, now, &ack, &changed)) {
        ESP_LOGW(TAG, "ignored a command without a usable id");
        return;
    }
    if (!ack.ok) ESP_LOGW(TAG, "command %s refused: %s", ack.id, ack.error);
    if (changed & TC_CHANGED_RELAY) {
        drive_relays(UINT32_MAX);
        state_dirty = true;
    }
    if (changed & (TC_CHANGED_FAILSAFE | TC_CHANGED_SETPOINT)) persist_changes();
    if (changed & TC_CHANGED_SETPOINT) state_dirty = true;
    char out[512];
    size_t out_len;
    if (tc_encode_ack(out, sizeof out, &out_len, tc_clock_epoch_ms(&clock_state, now), &ack) == TC_OK)
        mqtt_link_publish("ack", out, out_len);
}

static void handle(const node_event_t *ev, int64_t now) {
    switch (ev->type) {
    case NODE_EV_WIFI_UP:
        wifi_up = true;
        tc_backoff_reset(&wifi_backoff);
        wifi_retry_ms = -1;
        mqtt_retry_ms = now;
        break;
    case NODE_EV_WIFI_DOWN:
        wifi_up = false;
        link_lost(now);
        mqtt_retry_ms = -1;
        if (wifi_retry_ms < 0) wifi_retry_ms = now + tc_backoff_next(&wifi_backoff);
        break;
    case NODE_EV_MQTT_UP:
        mqtt_up = true;
        tc_backoff_reset(&mqtt_backoff);
        mqtt_retry_ms = -1;
        if (tc_failsafe_active(&fs)) ESP_LOGW(TAG, "gateway back: fail-safe ended, relays held");
        tc_failsafe_link_up(&fs, now);
        /* What happened while away first, then how things are now (as the simulated node reports). */
        if (failsafe_report.pending) {
            publish_state_of(failsafe_report.on, true, failsafe_report.at_ms);
            failsafe_report.pending = false;
        }
        state_dirty = true;
        break;
    case NODE_EV_MQTT_DOWN:
        link_lost(now);
        schedule_mqtt(now);
        break;
    case NODE_EV_MQTT_REFUSED: schedule_mqtt(now); break;
    case NODE_EV_PUBACK: tc_ring_puback(&ring, ev->arg); break;
    case NODE_EV_COMMAND:
        handle_command(ev->data, ev->len, now);
        free(ev->data);
        break;
    case NODE_EV_CLOCK:
        if (!clock_state.synced) ESP_LOGI(TAG, "clock synced: buffered readings get their true time");
        clock_state.synced = true;
        clock_state.wall_minus_mono_ms = ev->arg64;
        break;
    }
}

/* A contact that went 0 -> 1 publishes its event (door.opened), as the rule packs count them. */
static void poll_contacts(int64_t now) {
    for (size_t i = 0; i < cfg->n_sensors; i++) {
        const tc_sensor_cfg_t *sc = &cfg->sensor[i];
        if (sc->type != TC_SENSOR_CONTACT || !sc->event[0]) continue;
        if (!tc_debounce_update(&contacts[i], sensors_read(i) != 0, now) || !contacts[i].stable) continue;
        if (!mqtt_up) {
            /* Events are not buffered; the reading still shows the contact in the next telemetry. */
            ESP_LOGW(TAG, "%s while offline: not sent", sc->event);
            continue;
        }
        tc_kv_t data = {.key = "sensor", .type = TC_VAL_STRING, .str = sc->metric};
        char out[256];
        size_t len;
        if (tc_encode_event(out, sizeof out, &len, tc_clock_epoch_ms(&clock_state, now), sc->event, &data, 1) == TC_OK)
            mqtt_link_publish("event", out, len);
    }
}

static void take_sample(int64_t now) {
    tc_sample_t s;
    tc_sample_init(&s, now);
    for (size_t i = 0; i < cfg->n_sensors; i++) {
        tc_err_t err = tc_sample_add(&s, (uint8_t)i, sensors_read(i));
        if (err != TC_OK) ESP_LOGW(TAG, "%s left out: %s", metric_names[i], tc_err_str(err));
    }
    if (s.count == 0) return;
    uint32_t to_store;
    if (tc_seq_needs_reserve(&seq_store, ring.next_seq, &to_store) && storage_set_seq(to_store) != ESP_OK)
        ESP_LOGE(TAG, "could not store the seq reservation: a reboot may repeat seq numbers");
    tc_ring_push(&ring, &s);
}

static void drain(int64_t now) {
    uint32_t first, last, count;
    if (tc_ring_take_dropped(&ring, &first, &last, &count)) {
        tc_kv_t data[] = {{.key = "first_seq", .type = TC_VAL_NUMBER, .num = first},
                          {.key = "last_seq", .type = TC_VAL_NUMBER, .num = last},
                          {.key = "count", .type = TC_VAL_NUMBER, .num = count}};
        char out[256];
        size_t len;
        if (tc_encode_event(out, sizeof out, &len, tc_clock_epoch_ms(&clock_state, now), "buffer.dropped", data, 3) == TC_OK)
            mqtt_link_publish("event", out, len);
        ESP_LOGW(TAG, "offline buffer overflowed: seq %lu..%lu (%lu readings) lost", (unsigned long)first,
                 (unsigned long)last, (unsigned long)count);
    }
    tc_ring_resend_stale(&ring, now, PUBACK_TIMEOUT_MS);
    const tc_sample_t *s;
    while (tc_ring_in_flight(&ring) < INFLIGHT && (s = tc_ring_next_unsent(&ring)) != NULL) {
        uint32_t seq = s->seq;
        char out[512];
        size_t len;
        tc_err_t err = tc_encode_telemetry(out, sizeof out, &len, s, metric_names, cfg->n_sensors, &clock_state);
        if (err != TC_OK) {
            /* Cannot happen with validated metric names; never let one reading block the rest. */
            ESP_LOGE(TAG, "reading %lu dropped: %s", (unsigned long)seq, tc_err_str(err));
            tc_ring_mark_sent(&ring, seq, -1, now);
            tc_ring_ack(&ring, seq);
            continue;
        }
        int msg_id = mqtt_link_publish("telemetry", out, len);
        if (msg_id < 0) break; /* outbox full: try again on the next pass */
        tc_ring_mark_sent(&ring, seq, msg_id, now);
    }
}

static int64_t until(int64_t deadline, int64_t now, int64_t best) {
    if (deadline < 0) return best;
    int64_t d = deadline - now;
    if (d < 0) d = 0;
    return best < 0 || d < best ? d : best;
}

static void run(void *arg) {
    (void)arg;
    esp_task_wdt_add(NULL);
    for (;;) {
        int64_t now = mono_ms();
        int64_t wait = until(next_sample_ms, now, -1);
        wait = until(wifi_retry_ms, now, wait);
        wait = until(mqtt_retry_ms, now, wait);
        int64_t fs_in = tc_failsafe_next_in(&fs, now);
        if (fs_in >= 0 && fs_in < wait) wait = fs_in;
        if (wait > 1000) wait = 1000; /* feeds the watchdog at least once a second */
        if (any_contact_event && wait > CONTACT_POLL_MS) wait = CONTACT_POLL_MS;
        node_event_t ev;
        if (xQueueReceive(queue, &ev, pdMS_TO_TICKS(wait)) == pdTRUE) handle(&ev, mono_ms());
        now = mono_ms();

        if (any_contact_event) poll_contacts(now);
        if (now >= next_sample_ms) {
            take_sample(now);
            int64_t period = (int64_t)(setpoints.item[0].value * 1000); /* interval_s, changeable by setpoint.set */
            next_sample_ms += period;
            if (next_sample_ms <= now) next_sample_ms = now + period;
        }
        if (wifi_retry_ms >= 0 && now >= wifi_retry_ms) {
            wifi_retry_ms = -1;
            wifi_link_reconnect();
        }
        if (mqtt_retry_ms >= 0 && now >= mqtt_retry_ms) {
            mqtt_retry_ms = -1;
            if (wifi_up) mqtt_link_connect();
        }
        bool was_failsafe = tc_failsafe_active(&fs);
        uint32_t changed = tc_failsafe_tick(&fs, now);
        drive_relays(changed);
        if (!was_failsafe && tc_failsafe_active(&fs)) {
            ESP_LOGW(TAG, "no gateway: relays on their fail-safe states");
            failsafe_report.pending = true;
            failsafe_report.at_ms = now;
            for (size_t i = 0; i < fs.n; i++) failsafe_report.on[i] = fs.relay[i].on;
        }
        if (mqtt_up) {
            if (state_dirty) publish_state();
            drain(now);
        }
        esp_task_wdt_reset();
    }
}

void node_task_start(const tc_config_t *config) {
    cfg = config;
    int64_t now = mono_ms();
    queue = xQueueCreate(64, sizeof(node_event_t));

    tc_failsafe_init(&fs, cfg->failsafe_grace_s * 1000u, now);
    for (size_t i = 0; i < cfg->n_relays; i++) {
        /* The gateway's last word wins over the config's default, until it speaks again. */
        tc_failsafe_spec_t spec = cfg->relay[i].failsafe;
        storage_get_failsafe(cfg->relay[i].name, &spec);
        tc_failsafe_add_relay(&fs, cfg->relay[i].name, &spec, false);
        saved_specs[i] = spec;
    }
    setpoints = cfg->setpoints;
    for (size_t i = 0; i < setpoints.n; i++) {
        double v;
        tc_setpoint_t *sp = &setpoints.item[i];
        if (storage_get_setpoint(sp->name, &v) && v >= sp->min && v <= sp->max) sp->value = v;
        saved_setpoints[i] = sp->value;
    }
    node = (tc_node_t){.fs = &fs, .setpoints = &setpoints};
    for (size_t i = 0; i < cfg->n_sensors; i++) {
        metric_names[i] = cfg->sensor[i].metric;
        if (cfg->sensor[i].type == TC_SENSOR_CONTACT && cfg->sensor[i].event[0]) {
            tc_debounce_init(&contacts[i], sensors_read(i) != 0, now, CONTACT_SETTLE_MS);
            any_contact_event = true;
        }
    }

    uint32_t stored, to_store;
    bool have = storage_get_seq(&stored);
    uint32_t first = tc_seq_boot(&seq_store, have, stored, CONFIG_TENDERO_SEQ_BLOCK, &to_store);
    if (storage_set_seq(to_store) != ESP_OK) ESP_LOGE(TAG, "could not store the seq reservation");
    tc_ring_init(&ring, slots, CONFIG_TENDERO_RING_CAPACITY, first);
    ESP_LOGI(TAG, "telemetry seq starts at %lu", (unsigned long)first);

    tc_backoff_init(&wifi_backoff, CONFIG_TENDERO_BACKOFF_BASE_MS, CONFIG_TENDERO_BACKOFF_CAP_MS, hw_random, NULL);
    tc_backoff_init(&mqtt_backoff, CONFIG_TENDERO_BACKOFF_BASE_MS, CONFIG_TENDERO_BACKOFF_CAP_MS, hw_random, NULL);
    next_sample_ms = now;
    xTaskCreate(run, "tendero_node", 8192, NULL, 5, NULL);
}
