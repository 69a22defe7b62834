import { describePack, event, repeated, series } from './scenarios.js'

const people = (points: [number, number][]) => series('contador-puerta', 'people', points)
const co2 = (points: [number, number][]) => series('sensor-pista', 'co2_ppm', points)
const noise = (points: [number, number][]) => series('sensor-pista', 'noise_dba', points)

describePack('bar-boliche', {
  'bar-capacidad-aviso': {
    fires: 'over 450 people for a minute',
    firing: { events: people([[0, 400], [10, 455], [10.5, 470], [11, 480]]), at: 11 },
    nearMiss: '455 people for 48 s, then some leave',
    notFiring: { events: people([[0, 400], [10, 455], [10.8, 440]]), until: 15 },
  },
  'bar-capacidad-completa': {
    fires: '501 people for 30 s',
    firing: { events: people([[0, 480], [5, 501], [5.5, 503]]), at: 5.5 },
    nearMiss: 'exactly 500 people, the licensed capacity',
    notFiring: { events: people([[0, 480], [5, 500], [6, 499]]), until: 10 },
  },
  'bar-co2-ventilacion': {
    fires: 'CO₂ above 1200 ppm for 2 minutes',
    firing: { events: co2([[0, 900], [10, 1250], [11, 1300], [12, 1350]]), at: 12 },
    nearMiss: 'CO₂ above 1200 ppm for 90 s',
    notFiring: { events: co2([[0, 900], [10, 1250], [11.5, 1150]]), until: 20 },
  },
  'bar-co2-alto': {
    fires: 'CO₂ above 2500 ppm for 5 minutes',
    firing: { events: co2([[0, 2000], [5, 2600], [8, 2700]]), at: 10, until: 12 },
    nearMiss: 'CO₂ above 2500 ppm for 4 minutes',
    notFiring: { events: co2([[0, 2000], [5, 2600], [9, 2400]]), until: 20 },
  },
  'bar-ruido': {
    fires: '104 dBA for 10 minutes',
    firing: { events: noise([[0, 98], [1, 104], [6, 105]]), at: 11, until: 15 },
    nearMiss: 'loud for 8 minutes, a quieter track, loud again for 9',
    notFiring: { events: noise([[0, 98], [1, 104], [9, 100], [10, 104]]), until: 19 },
  },
  'bar-puerta-forzada': {
    fires: 'the reader reports a forced door',
    firing: { events: [event('lector-vip', 'door.opened', 1), event('lector-vip', 'door.forced', 3)], at: 3 },
    nearMiss: 'doors opened after granted swipes',
    notFiring: { events: [event('lector-vip', 'door.opened', 3), event('lector-vip', 'door.opened', 4), event('lector-entrada', 'door.forced', 5)], until: 10 },
  },
  'bar-puerta-deposito-abierta': {
    fires: 'storeroom open for 2 minutes',
    firing: { events: series('lector-vip', 'door_open', [[0, 1]]), at: 2, until: 3 },
    nearMiss: 'storeroom open for 90 s',
    notFiring: { events: series('lector-vip', 'door_open', [[0, 1], [1.5, 0]]), until: 5 },
  },
  'bar-tarjeta-barridos': {
    fires: 'the 9th swipe within 40 s',
    firing: { events: repeated(9, 5 / 60, 0, (m) => event('lector-vip', 'rfid.swipe', m)), at: 40 / 60 },
    nearMiss: '9 swipes spread over a full minute',
    notFiring: { events: repeated(9, 7.5 / 60, 0, (m) => event('lector-vip', 'rfid.swipe', m)), until: 2 },
  },
  'bar-freezer-alto': {
    fires: 'ice freezer above −10 °C for 20 minutes',
    firing: { events: series('freezer-hielo', 'temperature_c', [[0, -9], [10, -8]]), at: 20, until: 25 },
    nearMiss: 'ice freezer recovering to −13 °C after 15 minutes',
    notFiring: { events: series('freezer-hielo', 'temperature_c', [[0, -9], [15, -13]]), until: 40 },
  },
  'bar-freezer-puerta': {
    fires: 'lid open for 5 minutes',
    firing: { events: series('freezer-hielo', 'door_open', [[0, 1]]), at: 5, until: 6 },
    nearMiss: 'lid open for 4 minutes',
    notFiring: { events: series('freezer-hielo', 'door_open', [[0, 1], [4, 0]]), until: 10 },
  },
  'bar-lector-sin-conexion': {
    fires: 'no heartbeat for 3 minutes',
    firing: { events: series('lector-entrada', 'door_open', [[0, 0]]), at: 3, until: 5 },
    nearMiss: 'a heartbeat every minute and a swipe',
    notFiring: {
      events: [...series('lector-entrada', 'door_open', [[0, 0], [1, 0], [2, 0], [3, 0], [4, 0]]), event('lector-entrada', 'rfid.swipe', 6, { card: '04A1B2C3' })],
      until: 8.5,
    },
  },
})
