import { AppError } from '../../errors.js'

export const badTimeRange = (detail: string): AppError =>
  new AppError('TELEMETRY_BAD_RANGE', 400, `Bad time range: ${detail}`)
