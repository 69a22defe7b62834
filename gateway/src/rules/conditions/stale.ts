import Type from 'typebox'
import { DEVICE_ID_PATTERN, METRIC_PATTERN } from '@tendero/protocol'
import { defineCondition, type ConditionSpec } from '../kinds.js'

const fields = {
  deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
  /** Only telemetry carrying this metric counts; without it any message from the device does. */
  metric: Type.Optional(Type.String({ pattern: METRIC_PATTERN })),
  afterSeconds: Type.Number({ minimum: 1, maximum: 604_800 }),
}
type Spec = ConditionSpec<typeof fields>

export interface StaleState {
  active: boolean
  /** Gateway time of the last matching message, or when watching began. */
  lastSeen: number | null
}

/**
 * No data from a device (or one of its metrics) for a while: a dead sensor, a node off
 * the Wi-Fi. Fires on the tick, re-arms on the next message. Device `ack`s count as
 * life too; the gateway's own commands do not.
 */
export const stale = defineCondition({
  kind: 'stale',
  fields,
  initialState: (): StaleState => ({ active: false, lastSeen: null }),
  onEvent(spec: Spec, state, event, now) {
    if (event.deviceId !== spec.deviceId || event.kind === 'command' || event.kind === 'alarm' || event.kind === 'notify') return null
    const value = spec.metric !== undefined && event.kind === 'telemetry' ? event.body.readings[spec.metric] : undefined
    if (spec.metric !== undefined && value === undefined) return null
    state.lastSeen = now
    if (!state.active) return null
    state.active = false
    return { type: 'rearm', deviceId: spec.deviceId, value }
  },
  onTick(spec, state, now) {
    // A device nobody has heard from yet gets its grace from when watching began.
    state.lastSeen ??= now
    if (state.active || now - state.lastSeen < spec.afterSeconds * 1000) return null
    state.active = true
    return { type: 'fire', deviceId: spec.deviceId }
  },
  // While the gateway was down nobody could hear the device: give it a fresh grace.
  onRestore(_spec, state, now) {
    if (!state.active) state.lastSeen = now
  },
})
