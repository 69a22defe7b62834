// Messages of the pwa domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Sin conexión',
}

export const en: typeof es = {
  title: 'Offline',
}
