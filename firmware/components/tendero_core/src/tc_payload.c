#include "tc_payload.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tc_json.h"

const char *tc_err_str(tc_err_t e) {
    switch (e) {
    case TC_OK: return "ok";
    case TC_ERR_NOSPACE: return "output buffer too small";
    case TC_ERR_NON_FINITE: return "NaN or Infinity";
    case TC_ERR_EMPTY: return "nothing to send";
    case TC_ERR_BAD_NAME: return "name outside the protocol's pattern";
    case TC_ERR_TOO_MANY: return "too many entries";
    case TC_ERR_DUPLICATE: return "duplicate entry";
    case TC_ERR_TOO_LONG: return "string too long";
    case TC_ERR_RANGE: return "value out of range";
    }
    return "unknown";
}

static bool lower(char c) { return c >= 'a' && c <= 'z'; }
static bool digit(char c) { return c >= '0' && c <= '9'; }

bool tc_valid_device_id(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > TC_DEVICE_ID_MAX || !(lower(s[0]) || digit(s[0]))) return false;
    for (size_t i = 1; i < n; i++)
        if (!(lower(s[i]) || digit(s[i]) || s[i] == '_' || s[i] == '-')) return false;
    return true;
}

bool tc_valid_key(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > TC_KEY_MAX || !lower(s[0])) return false;
    for (size_t i = 1; i < n; i++)
        if (!(lower(s[i]) || digit(s[i]) || s[i] == '_')) return false;
    return true;
}

bool tc_valid_event_kind(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 64 || !lower(s[0])) return false;
    for (size_t i = 1; i < n; i++)
        if (!(lower(s[i]) || digit(s[i]) || s[i] == '_' || s[i] == '.')) return false;
    return true;
}

bool tc_valid_command_id(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > TC_COMMAND_ID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(lower(c) || digit(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == ':' || c == '-')) return false;
    }
    return true;
}

bool tc_topic(char *out, size_t cap, const char *device_id, const char *channel) {
    if (!tc_valid_device_id(device_id)) return false;
    int n = snprintf(out, cap, "%s/%s/%s", TC_TOPIC_ROOT, device_id, channel);
    return n > 0 && (size_t)n < cap;
}

int64_t tc_clock_epoch_ms(const tc_clock_t *c, int64_t mono_ms) {
    if (!c || !c->synced) return -1;
    int64_t t = mono_ms + c->wall_minus_mono_ms;
    return t >= 0 && t <= TC_EPOCH_MS_MAX ? t : -1;
}

void tc_sample_init(tc_sample_t *s, int64_t mono_ms) {
    memset(s, 0, sizeof *s);
    s->mono_ms = mono_ms;
}

tc_err_t tc_sample_add(tc_sample_t *s, uint8_t metric, double value) {
    if (!isfinite(value)) return TC_ERR_NON_FINITE;
    for (uint8_t i = 0; i < s->count; i++)
        if (s->metric[i] == metric) return TC_ERR_DUPLICATE;
    if (s->count >= TC_MAX_READINGS) return TC_ERR_TOO_MANY;
    s->metric[s->count] = metric;
    s->value[s->count] = value;
    s->count++;
    return TC_OK;
}

static tc_err_t finish(tc_jw_t *w, size_t *len) {
    if (w->non_finite) return TC_ERR_NON_FINITE;
    if (!tc_jw_finish(w)) return TC_ERR_NOSPACE;
    if (w->len > TC_MAX_PAYLOAD_BYTES) return TC_ERR_NOSPACE;
    if (len) *len = w->len;
    return TC_OK;
}

tc_err_t tc_encode_telemetry(char *out, size_t cap, size_t *len, const tc_sample_t *s, const char *const *metric_names,
                             size_t n_metrics, const tc_clock_t *clock) {
    if (s->count == 0) return TC_ERR_EMPTY;
    for (uint8_t i = 0; i < s->count; i++) {
        if (s->metric[i] >= n_metrics || !tc_valid_key(metric_names[s->metric[i]])) return TC_ERR_BAD_NAME;
        if (!isfinite(s->value[i])) return TC_ERR_NON_FINITE;
        for (uint8_t j = 0; j < i; j++)
            if (s->metric[j] == s->metric[i]) return TC_ERR_DUPLICATE;
    }
    tc_jw_t w;
    tc_jw_init(&w, out, cap);
    tc_jw_object_begin(&w);
    int64_t ts = tc_clock_epoch_ms(clock, s->mono_ms);
    if (ts >= 0) {
        tc_jw_key(&w, "ts");
        tc_jw_int(&w, ts);
    }
    tc_jw_key(&w, "seq");
    tc_jw_int(&w, s->seq);
    tc_jw_key(&w, "readings");
    tc_jw_object_begin(&w);
    for (uint8_t i = 0; i < s->count; i++) {
        tc_jw_key(&w, metric_names[s->metric[i]]);
        tc_jw_number(&w, s->value[i]);
    }
    tc_jw_object_end(&w);
    tc_jw_object_end(&w);
    return finish(&w, len);
}

