#include "tc_config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tc_cfg_status_str(tc_cfg_status_t s) {
    switch (s) {
    case TC_CFG_OK: return "ok";
    case TC_CFG_ERR_EMPTY: return "config partition is empty";
    case TC_CFG_ERR_TOO_LARGE: return "config too large";
    case TC_CFG_ERR_SYNTAX: return "expected key=value";
    case TC_CFG_ERR_UNKNOWN_KEY: return "unknown key";
    case TC_CFG_ERR_DUPLICATE: return "given twice";
    case TC_CFG_ERR_MISSING: return "required";
    case TC_CFG_ERR_BAD_VALUE: return "bad value";
    case TC_CFG_ERR_TOO_MANY: return "too many";
    case TC_CFG_ERR_BAD_GPIO: return "bad GPIO";
    }
    return "unknown";
}

void tc_cfg_error_format(const tc_cfg_error_t *err, char *out, size_t cap) {
    if (err->line)
        snprintf(out, cap, "line %u (%s): %s%s%s", err->line, err->key, tc_cfg_status_str(err->status),
                 err->detail[0] ? ": " : "", err->detail);
    else
        snprintf(out, cap, "%s%s%s%s%s", err->key, err->key[0] ? ": " : "", tc_cfg_status_str(err->status),
                 err->detail[0] ? ": " : "", err->detail);
}

static tc_cfg_status_t set_err(tc_cfg_error_t *err, tc_cfg_status_t st, unsigned line, const char *key, const char *fmt,
                               ...) {
    err->status = st;
    err->line = line;
    snprintf(err->key, sizeof err->key, "%s", key);
    err->detail[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->detail, sizeof err->detail, fmt, ap);
        va_end(ap);
    }
    return st;
}

static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out) {
    if (!*s || !isdigit((unsigned char)*s)) return false;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v < min || v > max) return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_double(const char *s, double *out) {
    if (!*s) return false;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* Which ESP32 (classic) pins exist and what they can do; 6..11 are the SPI flash. */
static bool gpio_exists(int g) {
    return g >= 0 && g <= 39 && !(g >= 6 && g <= 11) && g != 20 && g != 24 && !(g >= 28 && g <= 31);
}
static bool gpio_can_output(int g) { return gpio_exists(g) && g < 34; }
/* ADC2 cannot be read while Wi-Fi runs, so only ADC1 (GPIO 32..39) is accepted. */
static bool gpio_is_adc1(int g) { return g >= 32 && g <= 39 && gpio_exists(g); }

typedef struct {
    tc_config_t *cfg;
    tc_cfg_error_t *err;
    unsigned line;
    const char *key;
    uint64_t used_gpio;
} ctx_t;

static tc_cfg_status_t claim_gpio(ctx_t *c, int g) {
    if (c->used_gpio & (1ull << g)) return set_err(c->err, TC_CFG_ERR_DUPLICATE, c->line, c->key, "gpio %d is already used", g);
    c->used_gpio |= 1ull << g;
    return TC_CFG_OK;
}

/* Splits "name opt=v flag ..." in place; returns the count of words. */
static size_t words(char *s, char **out, size_t max) {
    size_t n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t') *s++ = '\0';
        if (!*s) break;
        if (n == max) return max + 1;
        out[n++] = s;
        while (*s && *s != ' ' && *s != '\t') s++;
    }
    return n;
}

static tc_cfg_status_t parse_failsafe(ctx_t *c, const char *v, tc_failsafe_spec_t *spec) {
    memset(spec, 0, sizeof *spec);
    if (!strcmp(v, "off")) return TC_CFG_OK;
    if (!strcmp(v, "on")) {
        spec->mode = TC_FS_ON;
        return TC_CFG_OK;
    }
    char buf[48];
    snprintf(buf, sizeof buf, "%s", v);
    char *on = strchr(buf, ':');
    char *off = on ? strchr(on + 1, ':') : NULL;
    if (strncmp(buf, "duty:", 5) == 0 && on && off) {
        *on++ = '\0';
        *off++ = '\0';
        spec->mode = TC_FS_DUTY;
        if (parse_u32(on, 1, TC_FAILSAFE_MAX_SECONDS, &spec->on_s) && parse_u32(off, 1, TC_FAILSAFE_MAX_SECONDS, &spec->off_s))
            return TC_CFG_OK;
    }
    return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key,
                   "failsafe must be off, on or duty:<onSeconds>:<offSeconds> (1..86400), got \"%s\"", v);
}

