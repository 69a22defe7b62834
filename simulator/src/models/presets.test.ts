import { describe, expect, it } from 'vitest'
import { ColdRoomModel } from './cold-room.js'
import { OccupancyModel } from './occupancy.js'
import { OvenModel } from './oven.js'
import { barFloor, bakeryDeckOven, butcherColdRoom, clinicWaitingRoom, iceFreezer, vaccineFridge } from './presets.js'

const HOUR = 3600

describe('device presets', () => {
  it('a vaccine fridge under a 2–8 °C thermostat stays in range through door openings', () => {
    for (const seed of [1, 2, 3]) {
      const fridge = new ColdRoomModel({ ...vaccineFridge, seed }, { startTempC: 5 })
      let lo = Number.POSITIVE_INFINITY
      let hi = Number.NEGATIVE_INFINITY
      for (let t = 0; t < 24 * HOUR; t += 30) {
        if (fridge.temperatureC > 6) fridge.setCompressor(true)
        else if (fridge.temperatureC < 4) fridge.setCompressor(false)
        fridge.step(30)
        lo = Math.min(lo, fridge.temperatureC)
        hi = Math.max(hi, fridge.temperatureC)
      }
      expect(lo).toBeGreaterThan(2)
      expect(hi).toBeLessThan(8)
      // Without power it leaves the 2–8 °C range within a few hours, which is what alarms are for.
      fridge.setCompressor(false)
      fridge.step(4 * HOUR)
      expect(fridge.temperatureC).toBeGreaterThan(8)
    }
  })

  it('the ice freezer holds −20…−16 °C under its thermostat, and a door left open 6 min lifts it above −10 °C for over 20 min', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const freezer = new ColdRoomModel({ ...iceFreezer, seed }, { startTempC: -18 })
      const thermostat = () => {
        if (freezer.sensorC > -16) freezer.setCompressor(true)
        else if (freezer.sensorC < -20) freezer.setCompressor(false)
      }
      let hi = Number.NEGATIVE_INFINITY
      for (let t = 0; t < 24 * HOUR; t += 10) {
        thermostat()
        freezer.step(10)
        hi = Math.max(hi, freezer.temperatureC)
      }
      expect(hi).toBeLessThan(-13)
      freezer.holdDoor(true)
      for (let t = 0; t < 360; t += 10) {
        thermostat()
        freezer.step(10)
      }
      freezer.holdDoor(false)
      let aboveS = 0
      for (let t = 0; t < 3 * HOUR; t += 10) {
        thermostat()
        freezer.step(10)
        if (freezer.temperatureC > -10) aboveS += 10
      }
      expect(aboveS).toBeGreaterThan(25 * 60)
      expect(aboveS).toBeLessThan(90 * 60)
      expect(freezer.temperatureC).toBeLessThan(-15)
    }
  })

  it('the butcher room defrosts four times a day', () => {
    const room = new ColdRoomModel(butcherColdRoom)
    let starts = 0
    let was = false
    for (let t = 0; t < 24 * HOUR + 60; t += 60) {
      room.step(60)
      if (room.defrosting && !was) starts++
      was = room.defrosting
    }
    expect(starts).toBe(4)
  })

  it('the deck oven reaches 250 °C in about 75 min (stone decks are slow) and holds it', () => {
    const oven = new OvenModel({ ...bakeryDeckOven, doorOpeningsPerHour: 0 }, { powered: true, setpointC: 250 })
    oven.step(HOUR)
    expect(oven.temperatureC).toBeLessThan(246) // not yet
    oven.step(HOUR / 2)
    expect(Math.abs(oven.temperatureC - 250)).toBeLessThanOrEqual(4 + 1e-9)
    oven.step(5 * HOUR)
    expect(Math.abs(oven.temperatureC - 250)).toBeLessThanOrEqual(4 + 1e-9)
  })

  it('crowds: the clinic and the bar reach CO₂ levels that call for the fan, and the fan brings them down', () => {
    for (const [preset, hour] of [
      [clinicWaitingRoom, 12],
      [barFloor, 1],
    ] as const) {
      const still = new OccupancyModel({ ...preset, seed: 5 })
      const fanned = new OccupancyModel({ ...preset, seed: 5 }, { fanOn: true })
      const until = (hour < 6 ? 24 + hour : hour) * HOUR
      still.step(until)
      fanned.step(until)
      expect(still.occupancy).toBeGreaterThan(5)
      expect(still.co2Ppm).toBeGreaterThan(1_000)
      expect(fanned.co2Ppm).toBeLessThan(still.co2Ppm - 300)
    }
  })
})
