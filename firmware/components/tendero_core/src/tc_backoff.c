#include "tc_backoff.h"

void tc_backoff_init(tc_backoff_t *b, uint32_t base_ms, uint32_t cap_ms, tc_rng_fn rng, void *rng_ctx) {
    b->base_ms = base_ms ? base_ms : 1;
    b->cap_ms = cap_ms < b->base_ms ? b->base_ms : cap_ms;
    b->attempt = 0;
    b->rng = rng;
    b->rng_ctx = rng_ctx;
}

uint32_t tc_backoff_ceiling(const tc_backoff_t *b, uint32_t attempt) {
    uint64_t step = b->base_ms;
    for (uint32_t i = 0; i < attempt && step < b->cap_ms; i++) step <<= 1;
    return step > b->cap_ms ? b->cap_ms : (uint32_t)step;
}

uint32_t tc_backoff_next(tc_backoff_t *b) {
    uint32_t ceiling = tc_backoff_ceiling(b, b->attempt);
    if (b->attempt < UINT32_MAX) b->attempt++;
    /* Draws in [ceil(ceiling / 2), ceiling], so a delay is never 0. */
    uint32_t span = ceiling / 2;
    uint32_t low = ceiling - span;
    uint32_t r = b->rng ? b->rng(b->rng_ctx) : 0;
    return low + (uint32_t)((uint64_t)r % ((uint64_t)span + 1));
}

void tc_backoff_reset(tc_backoff_t *b) { b->attempt = 0; }