static tc_cfg_status_t parse_gpio(ctx_t *c, const char *v, int *g) {
    uint32_t u;
    if (!parse_u32(v, 0, 39, &u) || !gpio_exists((int)u))
        return set_err(c->err, TC_CFG_ERR_BAD_GPIO, c->line, c->key, "gpio \"%s\" is not a usable ESP32 pin", v);
    *g = (int)u;
    return TC_CFG_OK;
}

static tc_cfg_status_t parse_relay(ctx_t *c, char *value) {
    tc_config_t *cfg = c->cfg;
    char *w[8];
    size_t n = words(value, w, 8);
    if (n == 0 || n > 8) return set_err(c->err, TC_CFG_ERR_SYNTAX, c->line, c->key, "relay=<name> gpio=<n> [active_low] [failsafe=...]");
    if (cfg->n_relays >= TC_MAX_RELAYS) return set_err(c->err, TC_CFG_ERR_TOO_MANY, c->line, c->key, "at most %d relays", TC_MAX_RELAYS);
    tc_relay_cfg_t *r = &cfg->relay[cfg->n_relays];
    memset(r, 0, sizeof *r);
    r->gpio = -1;
    if (!tc_valid_key(w[0])) return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "relay name \"%s\" must match ^[a-z][a-z0-9_]{0,47}$", w[0]);
    for (size_t i = 0; i < cfg->n_relays; i++)
        if (!strcmp(cfg->relay[i].name, w[0])) return set_err(c->err, TC_CFG_ERR_DUPLICATE, c->line, c->key, "relay \"%s\"", w[0]);
    strcpy(r->name, w[0]);
    for (size_t i = 1; i < n; i++) {
        tc_cfg_status_t st = TC_CFG_OK;
        if (!strncmp(w[i], "gpio=", 5)) st = parse_gpio(c, w[i] + 5, &r->gpio);
        else if (!strcmp(w[i], "active_low")) r->active_low = true;
        else if (!strncmp(w[i], "failsafe=", 9)) st = parse_failsafe(c, w[i] + 9, &r->failsafe);
        else st = set_err(c->err, TC_CFG_ERR_UNKNOWN_KEY, c->line, c->key, "unknown relay option \"%s\"", w[i]);
        if (st != TC_CFG_OK) return st;
    }
    if (r->gpio < 0) return set_err(c->err, TC_CFG_ERR_MISSING, c->line, c->key, "relay \"%s\" needs gpio=<n>", r->name);
    if (!gpio_can_output(r->gpio)) return set_err(c->err, TC_CFG_ERR_BAD_GPIO, c->line, c->key, "gpio %d is input-only", r->gpio);
    tc_cfg_status_t st = claim_gpio(c, r->gpio);
    if (st != TC_CFG_OK) return st;
    cfg->n_relays++;
    return TC_CFG_OK;
}