static tc_err_t check_kv(const tc_kv_t *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!items[i].key || !tc_valid_key(items[i].key)) return TC_ERR_BAD_NAME;
        for (size_t j = 0; j < i; j++)
            if (strcmp(items[i].key, items[j].key) == 0) return TC_ERR_DUPLICATE;
        if (items[i].type == TC_VAL_NUMBER && !isfinite(items[i].num)) return TC_ERR_NON_FINITE;
        /* maxLength counts UTF-16 units; bytes of UTF-8 are never fewer, so a byte limit is safe. */
        if (items[i].type == TC_VAL_STRING && (!items[i].str || strlen(items[i].str) > TC_STATE_STRING_MAX))
            return TC_ERR_TOO_LONG;
    }
    return TC_OK;
}

static void write_kv(tc_jw_t *w, const tc_kv_t *items, size_t n) {
    tc_jw_object_begin(w);
    for (size_t i = 0; i < n; i++) {
        tc_jw_key(w, items[i].key);
        switch (items[i].type) {
        case TC_VAL_BOOL: tc_jw_bool(w, items[i].b); break;
        case TC_VAL_NUMBER: tc_jw_number(w, items[i].num); break;
        case TC_VAL_STRING: tc_jw_string(w, items[i].str); break;
        }
    }
    tc_jw_object_end(w);
}

static void write_ts(tc_jw_t *w, int64_t ts_ms) {
    if (ts_ms < 0) return;
    tc_jw_key(w, "ts");
    tc_jw_int(w, ts_ms);
}

tc_err_t tc_encode_state(char *out, size_t cap, size_t *len, int64_t ts_ms, const tc_kv_t *items, size_t n) {
    if (n == 0) return TC_ERR_EMPTY;
    if (n > 64) return TC_ERR_TOO_MANY;
    if (ts_ms > TC_EPOCH_MS_MAX) return TC_ERR_RANGE;
    tc_err_t e = check_kv(items, n);
    if (e != TC_OK) return e;
    tc_jw_t w;
    tc_jw_init(&w, out, cap);
    tc_jw_object_begin(&w);
    write_ts(&w, ts_ms);
    tc_jw_key(&w, "state");
    write_kv(&w, items, n);
    tc_jw_object_end(&w);
    return finish(&w, len);
}

tc_err_t tc_encode_event(char *out, size_t cap, size_t *len, int64_t ts_ms, const char *kind, const tc_kv_t *data,
                         size_t n) {
    if (!kind || !tc_valid_event_kind(kind)) return TC_ERR_BAD_NAME;
    if (n > 32) return TC_ERR_TOO_MANY;
    if (ts_ms > TC_EPOCH_MS_MAX) return TC_ERR_RANGE;
    tc_err_t e = check_kv(data, n);
    if (e != TC_OK) return e;
    tc_jw_t w;
    tc_jw_init(&w, out, cap);
    tc_jw_object_begin(&w);
    write_ts(&w, ts_ms);
    tc_jw_key(&w, "kind");
    tc_jw_string(&w, kind);
    if (n > 0) {
        tc_jw_key(&w, "data");
        write_kv(&w, data, n);
    }
    tc_jw_object_end(&w);
    return finish(&w, len);
}

tc_err_t tc_encode_ack(char *out, size_t cap, size_t *len, int64_t ts_ms, const tc_ack_t *ack) {
    if (!tc_valid_command_id(ack->id)) return TC_ERR_BAD_NAME;
    if (ts_ms > TC_EPOCH_MS_MAX) return TC_ERR_RANGE;
    if (strlen(ack->error) > TC_ACK_ERROR_MAX) return TC_ERR_TOO_LONG;
    tc_jw_t w;
    tc_jw_init(&w, out, cap);
    tc_jw_object_begin(&w);
    tc_jw_key(&w, "id");
    tc_jw_string(&w, ack->id);
    write_ts(&w, ts_ms);
    tc_jw_key(&w, "ok");
    tc_jw_bool(&w, ack->ok);
    if (ack->error[0]) {
        tc_jw_key(&w, "error");
        tc_jw_string(&w, ack->error);
    }
    tc_jw_object_end(&w);
    return finish(&w, len);
}
