// Spanish (Argentina) is the source of truth: en.ts is typed against this shape.
const es = {
  app: {
    brand: 'Tendero',
    loading: 'Cargando…',
    retry: 'Reintentar',
    skipToContent: 'Ir al contenido',
  },
  header: {
    language: 'Idioma',
    switchLanguage: 'Cambiar el idioma a inglés',
    logout: 'Salir',
    signedInAs: 'Sesión de {name}',
  },
  connection: {
    label: 'Estado de la conexión en vivo',
    idle: 'Sin conexión',
    connecting: 'Conectando…',
    connected: 'En vivo',
    reconnecting: 'Reconectando…',
    unauthorized: 'Sesión vencida',
    error: 'Error de conexión',
  },
  login: {
    title: 'Ingresá a tu cuenta',
    subtitle: 'Tu negocio, en tiempo real.',
    email: 'Correo electrónico',
    password: 'Contraseña',
    submit: 'Ingresar',
    submitting: 'Ingresando…',
  },
  errors: {
    AUTH_INVALID_CREDENTIALS: 'Correo o contraseña incorrectos.',
    SITE_NOT_FOUND: 'No encontramos esta sucursal.',
    NETWORK_ERROR: 'No hay conexión con el servidor. Revisá tu internet.',
    UNKNOWN: 'Algo salió mal. Probá de nuevo.',
  },
  sites: {
    title: 'Tus sucursales',
    empty: 'Todavía no tenés sucursales.',
    timezone: 'Zona horaria: {timezone}',
    back: 'Sucursales',
  },
  site: {
    currentTemperature: 'Temperatura actual',
    updatedAt: 'Actualizado a las {time}',
    noData: 'Sin datos',
    lastHour: 'Última hora',
    equipment: 'Equipos',
  },
  telemetry: {
    temperature: 'Temperatura',
    celsius: '{value} °C',
    threshold: 'Límite {value}',
    chartLabel: 'Gráfico de la temperatura de la última hora',
    noData: 'Todavía no hay lecturas en la última hora.',
  },
  relay: {
    compressor: 'Compresor',
    on: 'Encendido',
    off: 'Apagado',
    unknown: 'Sin datos',
    since: 'Desde las {time}',
  },
  alarms: {
    title: 'Alarmas',
    active: 'Activas',
    recent: 'Recientes',
    empty: 'Sin alarmas. Todo en orden.',
    raisedAt: 'Desde {time}',
    clearedAt: 'Resuelta {time}',
    severity: {
      info: 'Info',
      warning: 'Advertencia',
      critical: 'Crítica',
      emergency: 'Emergencia',
    },
    state: {
      raised: 'Activa',
      acknowledged: 'Reconocida',
      cleared: 'Resuelta',
    },
  },
}

export type MessageSchema = typeof es
export default es
