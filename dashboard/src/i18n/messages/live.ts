// Messages of the live domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'En vivo',
}

export const en: typeof es = {
  title: 'Live',
}
