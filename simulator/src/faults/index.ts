export {
  FaultPlanSchema,
  FaultEntrySchema,
  FaultParamsSchemas,
  FAULT_KINDS,
  SENSOR_FAULT_KINDS,
  DEVICE_FAULT_KINDS,
  MODBUS_FAULT_KINDS,
  faultPlanErrors,
  parseFaultPlan,
  isActiveAt,
  type FaultKind,
  type FaultPlanCheckOptions,
  type FaultEntry,
  type FaultParams,
  type FaultPlan,
  type SensorFaultKind,
} from './plan.js'
export { SensorFaults, sensorFault, spikeTimesInHour, entrySeed, isSensorKind, type SensorFault } from './sensor.js'
export { startLinkProxy, startPlanLinks, type LinkProxy, type LinkProxyOptions, type PartitionMode } from './link-proxy.js'
export { FaultInjector, type FaultTarget, type FaultInjectorOptions, type ActiveFault } from './injector.js'
