import { describe, expect, it } from 'vitest'
import { loadScenario, parseScenario, scenarioNames } from './schema.js'

const minimal = () => ({
  name: 'x',
  title: 'X',
  description: 'x',
  startAt: '08:00',
  devices: [{ id: 'camara-1', name: 'Cámara', model: 'cold-room', intervalS: 30 }],
  events: [],
})

describe('scenario schema', () => {
  it('ships the five verticals and each validates', () => {
    expect(scenarioNames()).toEqual(['bar-boliche', 'carniceria-panaderia', 'centro-medico', 'riego', 'tienda-ropa'])
    for (const name of scenarioNames()) expect(loadScenario(name).name).toBe(name)
  })

  it('names the JSON path of a schema violation', () => {
    const bad = minimal()
    ;(bad.devices[0] as Record<string, unknown>).intervalS = 0
    expect(() => parseScenario(bad, 'bad.json')).toThrow(/bad\.json[\s\S]*\/devices\/0\/intervalS/)
    const badModel = minimal()
    ;(badModel.devices[0] as Record<string, unknown>).model = 'fridge'
    expect(() => parseScenario(badModel)).toThrow(/\/devices\/0\/model: must be one of cold-room, oven/)
    const badTime = { ...minimal(), startAt: '25:00' }
    expect(() => parseScenario(badTime)).toThrow(/\/startAt/)
  })

  it('names the path of cross-reference errors', () => {
    const s = minimal()
    s.devices.push({ id: 'camara-1', name: 'Otra', model: 'oven', intervalS: 30 })
    expect(() => parseScenario(s)).toThrow(/\/devices\/1\/id: duplicate device id "camara-1"/)
    const e = { ...minimal(), events: [{ at: '10:00', device: 'nadie', action: 'power.cut' }] }
    expect(() => parseScenario(e)).toThrow(/\/events\/0\/device: unknown device "nadie"/)
    const of = minimal()
    of.devices.push({ id: 'sonda', name: 'Sonda', of: 'falta', intervalS: 60 } as never)
    expect(() => parseScenario(of)).toThrow(/\/devices\/1\/of: unknown device "falta"/)
  })

  it('refuses an unknown scenario by listing the known ones', () => {
    expect(() => loadScenario('heladeria')).toThrow(/Unknown scenario "heladeria"; known: bar-boliche/)
  })
})
