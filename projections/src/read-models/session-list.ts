// The agents' session lists (R6, R11): one row per session with the agent holding it, its state,
// the unread flag with the time of the first unread visitor message, and the last message.
import type { ListChanged, Projection } from '../projection';
import { eventTypes, nothingChanged } from '../projection';

export const sessionList: Projection = {
  name: 'session_list',
  tables: ['session_list'],

  async createTables(db, table) {
    await db.raw(`create table ${table('session_list')} (
      company_id text not null,
      session_id text not null,
      visitor_id text not null,
      channel text not null,
      group_id text not null,
      agent_id text,
      state text not null,
      unread boolean not null default false,
      first_unread_at timestamptz,
      last_message_text text,
      last_message_at timestamptz,
      last_message_role text,
      last_message_from_id text,
      started_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (company_id, session_id)
    )`);
    await db.raw(`create index on ${table('session_list')} (company_id, agent_id) where state <> 'ended'`);
  },

  handles: eventTypes(
    'SessionStarted',
    'MessagePosted',
    'HumanRequested',
    'SessionAssigned',
    'SessionTransferred',
    'SessionRequeued',
    'SessionRead',
    'SessionEnded',
  ),
  async apply({ db, table, event }) {
    const t = table('session_list');
    const key = [event.companyId, 'sessionId' in event ? event.sessionId : ''];
    const changed = (agentId: string | null | undefined, reason: ListChanged['reason']): readonly ListChanged[] =>
      agentId ? [{ companyId: event.companyId, agentId, sessionId: key[1]!, reason }] : nothingChanged;
    const holder = async (): Promise<string | null> => {
      const { rows } = await db.raw<{ rows: { agent_id: string | null }[] }>(
        `select agent_id from ${t} where company_id = ? and session_id = ?`,
        key,
      );
      return rows[0]?.agent_id ?? null;
    };

    switch (event.type) {
      case 'SessionStarted':
        await db.raw(
          `insert into ${t} (company_id, session_id, visitor_id, channel, group_id, state, started_at, updated_at)
           values (?, ?, ?, ?, ?, 'bot', ?, ?) on conflict do nothing`,
          [...key, event.visitorId, event.channel, event.groupId, event.at, event.at],
        );
        return nothingChanged;
      case 'MessagePosted': {
        const visitor = event.from.role === 'visitor';
        await db.raw(
          `update ${t} set last_message_text = ?, last_message_at = ?, last_message_role = ?, last_message_from_id = ?,
             unread = unread or ?, first_unread_at = case when ? and not unread then ? else first_unread_at end,
             updated_at = ?
           where company_id = ? and session_id = ?`,
          [event.text, event.at, event.from.role, event.from.id ?? null, visitor, visitor, event.at, event.at, ...key],
        );
        return changed(await holder(), 'message');
      }
      case 'HumanRequested':
        await db.raw(
          `update ${t} set state = 'queued', group_id = ?, updated_at = ? where company_id = ? and session_id = ?`,
          [event.groupId, event.at, ...key],
        );
        return nothingChanged;
      case 'SessionAssigned':
        await db.raw(
          `update ${t} set state = 'assigned', agent_id = ?, group_id = ?, updated_at = ? where company_id = ? and session_id = ?`,
          [event.agentId, event.groupId, event.at, ...key],
        );
        return changed(event.agentId, 'assigned');
      case 'SessionTransferred': {
        const to = event.to;
        if ('agentId' in to) {
          await db.raw(`update ${t} set agent_id = ?, updated_at = ? where company_id = ? and session_id = ?`, [
            to.agentId,
            event.at,
            ...key,
          ]);
          return [...changed(event.fromAgentId, 'transferred'), ...changed(to.agentId, 'transferred')];
        }
        await db.raw(
          `update ${t} set agent_id = null, state = 'queued', group_id = ?, updated_at = ? where company_id = ? and session_id = ?`,
          [to.groupId, event.at, ...key],
        );
        return changed(event.fromAgentId, 'transferred');
      }
      case 'SessionRequeued':
        await db.raw(
          `update ${t} set agent_id = null, state = 'queued', group_id = ?, updated_at = ? where company_id = ? and session_id = ?`,
          [event.groupId, event.at, ...key],
        );
        return changed(event.fromAgentId, 'requeued');
      case 'SessionRead':
        await db.raw(
          `update ${t} set unread = false, first_unread_at = null, updated_at = ? where company_id = ? and session_id = ?`,
          [event.at, ...key],
        );
        return changed(event.agentId, 'read');
      case 'SessionEnded': {
        const agentId = await holder();
        await db.raw(`update ${t} set state = 'ended', updated_at = ? where company_id = ? and session_id = ?`, [
          event.at,
          ...key,
        ]);
        return changed(agentId, 'ended');
      }
      default:
        return nothingChanged;
    }
  },
};
