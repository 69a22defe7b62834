// Messages of the users domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Usuarios y roles',
}

export const en: typeof es = {
  title: 'Users and roles',
}