static tc_cfg_status_t parse_sensor(ctx_t *c, char *value) {
    tc_config_t *cfg = c->cfg;
    char *w[10];
    size_t n = words(value, w, 10);
    if (n == 0 || n > 10) return set_err(c->err, TC_CFG_ERR_SYNTAX, c->line, c->key, "sensor=<metric> type=<type> gpio=<n> [options]");
    if (cfg->n_sensors >= TC_MAX_SENSORS) return set_err(c->err, TC_CFG_ERR_TOO_MANY, c->line, c->key, "at most %d sensors", TC_MAX_SENSORS);
    tc_sensor_cfg_t *s = &cfg->sensor[cfg->n_sensors];
    memset(s, 0, sizeof *s);
    s->gpio = -1;
    s->scale = 1;
    if (!tc_valid_key(w[0])) return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "metric \"%s\" must match ^[a-z][a-z0-9_]{0,47}$", w[0]);
    for (size_t i = 0; i < cfg->n_sensors; i++)
        if (!strcmp(cfg->sensor[i].metric, w[0])) return set_err(c->err, TC_CFG_ERR_DUPLICATE, c->line, c->key, "metric \"%s\"", w[0]);
    strcpy(s->metric, w[0]);
    bool have_type = false;
    for (size_t i = 1; i < n; i++) {
        tc_cfg_status_t st = TC_CFG_OK;
        const char *v = strchr(w[i], '=') ? strchr(w[i], '=') + 1 : "";
        if (!strncmp(w[i], "type=", 5)) {
            have_type = true;
            if (!strcmp(v, "ds18b20")) s->type = TC_SENSOR_DS18B20;
            else if (!strcmp(v, "contact")) s->type = TC_SENSOR_CONTACT;
            else if (!strcmp(v, "adc")) s->type = TC_SENSOR_ADC;
            else st = set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "type must be ds18b20, contact or adc, got \"%s\"", v);
        } else if (!strncmp(w[i], "gpio=", 5)) {
            st = parse_gpio(c, v, &s->gpio);
        } else if (!strcmp(w[i], "pull_up")) {
            s->pull_up = true;
        } else if (!strcmp(w[i], "invert")) {
            s->invert = true;
        } else if (!strncmp(w[i], "event=", 6)) {
            if (!tc_valid_event_kind(v)) st = set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "event must match ^[a-z][a-z0-9_.]{0,63}$, got \"%s\"", v);
            else snprintf(s->event, sizeof s->event, "%s", v);
        } else if (!strncmp(w[i], "scale=", 6) || !strncmp(w[i], "offset=", 7)) {
            double *dst = w[i][0] == 's' ? &s->scale : &s->offset;
            if (!parse_double(v, dst)) st = set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "\"%s\" is not a finite number", w[i]);
        } else {
            st = set_err(c->err, TC_CFG_ERR_UNKNOWN_KEY, c->line, c->key, "unknown sensor option \"%s\"", w[i]);
        }
        if (st != TC_CFG_OK) return st;
    }
    if (!have_type) return set_err(c->err, TC_CFG_ERR_MISSING, c->line, c->key, "sensor \"%s\" needs type=", s->metric);
    if (s->gpio < 0) return set_err(c->err, TC_CFG_ERR_MISSING, c->line, c->key, "sensor \"%s\" needs gpio=<n>", s->metric);
    if (s->event[0] && s->type != TC_SENSOR_CONTACT)
        return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "event= is only for contact sensors");
    if (s->type == TC_SENSOR_ADC && !gpio_is_adc1(s->gpio))
        return set_err(c->err, TC_CFG_ERR_BAD_GPIO, c->line, c->key, "adc needs an ADC1 pin (32..39), got %d", s->gpio);
    if (s->type == TC_SENSOR_DS18B20 && !gpio_can_output(s->gpio))
        return set_err(c->err, TC_CFG_ERR_BAD_GPIO, c->line, c->key, "1-Wire needs an output-capable pin, %d is input-only", s->gpio);
    tc_cfg_status_t st = claim_gpio(c, s->gpio);
    if (st != TC_CFG_OK) return st;
    cfg->n_sensors++;
    return TC_CFG_OK;
}

static tc_cfg_status_t parse_setpoint(ctx_t *c, char *value) {
    tc_setpoints_t *sps = &c->cfg->setpoints;
    char *w[5];
    size_t n = words(value, w, 5);
    if (n != 4) return set_err(c->err, TC_CFG_ERR_SYNTAX, c->line, c->key, "setpoint=<name> value=<v> min=<v> max=<v>");
    if (sps->n >= TC_MAX_SETPOINTS - 1) return set_err(c->err, TC_CFG_ERR_TOO_MANY, c->line, c->key, "at most %d setpoints", TC_MAX_SETPOINTS - 1);
    if (!tc_valid_key(w[0])) return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "setpoint \"%s\" must match ^[a-z][a-z0-9_]{0,47}$", w[0]);
    if (tc_setpoints_find(sps, w[0]) >= 0) return set_err(c->err, TC_CFG_ERR_DUPLICATE, c->line, c->key, "setpoint \"%s\"", w[0]);
    tc_setpoint_t sp = {0};
    strcpy(sp.name, w[0]);
    bool have[3] = {false, false, false};
    for (size_t i = 1; i < n; i++) {
        const char *eq = strchr(w[i], '=');
        int which = !strncmp(w[i], "value=", 6) ? 0 : !strncmp(w[i], "min=", 4) ? 1 : !strncmp(w[i], "max=", 4) ? 2 : -1;
        double *dst = which == 0 ? &sp.value : which == 1 ? &sp.min : &sp.max;
        if (which < 0 || have[which] || !parse_double(eq + 1, dst))
            return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "\"%s\": expected value=, min=, max= with finite numbers", w[i]);
        have[which] = true;
    }
    if (!(sp.min <= sp.value && sp.value <= sp.max))
        return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "setpoint \"%s\" needs min <= value <= max", sp.name);
    sps->item[sps->n++] = sp;
    return TC_CFG_OK;
}

