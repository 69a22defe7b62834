/* Provisioning and what the node keeps across reboots (NVS). ESP-IDF glue around tendero_core. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "tc_config.h"
#include "tc_failsafe.h"
#include "tc_node.h"

/* Reads and parses the `tconfig` partition; logs the parser's error (line and key) on failure. */
esp_err_t storage_load_config(tc_config_t *cfg);

esp_err_t storage_init(void);
/* The seq reservation (tc_seq_boot); false when the node never stored one. */
bool storage_get_seq(uint32_t *value);
esp_err_t storage_set_seq(uint32_t value);
/* The last safe state the gateway sent for `relay`; false if none stored. */
bool storage_get_failsafe(const char *relay, tc_failsafe_spec_t *spec);
esp_err_t storage_set_failsafe(const char *relay, const tc_failsafe_spec_t *spec);
bool storage_get_setpoint(const char *name, double *value);
esp_err_t storage_set_setpoint(const char *name, double value);
