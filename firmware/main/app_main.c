/* Tendero sensor/relay node: boot, provisioning, then the node task runs everything. */
#include <sys/time.h>

#include "esp_log.h"
#include "esp_netif_sntp.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "mqtt_link.h"
#include "node_task.h"
#include "relays.h"
#include "sensors.h"
#include "storage.h"
#include "wifi_link.h"

static const char *TAG = "tendero";

static void on_time_sync(struct timeval *tv) {
    int64_t wall_ms = (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;
    node_post(&(node_event_t){.type = NODE_EV_CLOCK, .arg64 = wall_ms - esp_timer_get_time() / 1000});
}

/* A node without a valid config must not join the network or touch its relays: say why, forever. */
static void halt(const char *why) {
    for (;;) {
        ESP_LOGE(TAG, "%s; fix the tconfig partition (firmware/README.md) and reset", why);
        vTaskDelay(pdMS_TO_TICKS(10000));
    }
}

void app_main(void) {
    static tc_config_t cfg;
    if (storage_init() != ESP_OK) halt("NVS unusable");
    if (storage_load_config(&cfg) != ESP_OK) halt("no valid config");
    if (relays_init(&cfg) != ESP_OK) halt("relay GPIO setup failed");
    if (sensors_init(&cfg) != ESP_OK) halt("sensor setup failed");
    if (mqtt_link_init(&cfg) != ESP_OK) halt("MQTT client setup failed");
    /* The node task first, so it owns the queue before Wi-Fi posts anything. */
    node_task_start(&cfg);
    ESP_ERROR_CHECK(wifi_link_start(&cfg));
    if (cfg.ntp_server[0]) {
        esp_sntp_config_t sntp = ESP_NETIF_SNTP_DEFAULT_CONFIG(cfg.ntp_server);
        sntp.sync_cb = on_time_sync;
        esp_netif_sntp_init(&sntp);
    } else {
        ESP_LOGW(TAG, "no ntp_server: payloads carry no ts, the gateway stamps them on arrival");
    }
}
