import { errorMessageKey } from '../../i18n/index.js'

const REPORT_CODES = ['REPORT_BAD_DATE', 'REPORT_DEVICE_NOT_FOUND', 'REPORT_NOT_COLD_DEVICE'] as const
type ReportCode = (typeof REPORT_CODES)[number]

/** i18n key of a report error: the reports module's own codes, else the common ones. */
export function reportErrorKey(code: string): string {
  return (REPORT_CODES as readonly string[]).includes(code) ? `reports.errors.${code as ReportCode}` : errorMessageKey(code)
}
