// Which agent group serves a conversation: a channel account's own group, or the company's
// default group for its web entry points.
import { left, right, type Either } from 'fp-ts/Either';
import { domainError, type DomainError } from './shared/errors';

export type Entry = { readonly kind: 'web' } | { readonly kind: 'channel_account'; readonly accountId: string };

export interface ChannelRouting {
  readonly defaultGroupId?: string;
  /** Group of each channel account of the company. */
  readonly accountGroups: Readonly<Record<string, string>>;
}

export const groupFor = (entry: Entry, routing: ChannelRouting): Either<DomainError, string> => {
  if (entry.kind === 'channel_account') {
    const group = routing.accountGroups[entry.accountId];
    return group === undefined
      ? left(domainError('unknown_channel', `channel account ${entry.accountId} is not connected`))
      : right(group);
  }
  return routing.defaultGroupId === undefined
    ? left(domainError('no_group', 'the company has no default group for web visitors'))
    : right(routing.defaultGroupId);
};
