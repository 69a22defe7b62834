import type { Notification, Severity } from '@tendero/protocol'
import type { AlarmItem } from '../sites/schema.js'

/**
 * What people read: Spanish first, English second, in one message (the same text goes to
 * a shop owner in Buenos Aires and to an English-speaking technician).
 */

/** The events the outbox carries (see outbox.ts), as stored in its payload. */
export interface AlarmNotice {
  orgId: string
  siteId: string
  gatewayId: string
  seq: number
  alarm: AlarmItem
  /** Escalation level: 0 when first raised, +1 each time nobody acknowledged it in time. */
  level: number
}

export interface GatewayNotice {
  orgId: string
  siteId: string
  gatewayId: string
  seq: number
  deviceId: string
  time: number
  notice: Notification
}

export interface Message {
  subject: string
  text: string
}

const SEVERITY_NAMES: Record<Severity, { es: string; en: string }> = {
  info: { es: 'Aviso', en: 'Info' },
  warning: { es: 'Advertencia', en: 'Warning' },
  critical: { es: 'Crítica', en: 'Critical' },
  emergency: { es: 'Emergencia', en: 'Emergency' },
}

export const severityName = (s: string): { es: string; en: string } =>
  SEVERITY_NAMES[s as Severity] ?? { es: s, en: s }

function localTime(epochMs: number, zone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: zone, dateStyle: 'short', timeStyle: 'short' }).format(new Date(epochMs))
}

export interface SiteInfo {
  name: string
  timezone: string
}

export function alarmMessage(n: AlarmNotice, site: SiteInfo): Message {
  const { alarm, level } = n
  const sev = severityName(alarm.severity)
  const escalated = level > 0
  const subject =
    `[${sev.es.toUpperCase()} / ${sev.en.toUpperCase()}] ` +
    (escalated ? `Sin reconocer, nivel ${level} / Unacknowledged, level ${level} · ` : '') +
    `${site.name}: ${alarm.message}`
  const value = alarm.value === null ? [] : [`Valor: ${alarm.value}`]
  const valueEn = alarm.value === null ? [] : [`Value: ${alarm.value}`]
  const text = [
    `Alarma ${sev.es.toLowerCase()} en ${site.name}${escalated ? ` (sin reconocer, nivel ${level})` : ''}`,
    alarm.message,
    `Dispositivo: ${alarm.deviceId} · Regla: ${alarm.ruleId}`,
    ...value,
    // The transition's time: for an escalation, when it escalated.
    `Hora: ${localTime(alarm.updatedAt, site.timezone, 'es-AR')} (${site.timezone})`,
    '',
    '—',
    `${sev.en} alarm at ${site.name}${escalated ? ` (unacknowledged, level ${level})` : ''}`,
    alarm.message,
    `Device: ${alarm.deviceId} · Rule: ${alarm.ruleId}`,
    ...valueEn,
    `Time: ${localTime(alarm.updatedAt, site.timezone, 'en-GB')} (${site.timezone})`,
  ].join('\n')
  return { subject: subject.slice(0, 250), text }
}

export function gatewayNoticeMessage(n: GatewayNotice, site: SiteInfo): Message {
  // The gateway's rule wrote the message (usually bilingual already); we only frame it.
  return {
    subject: `[Tendero] ${site.name}: ${n.notice.message}`.slice(0, 250),
    text: [
      `Aviso de ${site.name} / Notice from ${site.name}`,
      '',
      n.notice.message,
      '',
      `${localTime(n.time, site.timezone, 'es-AR')} (${site.timezone})`,
    ].join('\n'),
  }
}
