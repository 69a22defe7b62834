/* Command decoding: the protocol's Command union (protocol/src/commands.ts), checked field by field. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tc_json.h"
#include "tc_payload.h"

#define MAX_FIELDS 16
#define ARENA_BYTES 1024

const char *tc_cmd_kind_str(tc_cmd_kind_t k) {
    switch (k) {
    case TC_CMD_RELAY_SET: return "relay.set";
    case TC_CMD_SETPOINT_SET: return "setpoint.set";
    case TC_CMD_FAILSAFE_SET: return "failsafe.set";
    case TC_CMD_ACCESS_RESULT: return "access.result";
    case TC_CMD_CHARGE_RESULT: return "charge.result";
    }
    return "?";
}

static bool fail(tc_decode_error_t *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return false;
}

static const char *type_name(tc_jv_type_t t) {
    return t == TC_JV_STRING ? "string" : t == TC_JV_NUMBER ? "number" : t == TC_JV_BOOL ? "boolean" : "null";
}

static bool want(const tc_jfield_t *f, tc_jv_type_t type, tc_decode_error_t *err) {
    if (f->type == type) return true;
    return fail(err, "/%s: must be %s, got %s", f->key, type_name(type), type_name(f->type));
}

/* JSON Schema's integer: any number with no fraction, so 1e3 counts, as it does for TypeBox. */
static bool integer_in(const tc_jfield_t *f, double min, double max, int64_t *out, tc_decode_error_t *err) {
    if (!want(f, TC_JV_NUMBER, err)) return false;
    if (f->num != floor(f->num) || f->num < min || f->num > max)
        return fail(err, "/%s: must be an integer in %.0f..%.0f", f->key, min, max);
    *out = (int64_t)f->num;
    return true;
}

static const tc_jfield_t *required(const tc_jfield_t *fields, size_t n, const char *key, tc_decode_error_t *err) {
    const tc_jfield_t *f = tc_jr_find(fields, n, key);
    if (!f) fail(err, "/%s: required", key);
    return f;
}

/* Field names each kind may carry beyond the common ones (additionalProperties: false). */
static const char *const *allowed_fields(tc_cmd_kind_t kind) {
    static const char *const relay[] = {"relay", "on", NULL};
    static const char *const setpoint[] = {"name", "value", NULL};
    static const char *const failsafe[] = {"relay", "mode", "onSeconds", "offSeconds", NULL};
    static const char *const access[] = {"cardId", "doorId", "allow", "reason", "seconds", NULL};
    static const char *const charge[] = {"txId", "cardId", "approved", "reason", "balanceMinor", "currency", NULL};
    switch (kind) {
    case TC_CMD_RELAY_SET: return relay;
    case TC_CMD_SETPOINT_SET: return setpoint;
    case TC_CMD_FAILSAFE_SET: return failsafe;
    case TC_CMD_ACCESS_RESULT: return access;
    case TC_CMD_CHARGE_RESULT: return charge;
    }
    return relay;
}

static bool known_field(tc_cmd_kind_t kind, const char *key) {
    if (!strcmp(key, "id") || !strcmp(key, "issuedAt") || !strcmp(key, "expiresAt") || !strcmp(key, "kind")) return true;
    for (const char *const *k = allowed_fields(kind); *k; k++)
        if (!strcmp(*k, key)) return true;
    return false;
}

static bool key_field(const tc_jfield_t *fields, size_t n, const char *key, char out[TC_KEY_MAX + 1],
                      tc_decode_error_t *err) {
    const tc_jfield_t *f = required(fields, n, key, err);
    if (!f || !want(f, TC_JV_STRING, err)) return false;
    if (!tc_valid_key(f->str)) return fail(err, "/%s: must match ^[a-z][a-z0-9_]{0,47}$", key);
    strcpy(out, f->str);
    return true;
}

