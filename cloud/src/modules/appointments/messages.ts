import { localClock, localDate } from '../reports/zone.js'

/** Mail to clients, Spanish first with the English after, as the seeds' shops speak. */

export interface BookingMailFacts {
  clientName: string
  serviceName: string
  professionalName: string
  start: Date
  timeZone: string
  status: 'pending' | 'confirmed'
  /** The page that shows the booking with confirm and cancel buttons. */
  link: string
}

const when = (f: { start: Date; timeZone: string }): string => {
  const [y, m, d] = localDate(f.start.getTime(), f.timeZone).split('-')
  return `${d}/${m}/${y} ${localClock(f.start.getTime(), f.timeZone)}`
}

export function bookedMail(f: BookingMailFacts): { subject: string; text: string } {
  const pending = f.status === 'pending'
  return {
    subject: pending
      ? `Turno solicitado, pendiente de confirmación / Appointment requested: ${f.serviceName}, ${when(f)}`
      : `Turno confirmado / Appointment confirmed: ${f.serviceName}, ${when(f)}`,
    text: [
      `Hola ${f.clientName}:`,
      '',
      pending
        ? `Recibimos tu pedido de turno para ${f.serviceName} con ${f.professionalName} el ${when(f)} (${f.timeZone}). Te avisamos cuando quede confirmado.`
        : `Tu turno para ${f.serviceName} con ${f.professionalName} quedó confirmado para el ${when(f)} (${f.timeZone}).`,
      `Para ver, confirmar o cancelar tu turno: ${f.link}`,
      '',
      pending
        ? `We received your appointment request for ${f.serviceName} with ${f.professionalName} on ${when(f)}. We will let you know once it is confirmed.`
        : `Your appointment for ${f.serviceName} with ${f.professionalName} is confirmed for ${when(f)}.`,
      `To view, confirm or cancel it: ${f.link}`,
    ].join('\n'),
  }
}

export function reminderMail(f: BookingMailFacts, hoursBefore: number): { subject: string; text: string } {
  const ahead = hoursBefore >= 24 ? 'mañana' : `en ${hoursBefore} horas`
  const aheadEn = hoursBefore >= 24 ? 'tomorrow' : `in ${hoursBefore} hours`
  return {
    subject: `Recordatorio de turno / Appointment reminder: ${f.serviceName}, ${when(f)}`,
    text: [
      `Hola ${f.clientName}:`,
      '',
      `Te recordamos tu turno ${ahead}: ${f.serviceName} con ${f.professionalName}, ${when(f)} (${f.timeZone}).`,
      f.status === 'pending' ? `Por favor confirmá tu asistencia: ${f.link}` : `Si no podés venir, cancelalo así el horario queda para otra persona: ${f.link}`,
      '',
      `A reminder of your appointment ${aheadEn}: ${f.serviceName} with ${f.professionalName}, ${when(f)}.`,
      f.status === 'pending' ? `Please confirm you will come: ${f.link}` : `If you cannot make it, please cancel: ${f.link}`,
    ].join('\n'),
  }
}

export function cancelledMail(f: BookingMailFacts): { subject: string; text: string } {
  return {
    subject: `Turno cancelado / Appointment cancelled: ${f.serviceName}, ${when(f)}`,
    text: [
      `Hola ${f.clientName}:`,
      '',
      `Tu turno para ${f.serviceName} con ${f.professionalName} del ${when(f)} quedó cancelado.`,
      '',
      `Your appointment for ${f.serviceName} with ${f.professionalName} on ${when(f)} was cancelled.`,
    ].join('\n'),
  }
}

export function offerMail(f: Omit<BookingMailFacts, 'status'> & { holdMinutes: number }): { subject: string; text: string } {
  return {
    subject: `Se liberó un turno / A slot opened up: ${f.serviceName}, ${when(f)}`,
    text: [
      `Hola ${f.clientName}:`,
      '',
      `Estás en la lista de espera y se liberó un turno para ${f.serviceName} con ${f.professionalName} el ${when(f)} (${f.timeZone}).`,
      `Te lo guardamos ${f.holdMinutes} minutos; el primero en reservarlo se lo queda: ${f.link}`,
      '',
      `You are on the waiting list and a slot opened up for ${f.serviceName} with ${f.professionalName} on ${when(f)}.`,
      `It is held for you for ${f.holdMinutes} minutes; the first to book it gets it: ${f.link}`,
    ].join('\n'),
  }
}

export function movedMail(f: BookingMailFacts): { subject: string; text: string } {
  return {
    subject: `Turno reprogramado / Appointment moved: ${f.serviceName}, ${when(f)}`,
    text: [
      `Hola ${f.clientName}:`,
      '',
      `Tu turno para ${f.serviceName} pasó al ${when(f)} (${f.timeZone}) con ${f.professionalName}.`,
      `El enlace anterior ya no sirve; este es el nuevo: ${f.link}`,
      '',
      `Your appointment for ${f.serviceName} was moved to ${when(f)} with ${f.professionalName}.`,
      `The previous link no longer works; this is the new one: ${f.link}`,
    ].join('\n'),
  }
}
