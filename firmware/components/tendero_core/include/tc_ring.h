/*
 * The offline buffer: readings taken while the link is down wait here, oldest first, and
 * leave only when the gateway acknowledged them (PUBACK). Every reading gets the next
 * `seq` when it is taken, link or no link, so the sequence has no gaps except where the
 * buffer overflowed; those are counted and reported (a `buffer.dropped` event), so the
 * gateway sees a marked gap, never silence.
 *
 * The caller owns the slot array (static on the ESP32). Not thread-safe: one task owns it.
 */
#ifndef TC_RING_H
#define TC_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tc_payload.h"

typedef struct {
    tc_sample_t sample;
    bool sent;  /* published, PUBACK not yet seen */
    bool acked; /* PUBACK seen; leaves when everything older has too */
    int msg_id; /* the MQTT packet id it went out with */
    int64_t sent_ms;
} tc_ring_slot_t;

typedef struct {
    tc_ring_slot_t *slots;
    size_t cap;
    size_t head; /* index of the oldest */
    size_t count;
    uint32_t next_seq;
    /* Overflow not yet reported: the seq range overwritten and how many. */
    uint32_t dropped_pending;
    uint32_t dropped_first_seq;
    uint32_t dropped_last_seq;
    uint32_t dropped_total;
} tc_ring_t;

void tc_ring_init(tc_ring_t *r, tc_ring_slot_t *slots, size_t cap, uint32_t first_seq);
/* Stamps the sample with the next seq (wrapping at 2^32) and stores it, overwriting the oldest when full. */
uint32_t tc_ring_push(tc_ring_t *r, const tc_sample_t *s);
size_t tc_ring_count(const tc_ring_t *r);
/* The i-th oldest, or NULL. */
const tc_sample_t *tc_ring_peek(const tc_ring_t *r, size_t i);
/* The oldest sample not yet published, or NULL; tc_ring_mark_sent() after publishing it. */
const tc_sample_t *tc_ring_next_unsent(const tc_ring_t *r);
/* Published as MQTT packet `msg_id` at `now_ms`; false if `seq` is not in the buffer. */
bool tc_ring_mark_sent(tc_ring_t *r, uint32_t seq, int msg_id, int64_t now_ms);
/* How many are published and not yet acknowledged: the caller caps its in-flight window with it. */
size_t tc_ring_in_flight(const tc_ring_t *r);
/* Acknowledged: false if `seq` is not in the buffer (overwritten by an overflow) or was never sent. */
bool tc_ring_ack(tc_ring_t *r, uint32_t seq);
/* PUBACK for packet `msg_id`: acks the sample sent with it; false for any other packet (state, acks). */
bool tc_ring_puback(tc_ring_t *r, int msg_id);
/* Samples in flight for longer than `timeout_ms` are published again; returns how many. */
size_t tc_ring_resend_stale(tc_ring_t *r, int64_t now_ms, int64_t timeout_ms);
/* Every unacknowledged sample will be published again (at least once). */
void tc_ring_unsend_all(tc_ring_t *r);
/* Takes the overflow report, if any; the counters then start again. */
bool tc_ring_take_dropped(tc_ring_t *r, uint32_t *first_seq, uint32_t *last_seq, uint32_t *count);

/*
 * Seq survives reboots without wearing the flash: NVS holds a reservation, the first seq
 * the next boot may use. A boot starts at the stored value and stores value + block; a
 * node that reaches its reservation stores the next block. A reboot may skip up to
 * `block` numbers, never repeats one.
 */
typedef struct {
    uint32_t reserved_until; /* the value in NVS */
    uint32_t block;
} tc_seq_store_t;

/* Returns the first seq of this boot; *to_store is what must be written to NVS before using it. */
uint32_t tc_seq_boot(tc_seq_store_t *st, bool have_stored, uint32_t stored, uint32_t block, uint32_t *to_store);
/* True when `next_seq` reached the reservation; *to_store is the new value to write first. */
bool tc_seq_needs_reserve(tc_seq_store_t *st, uint32_t next_seq, uint32_t *to_store);

#endif
