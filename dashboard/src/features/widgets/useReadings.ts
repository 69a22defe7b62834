import { useI18n } from 'vue-i18n'
import type { StateValue } from '../../api/types.js'
import { FLAG_METRICS, formatReading } from './readings.js'

/** Labels and values of readings and state in the UI's language and the user's locale. */
export function useReadings() {
  const { t, te, locale } = useI18n()
  const metricLabel = (metric: string) => (te(`live.metric.${metric}`) ? t(`live.metric.${metric}`) : metric)
  const reading = (metric: string, value: number) =>
    FLAG_METRICS.includes(metric) ? t(value >= 1 ? 'live.door.open' : 'live.door.closed') : formatReading(metric, value, locale.value)
  const stateLabel = (key: string) => {
    const valve = /^valve_(\d+)$/.exec(key)
    if (valve) return t('live.relay.valve', { n: valve[1] })
    return te(`live.relay.${key}`) ? t(`live.relay.${key}`) : key
  }
  const stateValue = (value: StateValue) =>
    value === true ? t('live.generic.on') : value === false ? t('live.generic.off') : typeof value === 'number' ? formatReading('', value, locale.value) : value
  return { metricLabel, reading, stateLabel, stateValue }
}
