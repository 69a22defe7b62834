#include "tc_ring.h"

#include <string.h>

void tc_ring_init(tc_ring_t *r, tc_ring_slot_t *slots, size_t cap, uint32_t first_seq) {
    memset(r, 0, sizeof *r);
    r->slots = slots;
    r->cap = cap;
    r->next_seq = first_seq;
}

static tc_ring_slot_t *slot(const tc_ring_t *r, size_t i) { return &r->slots[(r->head + i) % r->cap]; }

static void drop_oldest(tc_ring_t *r) {
    uint32_t seq = slot(r, 0)->sample.seq;
    if (r->dropped_pending == 0) r->dropped_first_seq = seq;
    r->dropped_last_seq = seq;
    r->dropped_pending++;
    r->dropped_total++;
    r->head = (r->head + 1) % r->cap;
    r->count--;
}

uint32_t tc_ring_push(tc_ring_t *r, const tc_sample_t *s) {
    uint32_t seq = r->next_seq++; /* unsigned: wraps to 0 after 4294967295, as the protocol allows */
    if (r->cap == 0) return seq;
    if (r->count == r->cap) drop_oldest(r);
    tc_ring_slot_t *dst = slot(r, r->count);
    dst->sample = *s;
    dst->sample.seq = seq;
    dst->sent = false;
    dst->acked = false;
    r->count++;
    return seq;
}

size_t tc_ring_count(const tc_ring_t *r) { return r->count; }

const tc_sample_t *tc_ring_peek(const tc_ring_t *r, size_t i) { return i < r->count ? &slot(r, i)->sample : NULL; }

const tc_sample_t *tc_ring_next_unsent(const tc_ring_t *r) {
    for (size_t i = 0; i < r->count; i++)
        if (!slot(r, i)->sent) return &slot(r, i)->sample;
    return NULL;
}

static tc_ring_slot_t *find(const tc_ring_t *r, uint32_t seq) {
    for (size_t i = 0; i < r->count; i++)
        if (slot(r, i)->sample.seq == seq) return slot(r, i);
    return NULL;
}

bool tc_ring_mark_sent(tc_ring_t *r, uint32_t seq, int msg_id, int64_t now_ms) {
    tc_ring_slot_t *s = find(r, seq);
    if (!s) return false;
    s->sent = true;
    s->msg_id = msg_id;
    s->sent_ms = now_ms;
    return true;
}

size_t tc_ring_in_flight(const tc_ring_t *r) {
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++)
        if (slot(r, i)->sent && !slot(r, i)->acked) n++;
    return n;
}

bool tc_ring_ack(tc_ring_t *r, uint32_t seq) {
    tc_ring_slot_t *s = find(r, seq);
    if (!s || !s->sent) return false;
    s->acked = true;
    /* PUBACKs may come out of order: only a fully acknowledged prefix leaves. */
    while (r->count > 0 && slot(r, 0)->acked) {
        r->head = (r->head + 1) % r->cap;
        r->count--;
    }
    return true;
}

bool tc_ring_puback(tc_ring_t *r, int msg_id) {
    for (size_t i = 0; i < r->count; i++) {
        tc_ring_slot_t *s = slot(r, i);
        if (s->sent && !s->acked && s->msg_id == msg_id) return tc_ring_ack(r, s->sample.seq);
    }
    return false;
}

size_t tc_ring_resend_stale(tc_ring_t *r, int64_t now_ms, int64_t timeout_ms) {
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++) {
        tc_ring_slot_t *s = slot(r, i);
        if (s->sent && !s->acked && now_ms - s->sent_ms > timeout_ms) {
            s->sent = false;
            n++;
        }
    }
    return n;
}

void tc_ring_unsend_all(tc_ring_t *r) {
    for (size_t i = 0; i < r->count; i++)
        if (!slot(r, i)->acked) slot(r, i)->sent = false;
}

bool tc_ring_take_dropped(tc_ring_t *r, uint32_t *first_seq, uint32_t *last_seq, uint32_t *count) {
    if (r->dropped_pending == 0) return false;
    *first_seq = r->dropped_first_seq;
    *last_seq = r->dropped_last_seq;
    *count = r->dropped_pending;
    r->dropped_pending = 0;
    return true;
}

uint32_t tc_seq_boot(tc_seq_store_t *st, bool have_stored, uint32_t stored, uint32_t block, uint32_t *to_store) {
    st->block = block ? block : 1;
    uint32_t first = have_stored ? stored : 0;
    st->reserved_until = first + st->block;
    *to_store = st->reserved_until;
    return first;
}

bool tc_seq_needs_reserve(tc_seq_store_t *st, uint32_t next_seq, uint32_t *to_store) {
    /* Distance in modular arithmetic, so the check survives the wrap at 2^32. */
    if ((uint32_t)(st->reserved_until - next_seq) != 0 && (uint32_t)(st->reserved_until - next_seq) <= st->block) return false;
    st->reserved_until = next_seq + st->block;
    *to_store = st->reserved_until;
    return true;
}
