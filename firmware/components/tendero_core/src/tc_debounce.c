#include "tc_debounce.h"

void tc_debounce_init(tc_debounce_t *d, bool level, int64_t now_ms, uint32_t settle_ms) {
    d->stable = level;
    d->candidate = level;
    d->since_ms = now_ms;
    d->settle_ms = settle_ms;
}

bool tc_debounce_update(tc_debounce_t *d, bool level, int64_t now_ms) {
    if (level != d->candidate) {
        d->candidate = level;
        d->since_ms = now_ms;
    }
    if (d->candidate != d->stable && now_ms - d->since_ms >= (int64_t)d->settle_ms) {
        d->stable = d->candidate;
        return true;
    }
    return false;
}
