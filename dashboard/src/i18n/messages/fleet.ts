// Messages of the fleet domain: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Equipos',
}

export const en: typeof es = {
  title: 'Devices and gateways',
}
