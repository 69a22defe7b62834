import type { MessageSchema } from './es.js'

const en: MessageSchema = {
  app: {
    brand: 'Tendero',
    loading: 'Loading…',
    retry: 'Retry',
    skipToContent: 'Skip to content',
  },
  header: {
    language: 'Language',
    switchLanguage: 'Switch the language to Spanish',
    logout: 'Log out',
    signedInAs: 'Signed in as {name}',
  },
  connection: {
    label: 'Live connection status',
    idle: 'Offline',
    connecting: 'Connecting…',
    connected: 'Live',
    reconnecting: 'Reconnecting…',
    unauthorized: 'Session expired',
    error: 'Connection error',
  },
  login: {
    title: 'Sign in to your account',
    subtitle: 'Your shop, in real time.',
    email: 'Email',
    password: 'Password',
    submit: 'Sign in',
    submitting: 'Signing in…',
  },
  errors: {
    AUTH_INVALID_CREDENTIALS: 'Wrong email or password.',
    SITE_NOT_FOUND: 'We could not find this site.',
    NETWORK_ERROR: 'Cannot reach the server. Check your internet connection.',
    UNKNOWN: 'Something went wrong. Please try again.',
  },
  sites: {
    title: 'Your sites',
    empty: 'You have no sites yet.',
    timezone: 'Time zone: {timezone}',
    back: 'Sites',
  },
  site: {
    currentTemperature: 'Current temperature',
    updatedAt: 'Updated at {time}',
    noData: 'No data',
    lastHour: 'Last hour',
    equipment: 'Equipment',
  },
  telemetry: {
    temperature: 'Temperature',
    celsius: '{value} °C',
    threshold: 'Limit {value}',
    chartLabel: 'Temperature chart for the last hour',
    noData: 'No readings in the last hour yet.',
  },
  relay: {
    compressor: 'Compressor',
    on: 'On',
    off: 'Off',
    unknown: 'No data',
    since: 'Since {time}',
  },
  alarms: {
    title: 'Alarms',
    active: 'Active',
    recent: 'Recent',
    empty: 'No alarms. All good.',
    raisedAt: 'Since {time}',
    clearedAt: 'Cleared {time}',
    severity: {
      info: 'Info',
      warning: 'Warning',
      critical: 'Critical',
      emergency: 'Emergency',
    },
    state: {
      raised: 'Active',
      acknowledged: 'Acknowledged',
      cleared: 'Cleared',
    },
  },
}

export default en
