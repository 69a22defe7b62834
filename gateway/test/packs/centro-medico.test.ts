import { describePack, event, repeated, series, state } from './scenarios.js'

const FRIDGE = 'heladera-vacunas'
const fridge = (points: [number, number][]) => series(FRIDGE, 'temperature_c', points)
const co2 = (points: [number, number][]) => series('sala-espera', 'co2_ppm', points)
const perMinute = (from: number, to: number, value: (m: number) => number) =>
  Array.from({ length: to - from + 1 }, (_, i): [number, number] => [from + i, value(from + i)])

describePack('centro-medico', {
  'med-vacunas-preaviso': {
    fires: 'above 7 °C for 15 minutes',
    firing: { events: fridge([[0, 7.2], [10, 7.5]]), at: 15, until: 20 },
    nearMiss: 'above 7 °C for 12 minutes, then back to 6.4 °C',
    notFiring: { events: fridge([[0, 7.2], [12, 6.4]]), until: 30 },
  },
  'med-vacunas-alta': {
    fires: 'above 8 °C for 10 minutes',
    firing: { events: fridge([[0, 8.3], [5, 8.6]]), at: 10, until: 12 },
    nearMiss: '9 minutes above 8 °C, a reading of 7.9 °C, 9 more minutes above',
    notFiring: { events: fridge([[0, 8.3], [9, 7.9], [10, 8.1]]), until: 19 },
  },
  'med-vacunas-baja': {
    fires: 'below 2 °C for 10 minutes',
    firing: { events: fridge([[0, 1.8], [5, 1.5]]), at: 10, until: 12 },
    nearMiss: 'at exactly 2 °C for half an hour',
    notFiring: { events: fridge([[0, 2], [10, 2.1], [20, 2]]), until: 30 },
  },
  'med-vacunas-congelamiento': {
    fires: 'below 0 °C for 2 minutes',
    firing: { events: fridge([[0, 0.5], [1, -0.2], [2, -0.5], [3, -0.6]]), at: 3 },
    nearMiss: 'below 0 °C for 90 s',
    notFiring: { events: fridge([[0, 0.5], [1, -0.2], [2.5, 0.3]]), until: 10 },
  },
  'med-vacunas-puerta': {
    fires: 'door open for a minute',
    firing: { events: series(FRIDGE, 'door_open', [[0, 1]]), at: 1, until: 2 },
    nearMiss: 'door open for 45 s',
    notFiring: { events: series(FRIDGE, 'door_open', [[0, 1], [0.75, 0]]), until: 5 },
  },
  'med-vacunas-sin-datos': {
    fires: 'no temperature for 15 minutes',
    firing: { events: fridge([[0, 5]]), at: 15, until: 20 },
    nearMiss: 'a reading every 5 minutes',
    notFiring: { events: fridge([[0, 5], [5, 5], [10, 5], [15, 5], [20, 5], [25, 5], [30, 5]]), until: 35 },
  },
  'med-vacunas-aperturas': {
    fires: 'the 16th opening within the hour',
    firing: { events: repeated(16, 3, 0, (m) => event(FRIDGE, 'door.opened', m)), at: 45 },
    nearMiss: '15 openings in the hour',
    notFiring: { events: repeated(15, 3, 0, (m) => event(FRIDGE, 'door.opened', m)), until: 60 },
  },
  'med-sala-ventilar': {
    fires: 'CO₂ above 900 ppm for 2 minutes',
    firing: { events: co2([[0, 700], [10, 950], [12, 980]]), at: 12 },
    nearMiss: 'CO₂ above 900 ppm for 1 minute',
    notFiring: { events: co2([[0, 700], [10, 950], [11, 880]]), until: 20 },
  },
  'med-sala-co2-alto': {
    fires: 'CO₂ above 1500 ppm for 10 minutes',
    firing: { events: co2([[0, 1200], [5, 1550], [10, 1600]]), at: 15, until: 20 },
    nearMiss: 'CO₂ above 1500 ppm for 7 minutes',
    notFiring: { events: co2([[0, 1200], [5, 1550], [12, 1450]]), until: 30 },
  },
  'med-sala-capacidad': {
    fires: '26 people for a minute',
    firing: { events: series('contador-sala', 'people', [[0, 20], [5, 26], [6, 27]]), at: 6 },
    nearMiss: 'exactly 25 people',
    notFiring: { events: series('contador-sala', 'people', [[0, 20], [5, 25], [10, 24]]), until: 15 },
  },
  'med-ventilacion-sin-efecto': {
    fires: 'fan on and CO₂ rising 15 ppm/min for 20 minutes',
    firing: { events: [state('ventilacion-sala', { fan: true }, 0), ...co2(perMinute(0, 25, (m) => 1000 + 15 * m))], at: 20 },
    // The old 5-minute hold fired here: CO₂ keeps rising for a while after the fan starts.
    nearMiss: 'fan on, CO₂ rises for 12 more minutes and then falls',
    notFiring: {
      events: [state('ventilacion-sala', { fan: true }, 0), ...co2(perMinute(0, 30, (m) => (m <= 12 ? 1000 + 15 * m : 1180 - 10 * (m - 12))))],
      until: 35,
    },
  },
})
