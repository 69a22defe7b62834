// Messages of the inbox domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Alarmas',
}

export const en: typeof es = {
  title: 'Alarms',
}
