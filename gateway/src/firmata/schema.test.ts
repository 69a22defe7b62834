import { describe, expect, it } from 'vitest'
import { compile } from '@tendero/protocol'
import { FirmataDeviceSchema, explainFirmata, explainFirmataPorts, type FirmataDeviceConfig } from './schema.js'

const board = (over: Partial<FirmataDeviceConfig> = {}): FirmataDeviceConfig => ({
  port: '/dev/ttyACM0',
  sensors: [{ pin: 'A0', metric: 'temperature_c' }],
  relays: [{ name: 'horno', pin: 7 }],
  inputs: [{ pin: 2, state: 'puerta_abierta' }],
  ...over,
})

describe('firmata schema', () => {
  const validator = compile(FirmataDeviceSchema)

  it('takes analog pins as A0–A15 and digital pins as numbers', () => {
    expect(validator.check(board())).toBe(true)
    expect(validator.check(board({ sensors: [{ pin: 'A15', metric: 'x' }] }))).toBe(true)
    expect(validator.check(board({ sensors: [{ pin: 'A16', metric: 'x' }] }))).toBe(false)
    expect(validator.check(board({ sensors: [{ pin: 14 as never, metric: 'x' }] }))).toBe(false)
    expect(validator.check(board({ relays: [{ name: 'horno', pin: 'D7' as never }] }))).toBe(false)
    expect(validator.check({ ...board(), extra: 1 })).toBe(false)
  })

  it('accepts a consistent board', () => {
    expect(explainFirmata(board(), ['horno'], '/devices/0/firmata')).toEqual([])
  })

  it('names every cross-field problem with its path', () => {
    const cfg = board({
      sensors: [
        { pin: 'A0', metric: 't' },
        { pin: 'A0', metric: 't', scale: 0 },
      ],
      relays: [
        { name: 'horno', pin: 2 },
        { name: 'horno', pin: 8 },
      ],
      inputs: [{ pin: 9, state: 'horno' }],
    })
    expect(explainFirmata(cfg, ['horno', 'luz'], '/p')).toEqual([
      '/p/sensors/1/pin: pin A0 is already used by /p/sensors/0/pin',
      '/p/sensors/1/metric: duplicate metric "t"',
      '/p/sensors/1/scale: must not be 0',
      '/p/relays/1/name: duplicate relay "horno"',
      '/p/inputs/0/state: "horno" is already a relay or input of this device',
      '/p/relays: relay "luz" of the device needs a pin here',
    ])
    // Digital pin 2 is an input and a relay at once.
    expect(explainFirmata(board({ relays: [{ name: 'horno', pin: 2 }] }), ['horno'], '/p')).toEqual([
      '/p/inputs/0/pin: pin 2 is already used by /p/relays/0/pin',
    ])
  })

  it('wants something to drive', () => {
    expect(explainFirmata({ port: '/dev/ttyACM0' }, [], '/p')).toEqual(['/p: declare at least one of sensors, relays, inputs'])
  })

  it('gives each serial port to one board, and not to a Modbus RTU bus', () => {
    expect(
      explainFirmataPorts([
        { modbus: { transport: 'rtu', path: '/dev/ttyUSB0' } },
        { firmata: board() },
        { firmata: board({ port: '/dev/ttyUSB0' }) },
        { firmata: board() },
        { firmata: board({ port: '/dev/ttyACM1' }) },
      ]),
    ).toEqual([
      '/devices/2/firmata/port: /dev/ttyUSB0 is already taken by /devices/0/modbus/path',
      '/devices/3/firmata/port: /dev/ttyACM0 is already taken by /devices/1/firmata/port',
    ])
  })
})
