// Messages of the navigation: Spanish (es-AR) is the source, English is typed against it.
export const es = {
  title: 'Navegación',
  main: 'Navegación principal',
  more: 'Más',
  moreLabel: 'Más secciones',
  overview: 'Resumen',
  alarms: 'Alarmas',
  activity: 'Actividad',
  fleet: 'Equipos',
  rules: 'Reglas',
  reports: 'Reportes',
  users: 'Usuarios',
  audit: 'Auditoría',
}

export const en: typeof es = {
  title: 'Navigation',
  main: 'Main navigation',
  more: 'More',
  moreLabel: 'More sections',
  overview: 'Overview',
  alarms: 'Alarms',
  activity: 'Activity',
  fleet: 'Devices',
  rules: 'Rules',
  reports: 'Reports',
  users: 'Users',
  audit: 'Audit',
}
