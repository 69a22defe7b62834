import type { ColdRoomParams } from './cold-room.js'
import type { OccupancyParams } from './occupancy.js'
import type { OvenParams } from './oven.js'

/**
 * Parameter sets for the devices the verticals install, so scenarios name a preset
 * instead of repeating physics constants. Values are rounded from equipment data sheets
 * and the usual rules of thumb; each is checked by a test.
 */

/** A 150 L pharmacy/vaccine fridge: small mass, good insulation, a 2–8 °C duty. */
export const vaccineFridge: Readonly<Partial<ColdRoomParams>> = Object.freeze({
  capacitanceJPerK: 60_000, // J/K (cabinet, shelves, ~20 kg of vials and water packs)
  uaWPerK: 1.5, // W/K → τ ≈ 11 h with the door shut
  ambientC: 24,
  compressorCapacityW: 120, // W
  doorHeatW: 60, // W while open
  productLoadW: 3, // W (fan, light)
  doorOpeningsPerHour: 3,
  doorOpenMeanS: 15,
  defrostIntervalS: 0,
})

/**
 * A bar's upright ice freezer (about 400 L, −18 °C) behind the counter. The probe reads the
 * cabinet air, which is what a lumped model with a small mass stands for: a door left open
 * a few minutes lifts it well above −10 °C and the compressor needs most of an hour to win
 * it back, while the ice itself would still be hard. Driven by its own thermostat.
 */
export const iceFreezer: Readonly<Partial<ColdRoomParams>> = Object.freeze({
  capacitanceJPerK: 30_000, // J/K (cabinet air, liner and shelves the probe follows)
  uaWPerK: 3, // W/K
  ambientC: 26, // behind a bar at night
  compressorCapacityW: 300, // W (a ¼ HP unit at −25 °C evaporation)
  doorHeatW: 2_500, // W while open: warm bar air floods the cabinet
  productLoadW: 20, // W (fan, light)
  doorOpeningsPerHour: 6,
  doorOpenMeanS: 6,
  defrostIntervalS: 0,
})

/** A butcher's walk-in with a 6-hourly 20-minute defrost (the default room plus defrost). */
export const butcherColdRoom: Readonly<Partial<ColdRoomParams>> = Object.freeze({
  doorOpeningsPerHour: 6,
  defrostIntervalS: 6 * 3600,
  defrostDurationS: 20 * 60,
})

/** A bakery deck oven: bigger mass and heater than the default convection oven. */
export const bakeryDeckOven: Readonly<Partial<OvenParams>> = Object.freeze({
  capacitanceJPerK: 250_000, // J/K (stone decks)
  uaWPerK: 20, // W/K
  heaterW: 15_000, // W
  hysteresisK: 4,
  doorOpeningsPerHour: 4,
  doorOpenMeanS: 25,
})

/** A clinic waiting room: open 08–20, long waits, small room, mechanical ventilation off by default. */
export const clinicWaitingRoom: Readonly<Partial<OccupancyParams>> = Object.freeze({
  hourlyArrivals: Object.freeze([0, 0, 0, 0, 0, 0, 0, 0, 8, 12, 12, 10, 8, 6, 8, 10, 10, 8, 6, 4, 0, 0, 0, 0]),
  dwellMeanS: 35 * 60,
  volumeM3: 75,
  ventilationAch: 0.8,
  fanAch: 5,
})

/** A bar/boliche: crowded late at night, packed and poorly ventilated until the fan runs. */
export const barFloor: Readonly<Partial<OccupancyParams>> = Object.freeze({
  hourlyArrivals: Object.freeze([80, 60, 30, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 10, 20, 40, 70, 90]),
  dwellMeanS: 90 * 60,
  volumeM3: 400,
  ventilationAch: 1.5,
  fanAch: 6,
  co2PerPersonM3PerS: 0.007e-3, // standing, dancing: more than seated
})
