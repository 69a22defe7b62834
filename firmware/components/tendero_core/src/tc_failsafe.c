#include "tc_failsafe.h"

#include <string.h>

bool tc_failsafe_spec_valid(const tc_failsafe_spec_t *spec) {
    switch (spec->mode) {
    case TC_FS_OFF:
    case TC_FS_ON: return true;
    case TC_FS_DUTY:
        return spec->on_s >= 1 && spec->on_s <= TC_FAILSAFE_MAX_SECONDS && spec->off_s >= 1 &&
               spec->off_s <= TC_FAILSAFE_MAX_SECONDS;
    }
    return false;
}

const char *tc_failsafe_mode_str(tc_failsafe_mode_t m) {
    return m == TC_FS_ON ? "on" : m == TC_FS_DUTY ? "duty" : "off";
}

void tc_failsafe_init(tc_failsafe_t *fs, uint32_t grace_ms, int64_t now_ms) {
    memset(fs, 0, sizeof *fs);
    fs->grace_ms = grace_ms;
    fs->state = TC_LINK_GRACE;
    fs->down_since_ms = now_ms;
}

int tc_failsafe_find(const tc_failsafe_t *fs, const char *name) {
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->relay[i].name, name) == 0) return (int)i;
    return -1;
}

int tc_failsafe_add_relay(tc_failsafe_t *fs, const char *name, const tc_failsafe_spec_t *spec, bool initially_on) {
    if (fs->n >= TC_MAX_RELAYS || strlen(name) >= sizeof fs->relay[0].name || tc_failsafe_find(fs, name) >= 0 ||
        !tc_failsafe_spec_valid(spec))
        return -1;
    tc_fs_relay_t *r = &fs->relay[fs->n];
    memset(r, 0, sizeof *r);
    strcpy(r->name, name);
    r->spec = *spec;
    r->on = initially_on;
    return (int)fs->n++;
}

static int64_t phase_ms(const tc_fs_relay_t *r) { return (int64_t)(r->on ? r->spec.on_s : r->spec.off_s) * 1000; }

/* Puts one relay in its safe state at `at_ms`; returns whether its output changed. */
static bool apply_safe(tc_fs_relay_t *r, int64_t at_ms) {
    bool before = r->on;
    if (r->spec.mode == TC_FS_DUTY) {
        /* Keep the phase the relay is in, with a whole phase ahead of it. */
        r->phase_end_ms = at_ms + phase_ms(r);
    } else {
        r->on = r->spec.mode == TC_FS_ON;
    }
    return r->on != before;
}

void tc_failsafe_link_up(tc_failsafe_t *fs, int64_t now_ms) {
    (void)now_ms;
    /* Relays are left as they are: the gateway decides from here on. */
    fs->state = TC_LINK_UP;
}

void tc_failsafe_link_down(tc_failsafe_t *fs, int64_t now_ms) {
    if (fs->state != TC_LINK_UP) return;
    fs->state = TC_LINK_GRACE;
    fs->down_since_ms = now_ms;
}

bool tc_failsafe_command(tc_failsafe_t *fs, size_t idx, bool on) {
    if (idx >= fs->n) return false;
    fs->relay[idx].on = on;
    return true;
}

bool tc_failsafe_set_spec(tc_failsafe_t *fs, size_t idx, const tc_failsafe_spec_t *spec, int64_t now_ms) {
    if (idx >= fs->n || !tc_failsafe_spec_valid(spec)) return false;
    tc_fs_relay_t *r = &fs->relay[idx];
    r->spec = *spec;
    if (fs->state == TC_LINK_FAILSAFE) apply_safe(r, now_ms);
    return true;
}

/* Runs a duty cycle up to now; long gaps (a stalled task) skip whole periods instead of looping. */
static bool run_duty(tc_fs_relay_t *r, int64_t now_ms) {
    bool before = r->on;
    if (now_ms < r->phase_end_ms) return false;
    int64_t period = (int64_t)(r->spec.on_s + r->spec.off_s) * 1000;
    int64_t behind = now_ms - r->phase_end_ms;
    if (behind >= period) r->phase_end_ms += (behind / period) * period;
    while (now_ms >= r->phase_end_ms) {
        r->on = !r->on;
        r->phase_end_ms += phase_ms(r);
    }
    return r->on != before;
}

uint32_t tc_failsafe_tick(tc_failsafe_t *fs, int64_t now_ms) {
    uint32_t changed = 0;
    if (fs->state == TC_LINK_GRACE && now_ms - fs->down_since_ms >= (int64_t)fs->grace_ms) {
        fs->state = TC_LINK_FAILSAFE;
        /* Phases count from the moment fail-safe began, not from when this tick ran. */
        int64_t at = fs->down_since_ms + fs->grace_ms;
        for (size_t i = 0; i < fs->n; i++)
            if (apply_safe(&fs->relay[i], at)) changed |= 1u << i;
    }
    if (fs->state == TC_LINK_FAILSAFE) {
        for (size_t i = 0; i < fs->n; i++) {
            tc_fs_relay_t *r = &fs->relay[i];
            if (r->spec.mode == TC_FS_DUTY && run_duty(r, now_ms)) changed |= 1u << i;
        }
    }
    return changed;
}

int64_t tc_failsafe_next_in(const tc_failsafe_t *fs, int64_t now_ms) {
    if (fs->state == TC_LINK_GRACE) {
        int64_t left = fs->down_since_ms + fs->grace_ms - now_ms;
        return left > 0 ? left : 0;
    }
    if (fs->state != TC_LINK_FAILSAFE) return -1;
    int64_t best = -1;
    for (size_t i = 0; i < fs->n; i++) {
        const tc_fs_relay_t *r = &fs->relay[i];
        if (r->spec.mode != TC_FS_DUTY) continue;
        int64_t left = r->phase_end_ms - now_ms;
        if (left < 0) left = 0;
        if (best < 0 || left < best) best = left;
    }
    return best;
}
