import { createI18n } from 'vue-i18n'
import en from './en.js'
import es, { type MessageSchema } from './es.js'

export const SUPPORTED_LOCALES = ['es-AR', 'en'] as const
export type AppLocale = (typeof SUPPORTED_LOCALES)[number]
export const DEFAULT_LOCALE: AppLocale = 'es-AR'

const STORAGE_KEY = 'tendero.locale'

const isAppLocale = (value: unknown): value is AppLocale => SUPPORTED_LOCALES.includes(value as AppLocale)

function readStoredLocale(): AppLocale {
  try {
    const stored = localStorage.getItem(STORAGE_KEY)
    return isAppLocale(stored) ? stored : DEFAULT_LOCALE
  } catch {
    return DEFAULT_LOCALE
  }
}

const numberFormat = {
  temperature: { style: 'decimal', minimumFractionDigits: 1, maximumFractionDigits: 1 },
} as const

export const i18n = createI18n<[MessageSchema], AppLocale, false>({
  legacy: false,
  locale: readStoredLocale(),
  fallbackLocale: DEFAULT_LOCALE,
  messages: { 'es-AR': es, en },
  numberFormats: { 'es-AR': numberFormat, en: numberFormat },
})

export function currentLocale(): AppLocale {
  return i18n.global.locale.value
}

/** Switches the UI language and remembers it on this device. */
export function setLocale(locale: AppLocale): void {
  i18n.global.locale.value = locale
  try {
    localStorage.setItem(STORAGE_KEY, locale)
  } catch {
    // Storage blocked: the choice lasts for this tab only.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = locale
}

type ErrorCode = keyof MessageSchema['errors']

/** i18n key for a coded API error; unknown codes get the generic message. */
export function errorMessageKey(code: string): `errors.${ErrorCode}` {
  return code in es.errors ? (`errors.${code as ErrorCode}` as const) : 'errors.UNKNOWN'
}

/** Short codes shown on the language switch; they are the same in every language. */
export const LOCALE_CODES: Record<AppLocale, string> = { 'es-AR': 'ES', en: 'EN' }

// Typed message keys for every `useI18n()` call.
declare module 'vue-i18n' {
  export interface DefineLocaleMessage extends MessageSchema {}
}
