// The rule that a company's agent group has at most one schedule of each type, and how routing reads them.
import { type Either, left, right } from 'fp-ts/Either';
import type { CompanyId, Id } from '../shared/codecs';
import { type DomainError, domainError } from '../shared/errors';
import type { GroupHours, WorkingHours } from './schedule';

const sameGroupAndType = (a: WorkingHours, b: WorkingHours): boolean =>
  a.companyId === b.companyId && a.groupId === b.groupId && a.type === b.type;

const alreadyExists = (schedule: WorkingHours): DomainError =>
  domainError('working_hours_exists', `group ${schedule.groupId} already has its ${schedule.type} schedule`, {
    groupId: schedule.groupId,
    type: schedule.type,
  });

export const addSchedule = (
  existing: readonly WorkingHours[],
  schedule: WorkingHours,
): Either<DomainError, WorkingHours[]> =>
  existing.some((other) => sameGroupAndType(other, schedule))
    ? left(alreadyExists(schedule))
    : right([...existing, schedule]);

/** Puts `schedule` in the place of the one with its id, or adds it when there is none (a PUT may create). */
export const replaceSchedule = (
  existing: readonly WorkingHours[],
  schedule: WorkingHours,
): Either<DomainError, WorkingHours[]> => {
  if (existing.some((other) => other.id !== schedule.id && sameGroupAndType(other, schedule))) {
    return left(alreadyExists(schedule));
  }
  return existing.some((other) => other.id === schedule.id)
    ? right(existing.map((other) => (other.id === schedule.id ? schedule : other)))
    : right([...existing, schedule]);
};

/** The schedules of one group of one company, as the calendar reads them. */
export const hoursOfGroup = (schedules: readonly WorkingHours[], companyId: CompanyId, groupId: Id): GroupHours => {
  const ofGroup = schedules.filter((s) => s.companyId === companyId && s.groupId === groupId);
  const regular = ofGroup.find((s) => s.type === 'regular');
  const irregular = ofGroup.find((s) => s.type === 'irregular');
  return {
    ...(regular?.type === 'regular' ? { regular } : {}),
    ...(irregular?.type === 'irregular' ? { irregular } : {}),
  };
};
