import { left, right } from 'fp-ts/Either';
import { groupFor } from './channels';

describe('channel -> group', () => {
  const routing = { defaultGroupId: 'support', accountGroups: { 'tg-1': 'telegram-team', 'wx-1': 'china' } };

  it('maps a channel account to its group, and the web entry to the default group', () => {
    expect(groupFor({ kind: 'channel_account', accountId: 'wx-1' }, routing)).toEqual(right('china'));
    expect(groupFor({ kind: 'web' }, routing)).toEqual(right('support'));
  });

  it('refuses an unknown account and a company without a default group', () => {
    expect(groupFor({ kind: 'channel_account', accountId: 'nope' }, routing)).toMatchObject(
      left({ code: 'unknown_channel' }),
    );
    expect(groupFor({ kind: 'web' }, { accountGroups: {} })).toMatchObject(left({ code: 'no_group' }));
  });
});
