// Messages of the overview domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Resumen',
}

export const en: typeof es = {
  title: 'Overview',
}
