export * from './schedule';
export { isOpen, nextOpening } from './calendar';
export { addSchedule, hoursOfGroup, replaceSchedule } from './schedules';
