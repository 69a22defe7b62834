import { describe, expect, it } from 'vitest'
import type { Alarm } from '../../api/types.js'
import { comesAfter } from '../sync/order.js'
import { upsertAlarm } from './alarms.js'

const T0 = Date.UTC(2025, 0, 15, 15, 5)
const alarm = (overrides: Partial<Alarm>): Alarm => ({
  alarmId: 'cold-room-high:camara-1',
  ruleId: 'cold-room-high',
  deviceId: 'camara-1',
  severity: 'critical',
  state: 'raised',
  message: 'Temperatura alta',
  value: 6.1,
  raisedAt: T0,
  updatedAt: T0,
  clearedAt: null,
  ...overrides,
})

describe('alarm merge', () => {
  const raised = alarm({ gatewayId: 'gw-1', seq: 10, updatedAt: T0 + 3000, raisedAt: T0 + 3000 })
  // Re-stamped after the gateway's clock sync: later in seq, earlier in time.
  const cleared = alarm({ gatewayId: 'gw-1', seq: 11, state: 'cleared', updatedAt: T0 + 1000, raisedAt: T0 + 3000,
    clearedAt: T0 + 1000 })

  it('takes a later seq from the same gateway even when its time is earlier, and never a lower one', () => {
    expect(comesAfter(cleared, raised)).toBe(true)
    expect(comesAfter(raised, cleared)).toBe(false)
    const afterPush = upsertAlarm(upsertAlarm([], raised), cleared)
    expect(afterPush).toEqual([cleared])
    // The raise again from a list fetched before the clear: it must not re-raise.
    expect(upsertAlarm(afterPush, raised)).toEqual([cleared])
  })

  it('goes by time between gateways, and when either side has no seq', () => {
    const otherGateway = alarm({ gatewayId: 'gw-2', seq: 99, state: 'cleared', updatedAt: T0 + 2000, clearedAt: T0 + 2000 })
    expect(comesAfter(otherGateway, raised)).toBe(false)
    expect(comesAfter(otherGateway, cleared)).toBe(true)
    const legacy = alarm({ state: 'cleared', updatedAt: T0 + 2000, clearedAt: T0 + 2000 })
    expect(comesAfter(legacy, raised)).toBe(false)
    expect(comesAfter(cleared, legacy)).toBe(false)
    expect(comesAfter(raised, legacy)).toBe(true)
    // Equal times: the later arrival wins, as on the cloud.
    expect(comesAfter(alarm({ state: 'cleared' }), alarm({}))).toBe(true)
  })
})
