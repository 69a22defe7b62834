import { describePack, local, series, state } from './scenarios.js'

const TABLERO = 'tablero-tienda'
const power = (points: [number, number][]) => series(TABLERO, 'power_kw', points)
const hvac = (on: boolean, m: number) => state(TABLERO, { hvac: on }, m)
const SUNDAY = 6

describePack('tienda-ropa', {
  'tienda-luces-salon': {
    fires: 'at 09:45 on a Monday',
    firing: { events: power([[0, 1]]), at: local('09:45'), until: local('09:50'), tickSeconds: 60 },
    nearMiss: 'all Sunday, the store is closed',
    notFiring: { events: power([[local('08:00', SUNDAY), 1]]), until: local('22:00', SUNDAY), tickSeconds: 60 },
  },
  'tienda-luces-vidriera': {
    fires: 'at 09:45 on a Sunday too',
    firing: { events: power([[local('08:00', SUNDAY), 1]]), at: local('09:45', SUNDAY), until: local('10:00', SUNDAY), tickSeconds: 60 },
    nearMiss: 'from 23:31 to 09:44 the next morning',
    notFiring: { events: power([[local('23:31'), 1]]), until: local('09:44', 1), tickSeconds: 60 },
  },
  'tienda-clima-horario': {
    fires: 'at 09:30 with 4 kW drawn',
    firing: { events: power([[0, 4]]), at: local('09:30'), until: local('09:35') },
    nearMiss: 'at 09:30 with 7.5 kW drawn: no room under the contracted power',
    notFiring: { events: power([[0, 7.5]]), until: local('10:00') },
  },
  'tienda-potencia-contratada': {
    fires: 'over 9.5 kW for 5 minutes',
    firing: { events: power([[0, 10], [2, 10.2], [4, 9.8]]), at: 5, until: 6 },
    nearMiss: '4 minutes over, a dip to 9 kW, 4 more minutes over',
    notFiring: { events: power([[0, 10], [4, 9], [5, 10]]), until: 9 },
  },
  'tienda-clima-fuera-de-horario': {
    fires: 'HVAC switched on at 21:00 and left on 10 minutes',
    firing: { events: [...power([[local('20:40'), 1]]), hvac(true, local('21:00'))], at: local('21:10'), until: local('21:15') },
    nearMiss: 'HVAC switched off 5 minutes after closing',
    notFiring: { events: [...power([[local('19:40'), 5]]), hvac(true, local('19:50')), hvac(false, local('20:05'))], until: local('20:40') },
  },
  'tienda-consumo-fuera-de-horario': {
    fires: '3 kW for 30 minutes at night',
    firing: { events: power([[local('20:40'), 1], [local('21:00'), 3], [local('21:20'), 2.8]]), at: local('21:30'), until: local('21:40') },
    nearMiss: '1.8 kW all night (shop window and fridge)',
    notFiring: { events: power([[local('20:40'), 1], [local('21:00'), 1.8]]), until: local('22:20'), tickSeconds: 10 },
  },
  'tienda-temperatura-alta': {
    fires: 'shop floor at 28.5 °C from 10:00 for 30 minutes',
    firing: { events: series('clima-salon', 'temperature_c', [[0, 26], [local('10:00'), 28.5], [local('10:20'), 29]]), at: local('10:30'), until: local('10:35') },
    nearMiss: '25 hot minutes, then the HVAC catches up',
    notFiring: { events: series('clima-salon', 'temperature_c', [[0, 26], [local('10:00'), 28.5], [local('10:25'), 26.5]]), until: local('11:00') },
  },
  'tienda-medidor-sin-datos': {
    fires: 'no power reading for 15 minutes',
    firing: { events: power([[0, 3]]), at: 15, until: 20 },
    nearMiss: 'a reading every 5 minutes',
    notFiring: { events: power([[0, 3], [5, 3], [10, 3], [15, 3], [20, 3], [25, 3]]), until: 30 },
  },
})
