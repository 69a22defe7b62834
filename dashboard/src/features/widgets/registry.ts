// The site page's widgets, declared as data (as Home Assistant's cards are): a device's
// kind picks one entry, whose component shows the metrics and state keys it names. A new
// kind of device is one more entry here; a kind nobody declared gets the generic widget,
// which lists whatever the device reports.
import type { Component } from 'vue'
import ColdRoomWidget from './ColdRoomWidget.vue'
import EnergyWidget from './EnergyWidget.vue'
import GenericWidget from './GenericWidget.vue'
import IrrigationWidget from './IrrigationWidget.vue'
import OccupancyWidget from './OccupancyWidget.vue'
import RfidWidget from './RfidWidget.vue'
import { COLD_KINDS } from './bands.js'

export type WidgetId = 'cold' | 'irrigation' | 'energy' | 'occupancy' | 'rfid' | 'generic'

export interface WidgetSpec {
  id: WidgetId
  /** Device kinds (registry `kind`) this widget shows. */
  kinds: readonly string[]
  component: Component
  /** Metrics it reads, in the order it shows them. */
  metrics: readonly string[]
  /** State keys (relays, valves, loads) it reads. */
  state: readonly string[]
  /** Takes the whole row on a wide screen (it has a chart). */
  wide?: boolean
}

export const WIDGETS: readonly WidgetSpec[] = [
  {
    id: 'cold',
    kinds: COLD_KINDS,
    component: ColdRoomWidget,
    metrics: ['temperature_c', 'evaporator_c', 'door_open'],
    state: ['compressor', 'defrost'],
    wide: true,
  },
  {
    id: 'irrigation',
    kinds: ['irrigation_controller', 'soil_sensor', 'rain_gauge', 'tank_level', 'flow_meter'],
    component: IrrigationWidget,
    metrics: ['soil_moisture_pct', 'flow_lpm', 'volume_l', 'rain_mm_h', 'rain_24h_mm', 'level_pct'],
    state: ['valve_1', 'pump'],
  },
  {
    id: 'energy',
    kinds: ['energy_meter'],
    component: EnergyWidget,
    metrics: ['power_kw', 'energy_kwh', 'voltage_v', 'current_a'],
    state: [],
  },
  {
    id: 'occupancy',
    kinds: ['people_counter', 'air_quality', 'ambient_sensor'],
    component: OccupancyWidget,
    metrics: ['people', 'co2_ppm', 'temperature_c', 'humidity_pct', 'noise_dba'],
    state: ['fan', 'extractor'],
  },
  {
    id: 'rfid',
    kinds: ['rfid_reader', 'access_door'],
    component: RfidWidget,
    metrics: ['swipes', 'door_open'],
    state: [],
  },
]

export const GENERIC_WIDGET: WidgetSpec = { id: 'generic', kinds: [], component: GenericWidget, metrics: [], state: [] }

export function widgetFor(kind: string, widgets: readonly WidgetSpec[] = WIDGETS): WidgetSpec {
  return widgets.find((w) => w.kinds.includes(kind)) ?? GENERIC_WIDGET
}

/** The declared names first (in their order), then the rest the device reports, by name. */
export function orderedNames(declared: readonly string[], reported: readonly string[]): string[] {
  const extra = reported.filter((name) => !declared.includes(name)).sort()
  return [...declared.filter((name) => reported.includes(name)), ...extra]
}
