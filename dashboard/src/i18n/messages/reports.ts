// Messages of the reports domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Reportes',
}

export const en: typeof es = {
  title: 'Reports',
}
