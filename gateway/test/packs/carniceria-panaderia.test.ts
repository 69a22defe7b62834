import { describePack, event, local, reading, repeated, series, state } from './scenarios.js'

const CAMARA = 'camara-carne'
const HORNO = 'horno-pan'
const temp = (points: [number, number][]) => series(CAMARA, 'temperature_c', points)
const oven = (points: [number, number][]) => series(HORNO, 'temperature_c', points)
const defrost = (on: boolean, m: number) => state(CAMARA, { defrost: on }, m)
const burner = (on: boolean, m: number) => state(HORNO, { burner: on }, m)
// An oven at 220 °C read every 30 s for the first five minutes.
const steadyOven = Array.from({ length: 11 }, (_, i): [number, number] => [i / 2, 220])

describePack('carniceria-panaderia', {
  'carn-camara-enfriar': {
    fires: 'above 4 °C for a minute while not defrosting',
    firing: { events: [defrost(false, 0), ...temp([[0, 3.5], [1, 4.5], [2.5, 4.6]])], at: 2 },
    nearMiss: 'as warm, but during a defrost',
    notFiring: { events: [defrost(true, 0), ...temp([[0, 3.5], [1, 4.5], [3, 5]])], until: 5 },
  },
  'carn-camara-apagar': {
    fires: 'below 1 °C for 30 s',
    firing: { events: temp([[0, 2], [1, 0.8], [1.2, 0.7]]), at: 1.5, until: 3 },
    nearMiss: 'below 1 °C for only 18 s',
    notFiring: { events: temp([[0, 2], [1, 0.8], [1.3, 1.2]]), until: 5 },
  },
  'carn-camara-alta': {
    fires: 'above 6 °C for 15 minutes outside defrost',
    firing: { events: [defrost(false, 0), ...temp([[1, 6.5], [10, 7]])], at: 16, until: 20 },
    nearMiss: '19 warm minutes, but only 10 of them after the defrost',
    notFiring: { events: [defrost(true, 0), ...temp([[1, 6.5]]), defrost(false, 10)], until: 20 },
  },
  'carn-camara-critica': {
    fires: 'above 8 °C for 20 minutes',
    firing: { events: temp([[0, 8.5], [10, 9]]), at: 20, until: 25 },
    nearMiss: '19 minutes above 8 °C, a dip to 7.5 °C, then 15 more',
    notFiring: { events: temp([[0, 8.5], [19, 7.5], [20, 8.5]]), until: 35 },
  },
  'carn-camara-congelamiento': {
    fires: 'below −2 °C for 10 minutes',
    firing: { events: temp([[0, -2.5], [5, -3]]), at: 10, until: 12 },
    nearMiss: 'at −1.9 °C for half an hour',
    notFiring: { events: temp([[0, -1.9], [5, -1.5], [20, -1.9]]), until: 30 },
  },
  'carn-camara-puerta-abierta': {
    fires: 'door open for 3 minutes',
    firing: { events: series(CAMARA, 'door_open', [[0, 1]]), at: 3, until: 5 },
    nearMiss: 'door closed after 2 min 54 s',
    notFiring: { events: series(CAMARA, 'door_open', [[0, 1], [2.9, 0]]), until: 10 },
  },
  'carn-camara-aperturas': {
    fires: 'the 31st opening within the hour',
    firing: { events: repeated(31, 1.5, 0, (m) => event(CAMARA, 'door.opened', m)), at: 45 },
    nearMiss: '31 openings spread over 63 minutes',
    notFiring: { events: repeated(31, 2.1, 0, (m) => event(CAMARA, 'door.opened', m)), until: 70 },
  },
  'carn-camara-descongelar': {
    fires: 'the 14:00 defrost window opens',
    firing: { events: temp([[0, 2]]), at: local('14:00'), until: local('14:05'), tickSeconds: 60 },
    nearMiss: 'from 09:00 to 13:59, between windows',
    notFiring: { events: temp([[0, 2]]), until: local('13:59'), tickSeconds: 60 },
  },
  'carn-camara-fin-descongelamiento': {
    fires: 'evaporator above 10 °C for 30 s during defrost',
    firing: { events: [defrost(true, 0), ...series(CAMARA, 'evaporator_c', [[0, -5], [10, 5], [15, 10.5], [16, 11]])], at: 15.5 },
    nearMiss: 'evaporator above 10 °C for 18 s only',
    notFiring: { events: [defrost(true, 0), ...series(CAMARA, 'evaporator_c', [[0, -5], [15, 10.5], [15.3, 9]])], until: 20 },
  },
  'carn-camara-descongelamiento-largo': {
    fires: 'defrost heater on for 45 minutes',
    firing: { events: [defrost(true, 0)], at: 45, until: 50 },
    nearMiss: 'defrost that ends after 30 minutes',
    notFiring: { events: [defrost(true, 0), defrost(false, 30)], until: 60 },
  },
  'carn-camara-compresor-sin-enfriar': {
    fires: 'compressor on 30 minutes with the room still above 6 °C',
    firing: { events: [state(CAMARA, { compressor: true }, 0), ...temp([[0, 7], [15, 6.8]])], at: 30, until: 35 },
    nearMiss: 'compressor on, room cooling down to 5.4 °C within 20 minutes',
    notFiring: { events: [state(CAMARA, { compressor: true }, 0), ...temp([[0, 7], [10, 6.5], [20, 5.4]])], until: 40 },
  },
  'carn-camara-sin-datos': {
    fires: 'no temperature for 10 minutes',
    firing: { events: temp([[0, 2]]), at: 10, until: 15 },
    nearMiss: 'a reading every 5 minutes',
    notFiring: { events: temp([[0, 2], [5, 2], [10, 2], [15, 2], [20, 2], [25, 2], [30, 2]]), until: 34 },
  },
  'pan-horno-sobretemperatura': {
    fires: 'above 280 °C for 30 s',
    firing: { events: oven([[0, 270], [1, 285], [1.5, 290]]), at: 1.5 },
    nearMiss: 'above 280 °C for 24 s',
    notFiring: { events: oven([[0, 270], [1, 285], [1.4, 275]]), until: 5 },
  },
  'pan-horno-listo': {
    fires: 'above 215 °C for a minute',
    firing: { events: oven([[0, 150], [10, 210], [20, 216], [21, 220]]), at: 21 },
    nearMiss: 'preheating that stalls at 214.9 °C',
    notFiring: { events: oven([[0, 150], [10, 210], [20, 214], [30, 214.9]]), until: 40 },
  },
  'pan-horno-no-llega': {
    fires: 'burner on 45 minutes and still below 200 °C',
    firing: { events: [burner(true, 0), ...oven([[0, 25], [15, 100], [30, 180], [44, 195]])], at: 45, until: 50 },
    nearMiss: 'burner on, 206 °C after 40 minutes',
    notFiring: { events: [burner(true, 0), ...oven([[0, 25], [15, 120], [30, 190], [40, 206]])], until: 60 },
  },
  'pan-horno-pierde-temperatura': {
    fires: 'burner on and the oven falling 5 °C/min (flame out)',
    firing: {
      events: [burner(true, 0), ...oven([...steadyOven, ...Array.from({ length: 14 }, (_, i): [number, number] => [5.5 + i / 2, 220 - 5 * (0.5 + i / 2)])])],
      at: 11,
    },
    nearMiss: 'door opened to load: 25 °C lost and recovered within two minutes',
    notFiring: {
      events: [burner(true, 0), ...oven([...steadyOven, [5.5, 205], [6, 195], [6.5, 205], [7, 212], [7.5, 218], [8, 220], [9, 220], [10, 220], [11, 220], [12, 220]])],
      until: 15,
    },
  },
  'pan-horno-fuera-de-horario': {
    fires: 'oven hot 20 minutes after the 21:30 closing',
    firing: { events: oven([[local('21:00'), 200], [local('21:20'), 190], [local('21:40'), 180], [local('22:00'), 170]]), at: local('21:50'), until: local('22:10'), tickSeconds: 60 },
    nearMiss: 'oven cooling below 100 °C five minutes after closing',
    notFiring: { events: oven([[local('21:00'), 200], [local('21:20'), 150], [local('21:35'), 95]]), until: local('22:30'), tickSeconds: 60 },
  },
})
