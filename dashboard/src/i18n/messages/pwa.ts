// Messages of the pwa domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Sin conexión',
  offlineBanner: 'Sin conexión: mostrando los últimos datos guardados ({ago}, {time}).',
}

export const en: typeof es = {
  title: 'Offline',
  offlineBanner: 'Offline: showing the last saved data ({ago}, {time}).',
}
