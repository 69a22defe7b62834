import { AppError } from '../../errors.js'

export const reportDeviceNotFound = (): AppError =>
  new AppError('REPORT_DEVICE_NOT_FOUND', 404, 'deviceId: no such device on this site')
export const reportNotColdDevice = (): AppError =>
  new AppError('REPORT_NOT_COLD_DEVICE', 400, 'deviceId: this device is neither a fridge nor a freezer, and has no cold band of its own')
export const reportBadDate = (detail: string): AppError => new AppError('REPORT_BAD_DATE', 400, `date: ${detail}`)
