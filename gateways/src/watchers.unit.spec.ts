// The watchers' index of one gateway: who gets a watched session's frames, and when they stop.
import type { Connection } from './ws';
import type { ServerFrame } from './ws/frames';
import { SessionWatchers } from './watchers';

const socket = (id: string, companyId = 'acme'): Connection & { got: ServerFrame[] } => {
  const got: ServerFrame[] = [];
  return {
    id: `c-${id}`,
    principal: { kind: 'agent', companyId, id, role: 'supervisor' } as Connection['principal'],
    got,
    send: (frame) => {
      got.push(frame);
      return true;
    },
    close: () => undefined,
  };
};
const frame: ServerFrame = { type: 'session.state', sessionId: 's1', state: 'assigned', agentId: 'alice' };

describe('session watchers', () => {
  it('sends a session frame to its watchers of that company only, but not to those named as already told', () => {
    const watchers = new SessionWatchers();
    const sue = socket('sue');
    const boss = socket('boss');
    const rival = socket('sue', 'rival');
    const other = socket('tom');
    watchers.watch(sue, 's1');
    watchers.watch(boss, 's1');
    watchers.watch(rival, 's1');
    watchers.watch(other, 's2');
    watchers.send('acme', 's1', frame, ['boss']);
    expect(sue.got).toEqual([frame]);
    expect(boss.got).toEqual([]);
    expect(rival.got).toEqual([]);
    expect(other.got).toEqual([]);
    expect(watchers.watching('acme', 's1')).toBe(2);
  });

  it('stops on unwatch, on the socket closing, and for everyone when the session ends', () => {
    const watchers = new SessionWatchers();
    const sue = socket('sue');
    const boss = socket('boss');
    watchers.watch(sue, 's1');
    watchers.watch(sue, 's2');
    watchers.watch(boss, 's1');
    watchers.watch(boss, 's3');
    watchers.unwatch(sue, 's2');
    expect(watchers.watching('acme', 's2')).toBe(0);
    watchers.forget(boss);
    expect(watchers.watching('acme', 's3')).toBe(0);
    expect(watchers.watching('acme', 's1')).toBe(1);
    watchers.end('acme', 's1');
    watchers.send('acme', 's1', frame, []);
    expect(sue.got).toEqual([]);
    expect(watchers.watching('acme', 's1')).toBe(0);
  });
});
