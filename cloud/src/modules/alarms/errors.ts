import { AppError } from '../../errors.js'

export const alarmNotFound = (alarmId: string): AppError =>
  new AppError('ALARM_NOT_FOUND', 404, `alarmId: no alarm "${alarmId}" on this site`)
export const alarmAlreadyCleared = (alarmId: string): AppError =>
  new AppError('ALARM_ALREADY_CLEARED', 409, `alarmId: "${alarmId}" is already cleared`)
export const alarmAlreadyAcknowledged = (alarmId: string): AppError =>
  new AppError('ALARM_ALREADY_ACKNOWLEDGED', 409, `alarmId: "${alarmId}" is already acknowledged`)
/** The mirror does not say which gateway raised it (a row older than migration 0006) and the site has several. */
export const alarmGatewayUnknown = (alarmId: string): AppError =>
  new AppError('ALARM_GATEWAY_UNKNOWN', 409, `alarmId: cannot tell which of the site's gateways raised "${alarmId}"`)
export const badAlarmWindow = (): AppError => new AppError('VALIDATION', 400, 'from: must not be after to')
