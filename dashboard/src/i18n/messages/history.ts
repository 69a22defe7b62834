// Messages of the history domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Historial',
}

export const en: typeof es = {
  title: 'History',
}
