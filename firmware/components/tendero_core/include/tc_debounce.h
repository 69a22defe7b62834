/*
 * A dry contact (door reed switch) bounces for a few ms when it moves. A level counts only
 * once it has held for `settle_ms`; each settled change is an edge, so one door opening is
 * one `door.opened` event, not five. Time is injected, as everywhere in the core.
 */
#ifndef TC_DEBOUNCE_H
#define TC_DEBOUNCE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool stable;       /* the settled level */
    bool candidate;    /* the level seen last, maybe still bouncing */
    int64_t since_ms;  /* when `candidate` was first seen */
    uint32_t settle_ms;
} tc_debounce_t;

void tc_debounce_init(tc_debounce_t *d, bool level, int64_t now_ms, uint32_t settle_ms);
/* Feeds one sample; returns true when the settled level changed (read it from d->stable). */
bool tc_debounce_update(tc_debounce_t *d, bool level, int64_t now_ms);

#endif
