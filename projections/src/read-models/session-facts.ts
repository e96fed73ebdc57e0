// One row per session for reports: when it started, asked for a human, was first answered by an
// agent and ended, and why; first response and handling times are differences of these.
import type { Projection } from '../projection';
import { eventTypes, nothingChanged } from '../projection';

export const sessionFacts: Projection = {
  name: 'session_facts',
  tables: ['session_facts'],

  async createTables(db, table) {
    await db.raw(`create table ${table('session_facts')} (
      company_id text not null,
      session_id text not null,
      visitor_id text not null,
      channel text not null,
      group_id text not null,
      started_at timestamptz not null,
      human_requested_at timestamptz,
      assigned_at timestamptz,
      first_agent_id text,
      first_agent_reply_at timestamptz,
      visitor_messages integer not null default 0,
      agent_messages integer not null default 0,
      bot_messages integer not null default 0,
      transfers integer not null default 0,
      ended_at timestamptz,
      end_reason text,
      primary key (company_id, session_id)
    )`);
  },

  handles: eventTypes(
    'SessionStarted',
    'HumanRequested',
    'SessionAssigned',
    'MessagePosted',
    'SessionTransferred',
    'SessionEnded',
  ),
  async apply({ db, table, event }) {
    const t = table('session_facts');
    const where = 'where company_id = ? and session_id = ?';
    const key = [event.companyId, 'sessionId' in event ? event.sessionId : ''];
    switch (event.type) {
      case 'SessionStarted':
        await db.raw(
          `insert into ${t} (company_id, session_id, visitor_id, channel, group_id, started_at) values (?, ?, ?, ?, ?, ?)
           on conflict do nothing`,
          [...key, event.visitorId, event.channel, event.groupId, event.at],
        );
        break;
      case 'HumanRequested':
        await db.raw(`update ${t} set human_requested_at = coalesce(human_requested_at, ?), group_id = ? ${where}`, [
          event.at,
          event.groupId,
          ...key,
        ]);
        break;
      case 'SessionAssigned':
        await db.raw(
          `update ${t} set assigned_at = coalesce(assigned_at, ?), first_agent_id = coalesce(first_agent_id, ?) ${where}`,
          [event.at, event.agentId, ...key],
        );
        break;
      case 'MessagePosted': {
        const role = event.from.role;
        if (role === 'system') break;
        const counter = `${role}_messages`;
        const firstReply = role === 'agent' ? ', first_agent_reply_at = coalesce(first_agent_reply_at, ?)' : '';
        await db.raw(`update ${t} set ${counter} = ${counter} + 1${firstReply} ${where}`, [
          ...(role === 'agent' ? [event.at] : []),
          ...key,
        ]);
        break;
      }
      case 'SessionTransferred':
        await db.raw(`update ${t} set transfers = transfers + 1 ${where}`, key);
        break;
      case 'SessionEnded':
        await db.raw(`update ${t} set ended_at = ?, end_reason = ? ${where}`, [event.at, event.reason, ...key]);
        break;
      default:
        break;
    }
    return nothingChanged;
  },
};
