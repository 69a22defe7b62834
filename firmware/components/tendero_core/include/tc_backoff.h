/*
 * Reconnect delays: exponential growth capped at `cap_ms`, with "equal jitter" (a uniform
 * draw in the upper half of the step), so a shop's nodes that lost the gateway together
 * do not all knock again in the same millisecond, yet none retries much sooner than
 * planned. The RNG is injected: esp_random() on the ESP32, a fixed sequence in tests.
 */
#ifndef TC_BACKOFF_H
#define TC_BACKOFF_H

#include <stdint.h>

typedef uint32_t (*tc_rng_fn)(void *ctx);

typedef struct {
    uint32_t base_ms;
    uint32_t cap_ms;
    uint32_t attempt;
    tc_rng_fn rng;
    void *rng_ctx;
} tc_backoff_t;

void tc_backoff_init(tc_backoff_t *b, uint32_t base_ms, uint32_t cap_ms, tc_rng_fn rng, void *rng_ctx);
/* The un-jittered step for attempt n: min(cap, base * 2^n), without overflow. */
uint32_t tc_backoff_ceiling(const tc_backoff_t *b, uint32_t attempt);
/* The delay before the next attempt, in [ceiling/2 rounded up, ceiling]; counts the attempt. */
uint32_t tc_backoff_next(tc_backoff_t *b);
/* After a successful connect. */
void tc_backoff_reset(tc_backoff_t *b);

#endif
