// Which fields of which events (and of the commands a workflow records with its refusals) are
// personal data: ONE table, checked against the domain's codecs by fields.unit.spec.ts (a new event
// type, or a new free-text field, fails it until it is classified here).
//
// A path is a field name, `a.b` for a field of an object, `a[].b` for a field of each element of
// an array. What a field reads as once its subject is erased:
// - 'text': ERASED ('[erased]'), for free texts;
// - 'omit': the field is left out (optional fields whose codec refuses '[erased]': email, phone);
// - 'empty': `{}` (the attributes map: its keys are inside the ciphertext too).

export type ErasedAs = 'text' | 'omit' | 'empty';
export type PersonalFields = Readonly<Record<string, ErasedAs>>;

const none: PersonalFields = {};
const profile = (prefix: string): PersonalFields => ({
  [`${prefix}.name`]: 'text',
  [`${prefix}.email`]: 'omit',
  [`${prefix}.phone`]: 'omit',
  [`${prefix}.attributes`]: 'empty',
});

/**
 * Every event type of the aggregates, with its personal fields (encrypted under the key of the
 * visitor the stream is about: a session's visitor, for everyone's messages and the agents' notes
 * alike, since all of them are about that visitor's conversation).
 */
export const PERSONAL_EVENT_FIELDS: Readonly<Record<string, PersonalFields>> = {
  // session
  SessionStarted: { visitorName: 'text', channelUserId: 'text' },
  MessagePosted: { text: 'text', 'attachments[].name': 'text', 'bot.question': 'text' },
  NotePosted: { text: 'text', 'attachments[].name': 'text' },
  CsatSubmitted: { comment: 'text' },
  HumanRequested: none,
  HumanUnavailable: none,
  SessionAssigned: none,
  SessionTransferred: none,
  SessionRequeued: none,
  SessionRead: none,
  SessionReadByVisitor: none,
  SessionTagsChanged: none,
  SessionEnded: none,
  TimeoutCheckScheduled: none,
  ChannelDeliveryRecorded: none,
  CsatRequested: none,
  SlaBreached: none,
  // visitor
  VisitorProfileUpdated: profile('changed'),
  VisitorSeen: { pageUrl: 'text' },
  VisitorSessionOpened: none,
  VisitorSessionClosed: none,
  // queue, agent: ids, statuses and counts only
  SessionQueued: none,
  SessionLeftQueue: none,
  AgentStatusChanged: none,
  SessionAttached: none,
  SessionDetached: none,
};

/**
 * Free strings of events that are NOT personal, each with why (the unit test requires every free
 * string of every event to be in one of the two tables).
 */
export const NOT_PERSONAL_EVENT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  // Ids the client or the platform gave, and the stored file's technical description.
  MessagePosted: [
    'clientMsgId',
    'attachments[].mediaId',
    'attachments[].mimeType',
    'attachments[].url',
    'attachments[].attachmentId',
    'attachments[].contentType',
    // The bot's side: the knowledge base's entry, its title, suggestions and buttons (company texts).
    'bot.entryId',
    'bot.title',
    'bot.suggestions[]',
    'bot.actions[].label',
  ],
  NotePosted: [
    'clientMsgId',
    'attachments[].mediaId',
    'attachments[].mimeType',
    'attachments[].url',
    'attachments[].attachmentId',
    'attachments[].contentType',
  ],
  CsatSubmitted: ['clientMsgId'],
  // The company's own labels.
  SessionTagsChanged: ['added[]', 'removed[]', 'tags[]'],
  // The platform's delivery error and message id.
  ChannelDeliveryRecorded: ['reason', 'platformMessageId'],
};

/** The commands a workflow may record in its refusals, with their personal fields (as the events'). */
export const PERSONAL_COMMAND_FIELDS: Readonly<Record<string, PersonalFields>> = {
  PostMessage: {
    text: 'text',
    'attachments[].name': 'text',
    'bot.question': 'text',
    'origin.visitorName': 'text',
    'origin.channelUserId': 'text',
  },
  RequestHuman: { 'origin.visitorName': 'text', 'origin.channelUserId': 'text' },
  PostNote: { text: 'text', 'attachments[].name': 'text' },
  SubmitCsat: { comment: 'text' },
  RecordVisitorVisit: { ...profile('profile'), pageUrl: 'text' },
};

/** A path split into its steps; `[]` is "each element". */
export const pathSteps = (path: string): readonly string[] =>
  path.split('.').flatMap((part) => (part.endsWith('[]') ? [part.slice(0, -2), '[]'] : [part]));