static tc_cfg_status_t copy_string(ctx_t *c, const char *v, char *dst, size_t cap, size_t min) {
    size_t n = strlen(v);
    if (n < min || n >= cap) return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "length must be %zu..%zu", min, cap - 1);
    memcpy(dst, v, n + 1);
    return TC_CFG_OK;
}

enum { K_DEVICE_ID, K_PASSWORD, K_URI, K_SSID, K_WIFI_PASSWORD, K_NTP, K_INTERVAL, K_KEEPALIVE, K_GRACE, K_SCALARS };
static const char *const scalar_keys[K_SCALARS] = {"device_id", "mqtt_password", "mqtt_uri", "wifi_ssid", "wifi_password",
                                                   "ntp_server", "interval_s", "keepalive_s", "failsafe_grace_s"};

static tc_cfg_status_t parse_scalar(ctx_t *c, int k, const char *v) {
    tc_config_t *cfg = c->cfg;
    switch (k) {
    case K_DEVICE_ID:
        if (!tc_valid_device_id(v)) return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "must match ^[a-z0-9][a-z0-9_-]{0,63}$");
        strcpy(cfg->device_id, v);
        return TC_CFG_OK;
    case K_PASSWORD: return copy_string(c, v, cfg->mqtt_password, sizeof cfg->mqtt_password, 1);
    case K_URI:
        if (strncmp(v, "mqtt://", 7) && strncmp(v, "mqtts://", 8))
            return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "must start with mqtt:// or mqtts://");
        return copy_string(c, v, cfg->mqtt_uri, sizeof cfg->mqtt_uri, 9);
    case K_SSID: return copy_string(c, v, cfg->wifi_ssid, sizeof cfg->wifi_ssid, 1);
    case K_WIFI_PASSWORD: {
        /* WPA2-PSK: a passphrase of 8..63 characters or 64 hex digits; empty for an open network. */
        size_t n = strlen(v);
        if (n != 0 && (n < 8 || n > 64)) return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "WPA2 needs 8..63 characters (or 64 hex digits), or empty for an open network");
        return copy_string(c, v, cfg->wifi_password, sizeof cfg->wifi_password, 0);
    }
    case K_NTP: return copy_string(c, v, cfg->ntp_server, sizeof cfg->ntp_server, 0);
    case K_INTERVAL:
        if (!parse_u32(v, 1, 3600, &cfg->interval_s)) return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "must be an integer 1..3600");
        return TC_CFG_OK;
    case K_KEEPALIVE:
        if (!parse_u32(v, 5, 600, &cfg->keepalive_s)) return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "must be an integer 5..600");
        return TC_CFG_OK;
    case K_GRACE:
        if (!parse_u32(v, 0, 3600, &cfg->failsafe_grace_s)) return set_err(c->err, TC_CFG_ERR_BAD_VALUE, c->line, c->key, "must be an integer 0..3600");
        return TC_CFG_OK;
    }
    return TC_CFG_ERR_UNKNOWN_KEY;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = '\0';
    return s;
}

