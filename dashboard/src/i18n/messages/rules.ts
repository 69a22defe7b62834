// Messages of the rules domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Reglas',
}

export const en: typeof es = {
  title: 'Rules',
}
