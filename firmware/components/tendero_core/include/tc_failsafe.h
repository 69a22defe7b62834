/*
 * Relay fail-safe, node side (gateway/README.md, "Fail-safe states"). While the node has
 * its gateway, relays do what the gateway commands. Once the link has been down for
 * `grace_ms` (0 = at once, as the gateway assumes), every relay takes its safe state on
 * its own: off, on, or a duty cycle that starts in the phase the relay is in with a
 * full phase (no short cycling of a compressor). When the link is back, relays stay as
 * they are until the gateway commands them again.
 *
 * Time is an injected monotonic clock in ms, so every transition is testable.
 */
#ifndef TC_FAILSAFE_H
#define TC_FAILSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TC_MAX_RELAYS 8
#define TC_FAILSAFE_MAX_SECONDS 86400u

typedef enum { TC_FS_OFF = 0, TC_FS_ON, TC_FS_DUTY } tc_failsafe_mode_t;

typedef struct {
    tc_failsafe_mode_t mode;
    uint32_t on_s;  /* TC_FS_DUTY only, 1..86400 */
    uint32_t off_s; /* TC_FS_DUTY only, 1..86400 */
} tc_failsafe_spec_t;

typedef enum {
    TC_LINK_UP,       /* the gateway is in charge */
    TC_LINK_GRACE,    /* link lost less than grace_ms ago: relays held */
    TC_LINK_FAILSAFE, /* relays on their own */
} tc_link_state_t;

typedef struct {
    char name[49];
    bool on;
    tc_failsafe_spec_t spec;
    int64_t phase_end_ms; /* duty cycle in fail-safe: when the current phase ends */
} tc_fs_relay_t;

typedef struct {
    tc_fs_relay_t relay[TC_MAX_RELAYS];
    size_t n;
    tc_link_state_t state;
    int64_t down_since_ms;
    uint32_t grace_ms;
} tc_failsafe_t;

/* Returns false for a duty cycle without both durations in 1..86400, as the gateway's spec does. */
bool tc_failsafe_spec_valid(const tc_failsafe_spec_t *spec);
const char *tc_failsafe_mode_str(tc_failsafe_mode_t m);

/*
 * A node boots without its gateway: the machine starts with the link down at `now_ms`,
 * so a node rebooting during an outage reaches fail-safe too.
 */
void tc_failsafe_init(tc_failsafe_t *fs, uint32_t grace_ms, int64_t now_ms);
/* -1 if full, the name is taken or the spec is invalid; else the relay's index. */
int tc_failsafe_add_relay(tc_failsafe_t *fs, const char *name, const tc_failsafe_spec_t *spec, bool initially_on);
int tc_failsafe_find(const tc_failsafe_t *fs, const char *name);

void tc_failsafe_link_up(tc_failsafe_t *fs, int64_t now_ms);
void tc_failsafe_link_down(tc_failsafe_t *fs, int64_t now_ms);

/* A gateway command; false for an unknown index. Not refused in fail-safe: commands only arrive with a link. */
bool tc_failsafe_command(tc_failsafe_t *fs, size_t idx, bool on);
/* Stores a new safe state; if the node is in fail-safe it takes effect at once. */
bool tc_failsafe_set_spec(tc_failsafe_t *fs, size_t idx, const tc_failsafe_spec_t *spec, int64_t now_ms);

/*
 * Advances to `now_ms`: enters fail-safe when the grace ends, runs duty cycles. Returns a
 * bitmask of relays whose output changed, so the caller drives GPIOs and reports state.
 */
uint32_t tc_failsafe_tick(tc_failsafe_t *fs, int64_t now_ms);
/* ms until the next transition (grace end or duty switch), or -1 if nothing is scheduled. */
int64_t tc_failsafe_next_in(const tc_failsafe_t *fs, int64_t now_ms);

static inline bool tc_failsafe_active(const tc_failsafe_t *fs) { return fs->state == TC_LINK_FAILSAFE; }

#endif
