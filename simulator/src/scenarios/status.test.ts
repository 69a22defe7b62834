import { describe, expect, it } from 'vitest'
import { createScenarioStatus, formatScenarioStatus, MessageRate } from './status.js'
import type { ScenarioSnapshot } from './runner.js'

const snap = (sent: number): ScenarioSnapshot => ({
  scenario: 'riego',
  devices: 4,
  online: 3,
  simulatedS: 90,
  clock: '05:01',
  day: 1,
  sent,
  faultsActive: 0,
  nodes: [],
})

describe('scenario status line', () => {
  it('says devices online, messages/s, faults and the scenario clock on one line', () => {
    expect(formatScenarioStatus(snap(0), 12.34, 60)).toBe('riego · día 1 05:01 · dispositivos 3/4 en línea · 12.3 msg/s · fallas activas 0 · ×60')
  })

  it('computes the message rate between samples', () => {
    const rate = new MessageRate()
    expect(rate.sample(0, 0)).toBe(0)
    expect(rate.sample(50, 1000)).toBe(50)
  })

  it('redraws in place on a terminal and prints plain lines elsewhere', () => {
    let tty = ''
    const onTty = createScenarioStatus({ isTTY: true, write: (c) => ((tty += c), true) }, 60)
    onTty.update(snap(0))
    onTty.update(snap(10))
    expect(tty.split('\r\x1b[2K')).toHaveLength(3)
    expect(tty).not.toContain('\n')
    let plain = ''
    let t = 0
    const piped = createScenarioStatus({ write: (c) => ((plain += c), true) }, 60, 5000, () => t)
    piped.update(snap(0))
    t = 1000
    piped.update(snap(1))
    t = 6000
    piped.update(snap(2))
    expect(plain.trim().split('\n')).toHaveLength(2)
  })
})
