#include "relays.h"

#include "driver/gpio.h"
#include "esp_log.h"

static const char *TAG = "relays";
static const tc_config_t *config;

void relays_set(size_t idx, bool on) {
    const tc_relay_cfg_t *r = &config->relay[idx];
    gpio_set_level((gpio_num_t)r->gpio, (on != r->active_low) ? 1 : 0);
}

esp_err_t relays_init(const tc_config_t *cfg) {
    config = cfg;
    for (size_t i = 0; i < cfg->n_relays; i++) {
        const tc_relay_cfg_t *r = &cfg->relay[i];
        /* Level before direction: the pin starts driving the off level, no glitch. */
        gpio_set_level((gpio_num_t)r->gpio, r->active_low ? 1 : 0);
        gpio_config_t io = {
            .pin_bit_mask = 1ULL << r->gpio,
            .mode = GPIO_MODE_OUTPUT,
            .pull_up_en = GPIO_PULLUP_DISABLE,
            .pull_down_en = GPIO_PULLDOWN_DISABLE,
            .intr_type = GPIO_INTR_DISABLE,
        };
        esp_err_t err = gpio_config(&io);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "relay %s on GPIO %d: %s", r->name, r->gpio, esp_err_to_name(err));
            return err;
        }
        relays_set(i, false);
    }
    return ESP_OK;
}
