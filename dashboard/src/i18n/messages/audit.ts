// Messages of the audit domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Auditoría',
}

export const en: typeof es = {
  title: 'Audit log',
}
