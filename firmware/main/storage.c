#include "storage.h"

#include <stdio.h>
#include <string.h>

#include "esp_log.h"
#include "esp_partition.h"
#include "nvs.h"
#include "nvs_flash.h"

static const char *TAG = "storage";
static nvs_handle_t nvs;

esp_err_t storage_load_config(tc_config_t *cfg) {
    const esp_partition_t *part = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, "tconfig");
    if (!part) {
        ESP_LOGE(TAG, "no 'tconfig' partition: flash the partition table from partitions.csv");
        return ESP_ERR_NOT_FOUND;
    }
    static char text[TC_CONFIG_MAX_BYTES + 1];
    size_t len = part->size < TC_CONFIG_MAX_BYTES + 1 ? part->size : TC_CONFIG_MAX_BYTES + 1;
    esp_err_t err = esp_partition_read(part, 0, text, len);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "reading tconfig: %s", esp_err_to_name(err));
        return err;
    }
    tc_cfg_error_t perr;
    if (tc_config_parse(text, len, cfg, &perr) != TC_CFG_OK) {
        char msg[200];
        tc_cfg_error_format(&perr, msg, sizeof msg);
        ESP_LOGE(TAG, "tconfig: %s", msg);
        return ESP_ERR_INVALID_ARG;
    }
    /* The password stays out of the log. */
    ESP_LOGI(TAG, "device %s, broker %s, %u relays, %u sensors", cfg->device_id, cfg->mqtt_uri, (unsigned)cfg->n_relays,
             (unsigned)cfg->n_sensors);
    return ESP_OK;
}

esp_err_t storage_init(void) {
    esp_err_t err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        /* A partition from another layout or IDF version: start it over rather than not boot. */
        ESP_ERROR_CHECK(nvs_flash_erase());
        err = nvs_flash_init();
    }
    if (err != ESP_OK) return err;
    return nvs_open("tendero", NVS_READWRITE, &nvs);
}

bool storage_get_seq(uint32_t *value) { return nvs_get_u32(nvs, "seq", value) == ESP_OK; }

esp_err_t storage_set_seq(uint32_t value) {
    esp_err_t err = nvs_set_u32(nvs, "seq", value);
    return err == ESP_OK ? nvs_commit(nvs) : err;
}

/* NVS keys are at most 15 characters, relay names up to 48: the key is a hash, the blob keeps the name. */
static void key_for(char prefix, const char *name, char key[16]) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = name; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    snprintf(key, 16, "%c%08lx", prefix, (unsigned long)h);
}

typedef struct {
    char name[49];
    tc_failsafe_spec_t spec;
} stored_failsafe_t;

bool storage_get_failsafe(const char *relay, tc_failsafe_spec_t *spec) {
    char key[16];
    key_for('f', relay, key);
    stored_failsafe_t blob;
    size_t len = sizeof blob;
    if (nvs_get_blob(nvs, key, &blob, &len) != ESP_OK || len != sizeof blob || strcmp(blob.name, relay) != 0) return false;
    if (!tc_failsafe_spec_valid(&blob.spec)) return false;
    *spec = blob.spec;
    return true;
}

esp_err_t storage_set_failsafe(const char *relay, const tc_failsafe_spec_t *spec) {
    char key[16];
    key_for('f', relay, key);
    stored_failsafe_t blob = {.spec = *spec};
    snprintf(blob.name, sizeof blob.name, "%s", relay);
    esp_err_t err = nvs_set_blob(nvs, key, &blob, sizeof blob);
    return err == ESP_OK ? nvs_commit(nvs) : err;
}

typedef struct {
    char name[49];
    double value;
} stored_setpoint_t;

bool storage_get_setpoint(const char *name, double *value) {
    char key[16];
    key_for('s', name, key);
    stored_setpoint_t blob;
    size_t len = sizeof blob;
    if (nvs_get_blob(nvs, key, &blob, &len) != ESP_OK || len != sizeof blob || strcmp(blob.name, name) != 0) return false;
    *value = blob.value;
    return true;
}

esp_err_t storage_set_setpoint(const char *name, double value) {
    char key[16];
    key_for('s', name, key);
    stored_setpoint_t blob = {.value = value};
    snprintf(blob.name, sizeof blob.name, "%s", name);
    esp_err_t err = nvs_set_blob(nvs, key, &blob, sizeof blob);
    return err == ESP_OK ? nvs_commit(nvs) : err;
}
