export {
  ColdRoomNode,
  startColdRoomNode,
  type ColdRoomNodeOptions,
  type ColdRoomNodeSnapshot,
  type SentCounts,
} from './devices/cold-room-node.js'
export {
  ColdRoomModel,
  defaultColdRoomParams,
  type ColdRoomParams,
  type ColdRoomInit,
  type ColdRoomSnapshot,
  type ColdRoomStepResult,
} from './models/cold-room.js'
export {
  DutyCycle,
  advanceWithDutyCycles,
  failsafeFromCommand,
  DEFAULT_FAILSAFE,
  type FailsafeSpec,
} from './devices/failsafe.js'
export { DoorSchedule, type DoorScheduleOptions } from './models/door-schedule.js'
export { mulberry32 } from './models/seeded-random.js'
export { SimulatorError, type SimulatorErrorCode } from './errors.js'
export {
  ColdRoomFleet,
  fleetDeviceIds,
  devicePassword,
  type ColdRoomFleetOptions,
  type ColdRoomFleetSnapshot,
} from './devices/cold-room-fleet.js'
export { AckLog, readAckLog, type AckRecord } from './ack-log.js'
export { smoothNoise, hash01, type SmoothNoise } from './models/smooth-noise.js'
export {
  AmbientModel,
  defaultAmbientParams,
  saturationVapourPressureHpa,
  type AmbientParams,
  type AmbientSample,
} from './models/ambient.js'
export {
  SoilMoistureModel,
  defaultSoilMoistureParams,
  soilTypes,
  makkinkEt0MmPerH,
  type SoilType,
  type SoilHydraulics,
  type SoilMoistureParams,
  type SoilMoistureInit,
  type SoilMoistureSnapshot,
  type SoilWaterTotals,
} from './models/soil-moisture.js'
export {
  EnergyMeterModel,
  defaultEnergyMeterParams,
  type EnergyMeterParams,
  type EnergyMeterReading,
  type LoadSpec,
} from './models/energy-meter.js'
export { OvenModel, defaultOvenParams, type OvenParams, type OvenInit, type OvenSnapshot } from './models/oven.js'
export {
  WaterFlowMeterModel,
  defaultWaterFlowParams,
  type WaterFlowParams,
  type WaterFlowReading,
} from './models/water-flow.js'
export {
  OccupancyModel,
  defaultOccupancyParams,
  shopArrivalProfile,
  type OccupancyParams,
  type OccupancyInit,
  type OccupancySnapshot,
  type OccupancyStepResult,
} from './models/occupancy.js'
export {
  ActuatorModel,
  relayParams,
  motorisedValveParams,
  type ActuatorParams,
  type ActuatorState,
  type ActuatorSnapshot,
} from './models/actuator.js'
export { nextHourlyPoisson, hourOfDayIndex } from './models/hourly-poisson.js'
export {
  DoorContactModel,
  defaultDoorContactParams,
  type DoorContactParams,
  type DoorContactEvent,
} from './models/door-contact.js'
export {
  RfidReaderModel,
  defaultRfidReaderParams,
  nightlifeSwipeProfile,
  type RfidCard,
  type RfidReaderParams,
  type RfidSwipe,
} from './models/rfid-reader.js'
export {
  IrrigationSector,
  defaultIrrigationSectorParams,
  type IrrigationSectorParams,
} from './models/irrigation-sector.js'
export { vaccineFridge, butcherColdRoom, bakeryDeckOven, clinicWaitingRoom, barFloor } from './models/presets.js'
