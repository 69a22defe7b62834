import { mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Alarm } from '../../api/types.js'
import { i18n, setLocale } from '../../i18n/index.js'
import AlarmList from './AlarmList.vue'

const T0 = Date.UTC(2025, 0, 15, 15, 5)
const alarm = (overrides: Partial<Alarm>): Alarm => ({
  alarmId: 'a',
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

describe('AlarmList', () => {
  beforeEach(() => setLocale('es-AR'))

  it('lists active alarms before recent ones with severity and state attributes', () => {
    const wrapper = mount(AlarmList, {
      props: {
        alarms: [alarm({ alarmId: 'cleared', state: 'cleared', severity: 'warning', clearedAt: T0 + 60_000 }), alarm({ alarmId: 'active' })],
        timeZone: 'America/Argentina/Buenos_Aires',
        deviceNames: { 'camara-1': 'Cámara de frío' },
      },
      global: { plugins: [i18n] },
    })
    const items = wrapper.findAll('[data-testid="alarm-item"]')
    expect(items.map((i) => [i.attributes('data-severity'), i.attributes('data-state')])).toEqual([
      ['critical', 'raised'],
      ['warning', 'cleared'],
    ])
    expect(items[0]!.text()).toContain('Crítica')
    expect(items[0]!.text()).toContain('Cámara de frío')
    expect(items[1]!.text()).toContain('Resuelta')
  })

  it('says all is well when there are no alarms', () => {
    const wrapper = mount(AlarmList, { props: { alarms: [], timeZone: 'UTC' }, global: { plugins: [i18n] } })
    expect(wrapper.get('[data-testid="alarm-list"]').text()).toBe('Sin alarmas. Todo en orden.')
  })
})