tc_cfg_status_t tc_config_parse(const char *text, size_t len, tc_config_t *cfg, tc_cfg_error_t *err) {
    memset(cfg, 0, sizeof *cfg);
    memset(err, 0, sizeof *err);
    cfg->interval_s = 10;
    cfg->keepalive_s = 10;
    /* Erased flash reads 0xFF: the text ends at the first one, or at a NUL. */
    size_t end = 0;
    while (end < len && text[end] != '\0' && (unsigned char)text[end] != 0xFF) end++;
    if (end > TC_CONFIG_MAX_BYTES) return set_err(err, TC_CFG_ERR_TOO_LARGE, 0, "config", "%zu bytes, at most %d", end, TC_CONFIG_MAX_BYTES);
    static char copy[TC_CONFIG_MAX_BYTES + 1];
    memcpy(copy, text, end);
    copy[end] = '\0';

    ctx_t c = {.cfg = cfg, .err = err};
    bool seen[K_SCALARS] = {false};
    bool any = false;
    char *save = copy;
    for (char *line = copy; line; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        c.line++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        any = true;
        char *eq = strchr(s, '=');
        if (!eq) return set_err(err, TC_CFG_ERR_SYNTAX, c.line, "", "expected key=value, got \"%.40s\"", s);
        *eq = '\0';
        char *key = trim(s);
        char *value = trim(eq + 1);
        c.key = key;
        tc_cfg_status_t st;
        if (!strcmp(key, "relay")) st = parse_relay(&c, value);
        else if (!strcmp(key, "sensor")) st = parse_sensor(&c, value);
        else if (!strcmp(key, "setpoint")) st = parse_setpoint(&c, value);
        else {
            int k = -1;
            for (int i = 0; i < K_SCALARS; i++)
                if (!strcmp(key, scalar_keys[i])) k = i;
            if (k < 0) return set_err(err, TC_CFG_ERR_UNKNOWN_KEY, c.line, key, NULL);
            if (seen[k]) return set_err(err, TC_CFG_ERR_DUPLICATE, c.line, key, NULL);
            seen[k] = true;
            st = parse_scalar(&c, k, value);
        }
        if (st != TC_CFG_OK) return st;
    }
    if (!any) return set_err(err, TC_CFG_ERR_EMPTY, 0, "config", NULL);
    for (int k = K_DEVICE_ID; k <= K_SSID; k++)
        if (!seen[k]) return set_err(err, TC_CFG_ERR_MISSING, 0, scalar_keys[k], NULL);
    if (cfg->n_sensors == 0 && cfg->n_relays == 0)
        return set_err(err, TC_CFG_ERR_MISSING, 0, "sensor", "a node needs at least one sensor or relay");
    if (tc_setpoints_find(&cfg->setpoints, "interval_s") >= 0)
        return set_err(err, TC_CFG_ERR_DUPLICATE, 0, "setpoint", "interval_s is built in; set it with interval_s=");
    /* Relays and setpoints share the state payload with failsafe and fw: one name, one meaning. */
    static const char *const reserved[] = {"failsafe", "fw", "online"};
    for (size_t i = 0; i < cfg->n_relays; i++) {
        for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
            if (!strcmp(cfg->relay[i].name, reserved[k])) return set_err(err, TC_CFG_ERR_BAD_VALUE, 0, "relay", "\"%s\" is reserved for the state payload", reserved[k]);
        if (tc_setpoints_find(&cfg->setpoints, cfg->relay[i].name) >= 0 || !strcmp(cfg->relay[i].name, "interval_s"))
            return set_err(err, TC_CFG_ERR_DUPLICATE, 0, "relay", "\"%s\" is also a setpoint", cfg->relay[i].name);
    }
    for (size_t i = 0; i < cfg->setpoints.n; i++)
        for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
            if (!strcmp(cfg->setpoints.item[i].name, reserved[k])) return set_err(err, TC_CFG_ERR_BAD_VALUE, 0, "setpoint", "\"%s\" is reserved for the state payload", reserved[k]);
    /* interval_s goes first so the gateway can change the reading period with setpoint.set. */
    memmove(&cfg->setpoints.item[1], &cfg->setpoints.item[0], cfg->setpoints.n * sizeof cfg->setpoints.item[0]);
    cfg->setpoints.item[0] = (tc_setpoint_t){.name = "interval_s", .value = cfg->interval_s, .min = 1, .max = 3600};
    cfg->setpoints.n++;
    return TC_CFG_OK;
}
