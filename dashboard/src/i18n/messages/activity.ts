// Messages of the activity domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Actividad',
}

export const en: typeof es = {
  title: 'Activity',
}
