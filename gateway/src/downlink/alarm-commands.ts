import { ALARM_COMMAND_KINDS, type AlarmCommandIntent, type CommandMessage } from '@tendero/protocol'
import type { AlarmService } from '../alarms/alarms.js'

/** What the downlink needs of the AlarmService: the same calls the local API makes. */
export type AlarmDesk = Pick<AlarmService, 'get' | 'acknowledge' | 'clear'>

/**
 * How far the gateway's clock may run ahead of the cloud's before an alarm raised "after"
 * a command was issued is taken for a new episode rather than clock skew.
 */
export const ISSUE_SKEW_MS = 60_000

export function isAlarmCommand(intent: CommandMessage['command']): intent is AlarmCommandIntent {
  return (ALARM_COMMAND_KINDS as readonly string[]).includes(intent.kind)
}

/**
 * Why a cloud alarm command must not run, or undefined when it may. Checked before the
 * command is journaled, so a refusal is only an answer, never a half-run command.
 *
 * An alarm id is `<ruleId>:<deviceId>`, so it names every episode of that alarm. A command
 * that waited while the gateway was offline may arrive after the alarm the user saw was
 * cleared and raised again: the new episode was never seen by that user, and acknowledging
 * or clearing it would silence an alarm nobody looked at.
 */
export function alarmCommandRefusal(alarms: AlarmDesk | undefined, message: CommandMessage & { command: AlarmCommandIntent }): string | undefined {
  const { alarmId, kind } = message.command
  if (!alarms) return 'alarms_unavailable: this gateway does not take alarm commands from the cloud'
  const alarm = alarms.get(alarmId)
  if (!alarm) return `alarm_not_active: no active alarm "${alarmId}" on the gateway (already cleared, or unknown)`
  if (alarm.raisedAt > message.issuedAt + ISSUE_SKEW_MS)
    return `alarm_reraised: "${alarmId}" was raised again after this command was issued; the new alarm was not acted on`
  if (kind === 'alarm.ack' && alarm.state === 'acknowledged')
    return `alarm_already_acknowledged: "${alarmId}" was already acknowledged by ${alarm.acknowledgedBy ?? 'someone'}`
  return undefined
}

/** Runs it through the AlarmService, which logs the change (with `by`) for the uplink like a local one. */
export async function applyAlarmCommand(alarms: AlarmDesk, command: AlarmCommandIntent): Promise<void> {
  if (command.kind === 'alarm.ack') await alarms.acknowledge(command.alarmId, command.by)
  else await alarms.clear(command.alarmId, command.by)
}
