import { describePack, local, series, state } from './scenarios.js'

const CTRL = 'riego-ctrl'
const soil = (points: [number, number][]) => series('suelo-1', 'soil_moisture_pct', points)
const rain24h = (points: [number, number][]) => series('pluviometro', 'rain_24h_mm', points)
const flow = (points: [number, number][]) => series(CTRL, 'flow_lpm', points)
const valve = (open: boolean, m: number) => state(CTRL, { valve_1: open }, m)

describePack('riego', {
  'riego-regar': {
    fires: 'dry soil and no rain when the 20:00 window opens',
    firing: { events: [...rain24h([[local('19:00'), 0]]), ...soil([[local('19:00'), 25], [local('19:40'), 24]])], at: local('20:00'), until: local('20:10'), tickSeconds: 60 },
    nearMiss: 'dry soil at 20:00, but 8 mm of rain in the last 24 h',
    notFiring: { events: [...rain24h([[local('19:00'), 8]]), ...soil([[local('19:00'), 25], [local('19:40'), 24]])], until: local('21:00'), tickSeconds: 60 },
  },
  'riego-corte-lluvia': {
    fires: 'raining over 0.5 mm/h for 2 minutes',
    firing: { events: series('pluviometro', 'rain_mm_h', [[0, 1.2], [1, 2]]), at: 2, until: 5 },
    nearMiss: 'an hour of drizzle at 0.4–0.5 mm/h',
    notFiring: { events: series('pluviometro', 'rain_mm_h', [[0, 0.4], [30, 0.5], [60, 0.4]]), until: 70 },
  },
  'riego-tiempo-maximo': {
    fires: 'valve open for 60 minutes',
    firing: { events: [valve(true, 0)], at: 60, until: 65 },
    nearMiss: 'valve closed after 55 minutes',
    notFiring: { events: [valve(true, 0), valve(false, 55)], until: 90 },
  },
  'riego-fuga': {
    fires: '4 L/min for 5 minutes with the valve closed',
    firing: { events: [valve(false, 0), ...flow([[1, 4], [4, 4]])], at: 6, until: 8 },
    nearMiss: 'the pipe draining for 2 minutes after the valve closed',
    notFiring: { events: [valve(false, 0), ...flow([[0, 6], [1, 2.5], [2, 0.3], [10, 0]])], until: 20 },
  },
  'riego-sin-caudal': {
    fires: 'valve open, no flow for 3 minutes',
    firing: { events: [valve(true, 0), ...flow([[0, 0], [1, 0.2], [2, 0.5]])], at: 3, until: 5 },
    nearMiss: 'flow taking 2 minutes to build up',
    notFiring: { events: [valve(true, 0), ...flow([[0, 0], [1, 0.5], [2, 12], [3, 25]])], until: 10 },
  },
  'riego-caudal-excesivo': {
    fires: 'about 78 L/min for a minute',
    firing: { events: flow([[0, 25], [1, 75], [1.5, 80], [2, 78]]), at: 2 },
    nearMiss: '65 L/min for 48 s (a pressure surge)',
    notFiring: { events: flow([[0, 25], [1, 65], [1.8, 40]]), until: 5 },
  },
  'riego-tanque-bajo': {
    fires: 'tank below 15 % for a minute',
    firing: { events: series('tanque', 'level_pct', [[0, 20], [5, 14], [5.5, 13], [6, 13]]), at: 6 },
    nearMiss: 'tank at exactly 15 %',
    notFiring: { events: series('tanque', 'level_pct', [[0, 20], [5, 15], [10, 16]]), until: 20 },
  },
  'riego-suelo-sin-datos': {
    fires: 'no soil moisture for 45 minutes',
    firing: { events: soil([[0, 35]]), at: 45, until: 50 },
    nearMiss: 'a reading every 15 minutes',
    notFiring: { events: soil([[0, 35], [15, 34], [30, 34], [45, 33], [60, 33]]), until: 70 },
  },
})