static bool optional_seconds(const tc_jfield_t *fields, size_t n, const char *key, uint32_t *out, tc_decode_error_t *err) {
    const tc_jfield_t *f = tc_jr_find(fields, n, key);
    *out = 0;
    if (!f) return true;
    int64_t v;
    if (!integer_in(f, 1, TC_FAILSAFE_MAX_SECONDS, &v, err)) return false;
    *out = (uint32_t)v;
    return true;
}

bool tc_decode_command(const char *json, size_t len, tc_command_t *out, tc_decode_error_t *err) {
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    if (len > TC_MAX_PAYLOAD_BYTES) return fail(err, "payload too large: %zu bytes", len);
    tc_jfield_t fields[MAX_FIELDS];
    char arena[ARENA_BYTES];
    size_t n;
    tc_jr_status_t st = tc_jr_parse_flat(json, len, fields, MAX_FIELDS, &n, arena, sizeof arena);
    if (st != TC_JR_OK) return fail(err, "%s", tc_jr_status_str(st));

    /* The id first: with a valid one, every later refusal can still be acked. */
    const tc_jfield_t *f = required(fields, n, "id", err);
    if (!f || !want(f, TC_JV_STRING, err)) return false;
    if (!tc_valid_command_id(f->str)) return fail(err, "/id: must be 1..64 of [A-Za-z0-9_.:-]");
    strcpy(out->id, f->str);
    strcpy(err->id, f->str);
    err->has_id = true;

    f = required(fields, n, "kind", err);
    if (!f || !want(f, TC_JV_STRING, err)) return false;
    static const tc_cmd_kind_t kinds[] = {TC_CMD_RELAY_SET, TC_CMD_SETPOINT_SET, TC_CMD_FAILSAFE_SET, TC_CMD_ACCESS_RESULT,
                                          TC_CMD_CHARGE_RESULT};
    bool found = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!strcmp(f->str, tc_cmd_kind_str(kinds[i]))) {
            out->kind = kinds[i];
            found = true;
        }
    }
    if (!found) return fail(err, "/kind: unknown command kind");

    for (size_t i = 0; i < n; i++)
        if (!known_field(out->kind, fields[i].key)) return fail(err, "/%s: unknown field", fields[i].key);

    const double max_ms = (double)TC_EPOCH_MS_MAX;
    if (!(f = required(fields, n, "issuedAt", err)) || !integer_in(f, 0, max_ms, &out->issued_at, err)) return false;
    if (!(f = required(fields, n, "expiresAt", err)) || !integer_in(f, 0, max_ms, &out->expires_at, err)) return false;

    switch (out->kind) {
    case TC_CMD_RELAY_SET:
        if (!key_field(fields, n, "relay", out->name, err)) return false;
        if (!(f = required(fields, n, "on", err)) || !want(f, TC_JV_BOOL, err)) return false;
        out->on = f->boolean;
        return true;
    case TC_CMD_SETPOINT_SET:
        if (!key_field(fields, n, "name", out->name, err)) return false;
        if (!(f = required(fields, n, "value", err)) || !want(f, TC_JV_NUMBER, err)) return false;
        out->value = f->num;
        return true;
    case TC_CMD_FAILSAFE_SET:
        if (!key_field(fields, n, "relay", out->name, err)) return false;
        if (!(f = required(fields, n, "mode", err)) || !want(f, TC_JV_STRING, err)) return false;
        if (!strcmp(f->str, "off")) out->mode = TC_FS_OFF;
        else if (!strcmp(f->str, "on")) out->mode = TC_FS_ON;
        else if (!strcmp(f->str, "duty")) out->mode = TC_FS_DUTY;
        else return fail(err, "/mode: must be off, on or duty");
        /* A duty cycle without both durations is valid protocol but not a usable spec: the node refuses it on apply. */
        return optional_seconds(fields, n, "onSeconds", &out->on_seconds, err) &&
               optional_seconds(fields, n, "offSeconds", &out->off_seconds, err);
    case TC_CMD_ACCESS_RESULT:
    case TC_CMD_CHARGE_RESULT:
        /* Only decoded far enough to answer: this node has no reader or terminal. */
        return true;
    }
    return fail(err, "/kind: unknown command kind");
}
