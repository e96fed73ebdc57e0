// The agent console: plain ES module, no build step. Protocol: PROTOCOL.md (POST /api/agents/login,
// then the socket /ws/agent; history, profiles, search and uploads over HTTP). The sign-in is kept
// in localStorage until it expires, is refused, or the agent signs out. Every string it shows comes
// from the `console` section of ./locales/<lang>.js through `t`.

import { newId, reconnectDelay, Requests, staffLogin, tokenClaims } from './frames.js';
import { bindLanguageSwitch, formatTime, language, onLanguageChange, t } from './i18n.js';

/** An element of the page by id; the constants below say which kind. @returns {any} */
const $ = (id) => document.getElementById(id);
/** @type {HTMLFormElement} */
const loginForm = $('login');
/** @type {HTMLElement} */
const loginError = $('login-error');
/** @type {HTMLElement} */
const loginNotice = $('login-notice');
/** @type {HTMLInputElement} */
const companyEl = $('company');
/** @type {HTMLInputElement} */
const usernameEl = $('username');
/** @type {HTMLInputElement} */
const passwordEl = $('password');
/** @type {HTMLElement} */
const appEl = $('app');
/** @type {HTMLSelectElement} */
const statusEl = $('status');
/** @type {HTMLElement} */
const statusHint = $('status-hint');
/** @type {HTMLElement} */
const signedInAs = $('signed-in-as');
/** @type {HTMLButtonElement} */
const signOutButton = $('sign-out');
/** @type {HTMLElement} */
const loadEl = $('load');
/** @type {HTMLElement} */
const connectionEl = $('connection');
/** @type {HTMLElement} */
const sessionsEl = $('sessions');
/** @type {HTMLElement} */
const noSessionsEl = $('no-sessions');
/** @type {HTMLSelectElement} */
const tagFilterEl = $('tag-filter');
/** @type {HTMLElement} */
const tagFilterLabel = $('tag-filter-label');
/** @type {HTMLElement} */
const conversationEl = $('conversation');
/** @type {HTMLElement} */
const titleEl = $('conversation-title');
/** @type {HTMLElement} */
const messagesEl = $('messages');
/** @type {HTMLElement} */
const typingEl = $('typing');
/** @type {HTMLFormElement} */
const replyForm = $('reply');
/** @type {HTMLTextAreaElement} */
const replyText = $('reply-text');
/** @type {HTMLButtonElement} */
const sendButton = $('send');
/** @type {HTMLButtonElement} */
const modeReplyButton = $('mode-reply');
/** @type {HTMLButtonElement} */
const modeNoteButton = $('mode-note');
/** @type {HTMLButtonElement} */
const attachButton = $('attach');
/** @type {HTMLInputElement} */
const fileInput = $('file-input');
/** @type {HTMLElement} */
const pendingFilesEl = $('pending-files');
/** @type {HTMLElement} */
const uploadError = $('upload-error');
/** @type {HTMLButtonElement} */
const endButton = $('end');
/** @type {HTMLButtonElement} */
const closeReadOnlyButton = $('close-readonly');
/** @type {HTMLButtonElement} */
const takeOverButton = $('take-over');
/** @type {HTMLButtonElement} */
const floorButton = $('view-floor');
/** @type {HTMLElement} */
const floorView = $('floor-view');
/** @type {HTMLElement} */
const floorSessionsEl = $('floor-sessions');
/** @type {HTMLElement} */
const floorQueuesEl = $('floor-queues');
/** @type {HTMLElement} */
const floorAgentsEl = $('floor-agents');
/** @type {HTMLElement} */
const floorStatus = $('floor-status');
/** @type {HTMLElement} */
const floorError = $('floor-error');
/** @type {HTMLElement} */
const paneNotice = $('pane-notice');
/** @type {HTMLElement} */
const cannedEl = $('canned');
/** @type {HTMLSelectElement} */
const transferTarget = $('transfer-target');
/** @type {HTMLButtonElement} */
const transferButton = $('transfer');
/** @type {HTMLElement} */
const transferError = $('transfer-error');
/** @type {HTMLElement} */
const tagsEl = $('tags');
/** @type {HTMLFormElement} */
const tagForm = $('tag-form');
/** @type {HTMLInputElement} */
const tagInput = $('tag-input');
/** @type {HTMLElement} */
const tagError = $('tag-error');
/** @type {HTMLElement} */
const queuesEl = $('queues');
/** @type {HTMLElement} */
const colleaguesEl = $('colleagues');
/** @type {HTMLElement} */
const boardError = $('board-error');
/** @type {HTMLButtonElement} */
const olderButton = $('older');
/** @type {HTMLInputElement} */
const soundEl = $('sound');
/** @type {HTMLButtonElement} */
const notifyButton = $('notify');
/** @type {HTMLElement} */
const notifyState = $('notify-state');
/** @type {HTMLElement} */
const profileEl = $('profile');
/** @type {HTMLElement} */
const profileFields = $('profile-fields');
/** @type {HTMLElement} */
const profileSessions = $('profile-sessions');
/** @type {HTMLElement} */
const profileError = $('profile-error');
/** @type {HTMLButtonElement} */
const historyButton = $('view-history');
/** @type {HTMLElement} */
const historyView = $('history-view');
/** @type {HTMLFormElement} */
const historyForm = $('history-form');
/** @type {HTMLElement} */
const historyStatus = $('history-status');
/** @type {HTMLElement} */
const historyResults = $('history-results');
/** @type {HTMLButtonElement} */
const historyMore = $('history-more');
/** @type {HTMLSelectElement} */
const historyAgent = $('history-agent');

// The sign-in of the moment: all undefined while the sign-in form is shown.
let token;
let agentId;
let companyId;
let role;
let socket;
/** @type {Requests} */
let requests = new Requests(() => socket);
let attempt = 0;
let reconnectTimer;
let expiryTimer;
/** The latest `agent.state`, as shown. */
let agentState = { status: '', load: 0, capacity: undefined };
/** This agent's display name (`agent.state` `name`, else the board's), once known. */
let myName;
/** The company's offlineRequeueSeconds when this agent may read it (admins), else undefined. */
let requeueSeconds;
let sessions = [];
/**
 * The conversation in the pane: a live session of the list, or a past one opened read-only
 * (from the profile or History). `closed` says why a live one takes no more replies.
 * `watching`: a supervisor's live look at a session it does not hold (`session.watch`), read only.
 * @type {{ sessionId: string, readOnly: boolean, watching?: boolean, row?: any, closed?: { key: string, values?: Record<string, unknown> }, from?: 'history' | 'floor' } | undefined}
 */
let pane;
const openId = () => pane?.sessionId;
const unacked = new Map();
const shownMessageIds = new Set();
const failures = new Map(); // messageId -> reason (message.failed)
const unseen = new Map(); // sessionId -> messages arrived while it was not open
const readUpTo = new Map(); // sessionId -> the agent's last messageId the visitor has read
/** @type {WeakMap<Element, any>} the message each bubble shows (to relabel it in another language) */
const bubbleMessage = new WeakMap();
let board = { queues: [], agents: [] };
let boardTimer;
let tagFilter = '';
/** To the visitor, or a private note for colleagues. @type {'reply' | 'note'} */
let mode = 'reply';
/** @type {{ attachmentId: string, name: string, size: number, contentType: string, url: string }[]} */
let pendingFiles = [];
/** @type {'live' | 'history' | 'floor'} */
let view = 'live';
/**
 * The live board (supervisors and admins) as the last `live.update` pushed it, and when it came:
 * the waits count on in the page from there until the next push.
 * @type {any}
 */
let floor;
let floorAt = 0;
/** Whether this socket asked for `live.update` (asked again after a reconnect). */
let floorSubscribed = false;
/** A session taken over, opened once the list has it. @type {string | undefined} */
let openWhenListed;
const overseer = () => role === 'supervisor' || role === 'admin';

/** What to tell the person, kept as a key so that a change of language redraws it. */
const say = (el, key, values) => {
  if (!key) {
    el.textContent = '';
    delete el.dataset.key;
    return;
  }
  el.textContent = t(key, values);
  el.dataset.key = key;
  el.dataset.values = JSON.stringify(values ?? {});
};
const redrawSaid = () => {
  for (const el of document.querySelectorAll('[data-key]')) {
    const html = /** @type {HTMLElement} */ (el);
    html.textContent = t(html.dataset.key, JSON.parse(html.dataset.values || '{}'));
  }
};

/** A GET (or other request) with the agent's token; a 401 (expired or revoked token) ends the sign-in. */
const authorized = async (url, init = {}) => {
  const used = token;
  const response = await fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${used}` } });
  if (response.status === 401 && used === token) signOutLocally({ error: 'console.refused' });
  return response;
};

const api = async (url) => {
  const response = await authorized(url);
  if (!response.ok)
    throw Object.assign(new Error(`${url.split('?')[0]}: ${response.status}`), { status: response.status });
  return response.json();
};

const myLabel = () => myName || agentId;

const updateTitle = () => {
  let n = 0;
  for (const count of unseen.values()) n += count;
  const base = agentId ? t('console.titleOf', { name: myLabel() }) : t('console.title');
  document.title = n > 0 ? `(${n}) ${base}` : base;
};

/** "45 s", "3 min", "2 h": how long ago `at` was. */
const since = (at) => {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(at)) / 1000));
  if (!Number.isFinite(seconds)) return '';
  return duration(seconds, Math.floor);
};

/** @param {number} seconds @param {(n: number) => number} [round] */
const duration = (seconds, round = Math.round) =>
  seconds < 60
    ? t('console.seconds', { count: seconds })
    : seconds < 3600
      ? t('console.minutes', { count: round(seconds / 60) })
      : t('console.hours', { count: round(seconds / 3600) });

/** A date and time as the language writes them. @param {string} at */
const dateTime = (at) => formatTime(at, { dateStyle: 'medium', timeStyle: 'short' });

// ---- names: people by name, never by id where a name is known

/** The 4 characters that tell a visitor apart when it gave no name ("v-25eadcb1-…" -> "25ea"). */
const shortVisitor = (visitorId) =>
  String(visitorId)
    .replace(/^v-/, '')
    .replace(/[^0-9a-zA-Z]/g, '')
    .slice(0, 4);

/** Visitors' names learnt from their profiles, for rows that carry none. */
const knownNames = new Map();

/** @param {{ visitorId: string, visitorName?: string, name?: string }} row */
const visitorName = (row) =>
  row.visitorName ||
  row.name ||
  knownNames.get(row.visitorId) ||
  t('console.visitorShort', { short: shortVisitor(row.visitorId) });

/** @param {string} channel */
const channelName = (channel) => t(`console.channelName.${channel}`, { defaultValue: channel });

const agentName = (id) => board.agents.find((a) => a.agentId === id)?.name || (id === agentId && myName) || id;
const groupName = (id) => board.queues.find((q) => q.groupId === id)?.name || t('console.groupFallback', { id });
const statusName = (status) => t(`console.statusName.${status}`, { defaultValue: status });
const stateName = (state) => t(`console.stateName.${state}`, { defaultValue: state });

// ---- notices: the unread count in the title, a short tone when sound is on, desktop notifications

const SOUND_KEY = 'cschat.console.sound';
let audio;

const beep = () => {
  if (!soundEl.checked) return;
  try {
    audio ??= new AudioContext();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.25);
    document.body.dataset.lastBeep = String(Date.now());
  } catch {
    // No audio output (or not allowed yet): the title still shows the count.
  }
};

const notificationsSupported = () => typeof Notification !== 'undefined';

function renderNotifyState() {
  if (!notificationsSupported()) {
    notifyButton.hidden = true;
    say(notifyState, 'console.notifyUnsupported');
    return;
  }
  const permission = Notification.permission;
  notifyButton.hidden = permission === 'granted';
  say(
    notifyState,
    permission === 'granted' ? 'console.notifyOn' : permission === 'denied' ? 'console.notifyDenied' : undefined,
  );
}

// Asked on the agent's click only: browsers refuse (and people dislike) a request on load.
notifyButton.addEventListener('click', async () => {
  if (!notificationsSupported()) return;
  try {
    await Notification.requestPermission();
  } finally {
    renderNotifyState();
  }
});

/** A desktop notification while the tab is hidden; clicking it brings the session up. */
const notifyDesktop = (title, body, sessionId) => {
  if (!document.hidden || !notificationsSupported() || Notification.permission !== 'granted') return;
  try {
    const notification = new Notification(title, { body, tag: sessionId });
    notification.onclick = () => {
      window.focus();
      if (sessions.some((row) => row.sessionId === sessionId)) openSession(sessionId);
    };
  } catch {
    // Some browsers allow notifications from service workers only: the sound and the title remain.
  }
};

/**
 * The order of `session.list`: unread first, the longest waiting of them first, then the latest changed.
 * @param {any[]} rows
 */
const sortSessions = (rows) =>
  rows.sort(
    (a, b) =>
      Number(b.unread) - Number(a.unread) ||
      (a.firstUnreadAt ?? '\uffff').localeCompare(b.firstUnreadAt ?? '\uffff') ||
      b.updatedAt.localeCompare(a.updatedAt),
  );

/** Tag chips (read-only) for a row. @param {string[] | undefined} tags */
const tagChips = (tags) => {
  const ul = document.createElement('ul');
  ul.className = 'tag-chips small';
  for (const tag of tags ?? []) {
    const li = document.createElement('li');
    li.className = 'tag';
    li.textContent = tag;
    ul.append(li);
  }
  return ul;
};

/**
 * The service-level targets of its group the session passed, as a badge with text (not colour alone).
 * @param {string[]} targets firstResponse, wait
 */
const slaBadge = (targets) => {
  const badge = document.createElement('span');
  badge.className = 'sla-badge';
  badge.textContent = t('console.slaBreached', {
    targets: targets.map((target) => t(`console.slaTarget.${target}`, { defaultValue: target })).join(', '),
  });
  return badge;
};

function renderTagFilter() {
  const all = [...new Set(sessions.flatMap((row) => row.tags ?? []))].sort();
  if (tagFilter && !all.includes(tagFilter)) all.unshift(tagFilter);
  tagFilterLabel.hidden = all.length === 0;
  tagFilterEl.replaceChildren(new Option(t('console.allTags'), ''), ...all.map((tag) => new Option(tag, tag)));
  tagFilterEl.value = tagFilter;
}

const renderSessions = () => {
  renderTagFilter();
  sessionsEl.replaceChildren();
  const shown = sessions.filter((row) => !tagFilter || (row.tags ?? []).includes(tagFilter));
  noSessionsEl.hidden = shown.length > 0;
  noSessionsEl.textContent =
    sessions.length > 0
      ? t('console.emptyFiltered', { tag: tagFilter })
      : agentState.status === 'away' || agentState.status === 'offline'
        ? t('console.emptyAway', { status: statusName(agentState.status) })
        : t('console.empty');
  for (const row of shown) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'session';
    button.dataset.sessionId = row.sessionId;
    if (row.sessionId === openId()) {
      button.classList.add('open');
      button.setAttribute('aria-current', 'true');
    }
    const name = document.createElement('span');
    name.className = 'session-name';
    name.textContent = `${visitorName(row)} · ${channelName(row.channel)} · ${stateName(row.state)}`;
    const preview = document.createElement('span');
    preview.className = 'preview';
    preview.textContent = row.lastMessage ? row.lastMessage.text : '';
    const wait = document.createElement('span');
    wait.className = 'wait';
    wait.textContent =
      row.unread && row.firstUnreadAt
        ? t('console.waitingFor', { time: since(row.firstUnreadAt) })
        : since(row.updatedAt);
    button.append(name, wait);
    if (row.unread) {
      const dot = document.createElement('span');
      dot.className = 'unread-dot';
      dot.setAttribute('aria-label', t('console.unread'));
      dot.setAttribute('role', 'img');
      button.append(dot);
    }
    button.append(preview);
    if ((row.slaBreached ?? []).length > 0) button.append(slaBadge(row.slaBreached));
    if ((row.tags ?? []).length > 0) button.append(tagChips(row.tags));
    button.addEventListener('click', () => openSession(row.sessionId));
    li.append(button);
    sessionsEl.append(li);
  }
};

tagFilterEl.addEventListener('change', () => {
  tagFilter = tagFilterEl.value;
  renderSessions();
});

// ---- the conversation: bubbles, attachments, read receipts

/** `url` with the token (an <img> cannot send a header) and `extra` parameters. */
const fileUrl = (url, extra = {}) => {
  const full = new URL(url, location.href);
  for (const [key, value] of Object.entries(extra)) full.searchParams.set(key, value);
  full.searchParams.set('token', token ?? '');
  return full.toString();
};

/** "12 KB", "3.4 MB". @param {number} size */
const fileSize = (size) =>
  size < 1024
    ? t('console.bytes', { count: size })
    : size < 1024 * 1024
      ? t('console.kilobytes', { size: Math.round(size / 1024) })
      : t('console.megabytes', { size: (size / 1024 / 1024).toFixed(1) });

/** Images as thumbnails opening the full image, other files as download links with name and size. */
const attachmentList = (attachments) => {
  const ul = document.createElement('ul');
  ul.className = 'attachments';
  for (const file of attachments) {
    const li = document.createElement('li');
    const link = document.createElement('a');
    link.href = fileUrl(file.url);
    link.target = '_blank';
    link.rel = 'noopener';
    if (String(file.contentType).startsWith('image/')) {
      li.className = 'attachment image';
      const img = document.createElement('img');
      img.alt = file.name;
      img.loading = 'lazy';
      img.addEventListener('error', () => {
        // No thumbnail for this one: the full image, once.
        if (img.dataset.fallback) return;
        img.dataset.fallback = '1';
        img.src = fileUrl(file.url);
      });
      img.src = fileUrl(file.url, { thumb: '1' });
      link.append(img);
      link.setAttribute('aria-label', t('console.openImage', { name: file.name }));
    } else {
      li.className = 'attachment file';
      link.download = file.name;
      link.textContent = `${file.name} (${fileSize(file.size)})`;
    }
    li.append(link);
    ul.append(li);
  }
  return ul;
};

/** Who wrote `message`, as the agent reads it. */
const whoOf = (message) => {
  const role = message.from?.role || 'system';
  if (message.private) return t('console.noteBy', { name: agentName(message.from?.id) });
  if (role === 'agent' && message.from?.id) return agentName(message.from.id);
  if (role === 'visitor') return pane?.row ? visitorName(pane.row) : t('console.role.visitor');
  return t(`console.role.${role}`, { defaultValue: role });
};

/** The text of a bubble: the message's, or a system line kept as a key (redrawn in another language). */
const textOf = (message) => (message.key ? t(message.key, message.values) : message.text);

const labelBubble = (li, message) => {
  li.querySelector('.who').textContent = whoOf(message);
  li.querySelector('.text').textContent = textOf(message);
  const files = (message.attachments ?? []).map((f) => f.name).join(', ');
  li.setAttribute(
    'aria-label',
    t('console.said', { who: whoOf(message), text: [textOf(message), files].filter(Boolean).join(' ') }),
  );
  if (message.at) li.title = dateTime(message.at);
};

const bubble = (message, { append = true } = {}) => {
  if (message.messageId) {
    if (shownMessageIds.has(message.messageId)) return undefined;
    shownMessageIds.add(message.messageId);
  }
  const role = message.from?.role || 'system';
  const li = document.createElement('li');
  li.className = `bubble ${role}${message.private ? ' note' : ''}`;
  li.dataset.role = role;
  if (message.private) li.dataset.private = 'true';
  if (message.messageId) li.dataset.messageId = message.messageId;
  const who = document.createElement('span');
  who.className = 'who';
  const body = document.createElement('span');
  body.className = 'text';
  li.append(who, body);
  if ((message.attachments ?? []).length > 0) li.append(attachmentList(message.attachments));
  bubbleMessage.set(li, message);
  labelBubble(li, message);
  if (message.messageId && failures.has(message.messageId)) markFailed(li, failures.get(message.messageId));
  if (!append) return li;
  messagesEl.append(li);
  showReceipt();
  messagesEl.lastElementChild?.scrollIntoView({ block: 'end' });
  return li;
};

/** A line from the console itself (kept as a key so that a change of language redraws it). */
const systemLine = (key, values) => bubble({ from: { role: 'system' }, key, values });

function markFailed(li, reason) {
  let note = li.querySelector('.failed');
  if (!note) {
    note = document.createElement('span');
    note.className = 'failed';
    note.setAttribute('role', 'status');
    li.append(note);
  }
  say(note, 'console.notDelivered', { reason });
  li.classList.add('not-delivered');
}

/** "Read" under the last of the agents' messages the visitor has read (`message.read`). */
function showReceipt() {
  const sessionId = openId();
  const upTo = sessionId ? readUpTo.get(sessionId) : undefined;
  const target = upTo ? messagesEl.querySelector(`[data-message-id="${CSS.escape(upTo)}"]`) : null;
  const current = messagesEl.querySelector('.receipt');
  if (current && current.parentElement === target) return;
  current?.remove();
  if (!target) return;
  for (const li of messagesEl.querySelectorAll('.bubble.agent:not(.note)')) {
    li.classList.add('read');
    if (li === target) break;
  }
  const receipt = document.createElement('span');
  receipt.className = 'receipt';
  say(receipt, 'console.read');
  target.append(receipt);
}

const PAGE = 30;
/** The open session's history: the oldest time loaded, and whether older messages remain. */
let history = { oldestAt: undefined, more: false, loading: false };

const fetchPage = async (sessionId, before) => {
  // `before` is exclusive on the server; asking from 1 ms later and dropping what is shown
  // already means messages sharing the oldest millisecond are not skipped.
  const query = before ? `&before=${encodeURIComponent(new Date(Date.parse(before) + 1).toISOString())}` : '';
  const response = await authorized(`/api/sessions/${encodeURIComponent(sessionId)}/messages?limit=${PAGE}${query}`);
  if (!response.ok) throw new Error(t('console.historyError', { status: response.status }));
  return (await response.json()).messages; // newest first
};

const noteOldest = (messages) => {
  for (const m of messages) if (!history.oldestAt || m.at < history.oldestAt) history.oldestAt = m.at;
};

// ---- the pane: what may be done in it, and why not

/** The controls that act on a live session. */
const liveControls = () => [
  replyText,
  sendButton,
  attachButton,
  transferButton,
  endButton,
  transferTarget,
  tagInput,
  modeReplyButton,
  modeNoteButton,
  /** @type {HTMLButtonElement} */ (tagForm.querySelector('button')),
];

/** Shows the pane's state: a live session takes replies; a closed or read-only one says why not. */
function renderPane() {
  if (!pane) return;
  const closed = pane.readOnly || pane.closed !== undefined;
  for (const el of liveControls()) el.disabled = closed;
  for (const chip of tagsEl.querySelectorAll('button')) /** @type {HTMLButtonElement} */ (chip).disabled = closed;
  replyForm.hidden = pane.readOnly;
  tagForm.hidden = pane.readOnly;
  takeOverButton.hidden = !pane.watching;
  for (const el of [transferButton, endButton, transferTarget.parentElement])
    /** @type {HTMLElement} */ (el).hidden = pane.readOnly;
  closeReadOnlyButton.hidden = !pane.readOnly;
  paneNotice.hidden = !closed;
  if (pane.watching) say(paneNotice, 'console.watching');
  else if (pane.readOnly) say(paneNotice, 'console.readOnly');
  else if (pane.closed) say(paneNotice, pane.closed.key, pane.closed.values);
  else say(paneNotice, undefined);
  const title = pane.row
    ? `${visitorName(pane.row)} · ${channelName(pane.row.channel)}`
    : t('console.sessionOf', { id: pane.sessionId.slice(0, 8) });
  titleEl.textContent = pane.watching
    ? t('console.watchTitle', { title })
    : pane.readOnly
      ? t('console.pastTitle', { title })
      : title;
}

/** The open live session takes no more replies, for the reason `key` says. */
function closePane(sessionId, key, values) {
  if (!pane || pane.sessionId !== sessionId || pane.readOnly || pane.closed) return;
  pane.closed = { key, values };
  stopTyping();
  closeCanned();
  renderPane();
}

function renderTags() {
  const tags = pane?.row?.tags ?? [];
  tagsEl.replaceChildren(
    ...tags.map((tag) => {
      const li = document.createElement('li');
      li.className = 'tag';
      li.dataset.tag = tag;
      const label = document.createElement('span');
      label.textContent = tag;
      li.append(label);
      if (!pane.readOnly) {
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'tag-remove';
        remove.textContent = '×';
        remove.setAttribute('aria-label', t('console.removeTag', { tag }));
        remove.addEventListener('click', () => changeTags({ remove: [tag] }));
        li.append(remove);
      }
      return li;
    }),
  );
  renderPane();
}

function changeTags(change) {
  const sessionId = openId();
  if (!sessionId) return;
  say(tagError, undefined);
  requests.send({ type: 'session.tag', sessionId, ...change }, (answer) => {
    if (answer.type === 'error') {
      say(tagError, 'console.tagError', { message: answer.message });
      return;
    }
    const tags = Array.isArray(answer.tags) ? answer.tags : undefined;
    const row = sessions.find((r) => r.sessionId === sessionId);
    if (row && tags) row.tags = tags;
    if (pane?.sessionId === sessionId && pane.row && tags) pane.row = { ...pane.row, tags };
    renderSessions();
    if (pane?.sessionId === sessionId) renderTags();
  });
}

tagForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const tag = tagInput.value.trim();
  if (!tag) return;
  if (tag.length > 32) {
    say(tagError, 'console.tagTooLong');
    return;
  }
  tagInput.value = '';
  changeTags({ add: [tag] });
});

/**
 * Opens `sessionId` in the pane: a session of the list (live), or a past one read-only.
 * @param {string} sessionId
 * @param {{ readOnly?: boolean, watching?: boolean, row?: any, visitorId?: string, from?: 'history' | 'floor' }} [options]
 */
async function openSession(sessionId, options = {}) {
  const readOnly = options.readOnly ?? !sessions.some((row) => row.sessionId === sessionId);
  stopTyping();
  stopWatching();
  pane = {
    sessionId,
    readOnly,
    ...(options.watching ? { watching: true } : {}),
    row: options.row ?? sessions.find((row) => row.sessionId === sessionId),
    ...(options.from ? { from: options.from } : {}),
  };
  unseen.delete(sessionId);
  updateTitle();
  say(transferError, undefined);
  say(tagError, undefined);
  say(typingEl, undefined);
  closeCanned();
  clearPendingFiles();
  shownMessageIds.clear();
  messagesEl.replaceChildren();
  history = { oldestAt: undefined, more: false, loading: true };
  olderButton.hidden = true;
  view = 'live';
  renderView();
  renderTags();
  renderSessions();
  renderBoard();
  const visitorId = pane.row?.visitorId ?? options.visitorId;
  loadProfile(visitorId);
  if (!readOnly) requests.send({ type: 'session.read', sessionId });
  let messages;
  try {
    messages = await fetchPage(sessionId);
  } catch (error) {
    if (openId() === sessionId) say(transferError, 'console.plain', { text: error.message });
    return;
  } finally {
    if (openId() === sessionId) history.loading = false;
  }
  if (openId() !== sessionId) return;
  const live = /** @type {HTMLElement[]} */ ([...messagesEl.children]);
  messagesEl.replaceChildren();
  for (const message of [...messages].reverse()) bubble(message);
  for (const li of live)
    if (!li.dataset.messageId || !messagesEl.querySelector(`[data-message-id="${CSS.escape(li.dataset.messageId)}"]`))
      messagesEl.append(li);
  noteOldest(messages);
  history.more = messages.length === PAGE;
  olderButton.hidden = !history.more;
  showReceipt();
  messagesEl.lastElementChild?.scrollIntoView({ block: 'end' });
  if (!visitorId) {
    // A search hit says no visitor: the visitor's own messages do.
    const fromVisitor = messages.find((m) => m.from?.role === 'visitor' && m.from.id);
    if (fromVisitor) loadProfile(fromVisitor.from.id);
  }
  if (!readOnly) replyText.focus();
}

/** One page further back, put above what is shown without moving what the agent is reading. */
async function loadOlder() {
  const sessionId = openId();
  if (!sessionId || !history.more || history.loading) return;
  history.loading = true;
  olderButton.disabled = true;
  try {
    const messages = await fetchPage(sessionId, history.oldestAt);
    if (openId() !== sessionId) return;
    const fresh = messages.filter((m) => !shownMessageIds.has(m.messageId));
    const before = messagesEl.scrollHeight;
    const anchor = messagesEl.firstElementChild;
    for (const message of [...fresh].reverse()) {
      const li = bubble(message, { append: false });
      if (li) messagesEl.insertBefore(li, anchor);
    }
    messagesEl.scrollTop += messagesEl.scrollHeight - before;
    noteOldest(fresh);
    history.more = messages.length === PAGE && fresh.length > 0;
    olderButton.hidden = !history.more;
    showReceipt();
  } catch (error) {
    say(transferError, 'console.olderError', { message: error.message });
  } finally {
    if (openId() === sessionId) history.loading = false;
    olderButton.disabled = false;
  }
}

/** The pane watched a session: the server is told to stop sending its frames. */
function stopWatching() {
  if (pane?.watching) requests.send({ type: 'session.unwatch', sessionId: pane.sessionId });
}

closeReadOnlyButton.addEventListener('click', () => {
  const back = pane?.from;
  stopWatching();
  pane = undefined;
  messagesEl.replaceChildren();
  profileEl.hidden = true;
  view = back ?? 'live';
  renderView();
  renderSessions();
});

// ---- the visitor's profile beside the conversation

/** The profile last shown (redrawn on a change of language). */
let profile;
let profileSeq = 0;

async function loadProfile(visitorId) {
  const seq = ++profileSeq;
  if (!visitorId) {
    profile = undefined;
    profileEl.hidden = true;
    return;
  }
  try {
    const found = await api(`/api/visitors/${encodeURIComponent(visitorId)}`);
    if (seq !== profileSeq) return;
    profile = found;
    // A list row without `visitorName` (an older server) still shows the name the profile knows.
    if (profile.name && knownNames.get(profile.visitorId) !== profile.name) {
      knownNames.set(profile.visitorId, profile.name);
      renderPane();
      renderSessions();
      for (const li of messagesEl.children) {
        const message = bubbleMessage.get(li);
        if (message) labelBubble(li, message);
      }
    }
    renderProfile();
  } catch {
    // No profile route (404 on a server without it) or no such visitor: no panel.
    if (seq !== profileSeq) return;
    profile = undefined;
    profileEl.hidden = true;
  }
}

function renderProfile() {
  if (!profile) return;
  profileEl.hidden = view !== 'live' || !pane;
  const fields = [];
  const field = (key, value) => {
    if (value === undefined || value === null || value === '') return;
    const dt = document.createElement('dt');
    dt.textContent = key;
    const dd = document.createElement('dd');
    if (value instanceof Node) dd.append(value);
    else dd.textContent = String(value);
    fields.push(dt, dd);
  };
  const attributes = { ...(profile.attributes ?? {}) };
  const pageUrl = profile.pageUrl ?? attributes.pageUrl;
  delete attributes.pageUrl;
  field(t('console.profileName'), profile.name || visitorName({ visitorId: profile.visitorId }));
  if (profile.email) {
    const mail = document.createElement('a');
    mail.href = `mailto:${profile.email}`;
    mail.textContent = profile.email;
    field(t('console.email'), mail);
  }
  field(t('console.phone'), profile.phone);
  field(t('console.channel'), channelName(profile.channel));
  field(t('console.pageUrl'), pageUrl);
  field(t('console.firstSeen'), profile.firstSeenAt && dateTime(profile.firstSeenAt));
  field(t('console.lastSeen'), profile.lastSeenAt && dateTime(profile.lastSeenAt));
  for (const [key, value] of Object.entries(attributes)) field(key, value);
  profileFields.replaceChildren(...fields);
  const past = (profile.sessions ?? []).filter((s) => s.sessionId !== openId());
  profileSessions.replaceChildren(
    ...past.map((s) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'link';
      button.dataset.sessionId = s.sessionId;
      const who = s.agentId ? ` · ${agentName(s.agentId)}` : '';
      button.textContent = `${dateTime(s.startedAt)} · ${stateName(s.state)}${who}`;
      button.addEventListener('click', () =>
        openSession(s.sessionId, {
          readOnly: !sessions.some((row) => row.sessionId === s.sessionId),
          row: sessions.find((row) => row.sessionId === s.sessionId) ?? {
            sessionId: s.sessionId,
            visitorId: profile.visitorId,
            visitorName: profile.name,
            channel: profile.channel,
            state: s.state,
            tags: s.tags ?? [],
          },
        }),
      );
      li.append(button);
      if ((s.tags ?? []).length > 0) li.append(tagChips(s.tags));
      return li;
    }),
  );
  say(profileError, past.length === 0 ? 'console.noPastSessions' : undefined);
}

// ---- frames from the server

/** A row changed or came: replaced in place, the pane following it. */
const updateRow = (row) => {
  const known = sessions.some((old) => old.sessionId === row.sessionId);
  sessions = sortSessions([...sessions.filter((old) => old.sessionId !== row.sessionId), row]);
  if (!known) announceNewSession(row);
  if (pane?.sessionId === row.sessionId && !pane.readOnly) {
    pane.row = row;
    renderTags();
  }
  renderSessions();
};

const announceNewSession = (row) => {
  beep();
  notifyDesktop(t('console.notifyNewSession'), `${visitorName(row)}: ${row.lastMessage?.text ?? ''}`, row.sessionId);
};

let typingTimer;

const onFrame = (frame) => {
  switch (frame.type) {
    case 'ack':
    case 'error': {
      if (!requests.answer(frame) && frame.type === 'error')
        say(connectionEl, 'console.frameError', { message: frame.message });
      return;
    }
    case 'agent.state':
      if (typeof frame.name === 'string' && frame.name) myName = frame.name;
      agentState.capacity = frame.capacity;
      say(loadEl, 'console.load', { load: frame.load, capacity: frame.capacity });
      showStatus(frame.status, frame.load);
      showSignedInAs();
      renderSessions();
      refreshBoard();
      return;
    case 'session.list': {
      for (const row of frame.sessions)
        if (!sessions.some((old) => old.sessionId === row.sessionId) && row.sessionId !== openWhenListed)
          announceNewSession(row);
      sessions = frame.sessions;
      if (openWhenListed && sessions.some((row) => row.sessionId === openWhenListed)) {
        const taken = openWhenListed;
        openWhenListed = undefined;
        void openSession(taken);
      }
      for (const id of unseen.keys()) if (!sessions.some((row) => row.sessionId === id)) unseen.delete(id);
      // The open session left the list (transferred, taken over, ended): no more replies in it.
      if (pane && !pane.readOnly) {
        const row = sessions.find((r) => r.sessionId === pane.sessionId);
        if (row) {
          pane.row = row;
          renderTags();
        } else closePane(pane.sessionId, 'console.closedGone');
      }
      updateTitle();
      renderSessions();
      refreshBoard();
      return;
    }
    case 'session.update':
      if (frame.session) updateRow(frame.session);
      return;
    case 'message': {
      const mine = frame.from?.role === 'agent' && frame.from.id === agentId;
      const fromVisitor = frame.from?.role === 'visitor';
      if (frame.sessionId === openId()) {
        bubble(frame);
        if (fromVisitor) {
          say(typingEl, undefined);
          if (!pane.readOnly) requests.send({ type: 'session.read', sessionId: frame.sessionId });
        }
        if (!mine && document.hidden) beep();
      } else if (!mine && !frame.private) {
        unseen.set(frame.sessionId, (unseen.get(frame.sessionId) ?? 0) + 1);
        updateTitle();
        beep();
      }
      if (fromVisitor) {
        const row = sessions.find((r) => r.sessionId === frame.sessionId);
        notifyDesktop(
          t('console.notifyNewMessage', { name: row ? visitorName(row) : t('console.role.visitor') }),
          frame.text || (frame.attachments ?? []).map((f) => f.name).join(', '),
          frame.sessionId,
        );
      }
      return;
    }
    case 'message.read':
      if (typeof frame.upTo === 'string') readUpTo.set(frame.sessionId, frame.upTo);
      if (frame.sessionId === openId()) showReceipt();
      return;
    case 'typing': {
      // The agent sees the visitor type; a supervisor watching sees both sides.
      const byAgent = frame.from?.role === 'agent' && pane?.watching;
      if (frame.sessionId !== openId() || (frame.from?.role !== 'visitor' && !byAgent)) return;
      clearTimeout(typingTimer);
      if (frame.typing) {
        if (byAgent) say(typingEl, 'console.agentTyping', { name: floorAgentName(frame.from.id) });
        else
          say(typingEl, 'console.visitorTyping', {
            name: pane?.row ? visitorName(pane.row) : t('console.role.visitor'),
          });
        // A lost "stopped" frame does not leave the line for ever.
        typingTimer = setTimeout(() => say(typingEl, undefined), 8000);
      } else say(typingEl, undefined);
      return;
    }
    case 'live.update':
      floor = frame;
      floorAt = Date.now();
      renderFloor();
      return;
    case 'message.failed': {
      failures.set(frame.messageId, frame.reason);
      if (frame.sessionId !== openId()) return;
      const li = messagesEl.querySelector(`[data-message-id="${CSS.escape(frame.messageId)}"]`);
      if (li) markFailed(li, frame.reason);
      else systemLine('console.notDeliveredLine', { reason: frame.reason });
      return;
    }
    case 'session.state': {
      const row = sessions.find((s) => s.sessionId === frame.sessionId);
      if (row) row.state = frame.state;
      // Taken over by a supervisor: said in the conversation, and why no more replies go in.
      if (frame.reason === 'takeover' && frame.sessionId === openId() && frame.agentId !== agentId) {
        const name = frame.agentName || floorAgentName(frame.agentId);
        systemLine('console.takenOverLine', { name });
        if (pane && !pane.readOnly) {
          pane.closed = { key: 'console.closedTakenOver', values: { name } };
          stopTyping();
          closeCanned();
          renderPane();
        }
      }
      if (frame.sessionId === openId() && frame.state === 'ended') {
        const reason = frame.reason ? t(`console.reason.${frame.reason}`, { defaultValue: frame.reason }) : '';
        systemLine(reason ? 'console.endedBecause' : 'console.ended', { reason: frame.reason, reasonText: reason });
        closePane(frame.sessionId, 'console.closedEnded');
      }
      renderSessions();
      return;
    }
    default:
      return;
  }
};

const reconnectLater = () => {
  const delay = reconnectDelay(attempt);
  attempt += 1;
  say(connectionEl, 'console.reconnecting');
  reconnectTimer = setTimeout(connect, delay);
};

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/ws/agent?token=${encodeURIComponent(token)}`);
  socket = ws;
  // A socket of an earlier sign-in (or one replaced by a reconnect) says nothing any more.
  ws.addEventListener('open', () => {
    if (ws !== socket) return;
    say(connectionEl, 'console.connected');
    // The status is not sent again: the server resumes it and says so in `agent.state`.
    for (const frame of unacked.values()) ws.send(JSON.stringify(frame));
    // What a supervisor followed is per socket: asked for again on the new one.
    if (floorSubscribed) requests.send({ type: 'live.subscribe' });
    if (pane?.watching) requests.send({ type: 'session.watch', sessionId: pane.sessionId });
  });
  ws.addEventListener('message', (event) => {
    if (ws !== socket) return;
    // The backoff starts over once the server serves the socket, not at its handshake: a gateway that closes new
    // sockets at once (1013, its event feed lost) is tried again later and later, not every half second.
    attempt = 0;
    try {
      onFrame(JSON.parse(event.data));
    } catch (error) {
      console.error('bad frame', error);
    }
  });
  ws.addEventListener('close', (event) => {
    if (ws !== socket) return;
    if (event.code === 4401) {
      signOutLocally({ error: 'console.refused' });
      return;
    }
    reconnectLater();
  });
}

// ---- the sign-in: kept across reloads, ended by expiry, refusal or "Sign out"

const SIGN_IN_KEY = 'cschat.console.signIn';

/** The expiry of a token in ms since the epoch, or undefined when it has none (not a JWT). */
const expiryOf = (jwt) => {
  const exp = tokenClaims(jwt)?.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
};

/** @typedef {{ token: string, agentId: string, companyId: string, expiresAt: number }} SignIn */

/**
 * The saved sign-in, or why there is none to use (a problem is shown on the sign-in form).
 * @returns {{ signIn?: SignIn, problem?: string }}
 */
const savedSignIn = () => {
  const raw = localStorage.getItem(SIGN_IN_KEY);
  if (raw === null) return {};
  let saved;
  try {
    saved = JSON.parse(raw);
  } catch {
    return { problem: 'console.unreadable' };
  }
  const expiresAt = expiryOf(saved?.token);
  if (expiresAt === undefined || typeof saved.agentId !== 'string' || typeof saved.companyId !== 'string')
    return { problem: 'console.unreadable' };
  // The token's own expiry decides, whatever was saved beside it.
  if (expiresAt <= Date.now()) return { problem: 'console.expired' };
  return { signIn: { token: saved.token, agentId: saved.agentId, companyId: saved.companyId, expiresAt } };
};

/** Forgets the saved sign-in if it is `ours` (another tab may have saved another one since). */
const forgetSignIn = (ours) => {
  const raw = localStorage.getItem(SIGN_IN_KEY);
  if (raw === null) return;
  let saved;
  try {
    saved = JSON.parse(raw);
  } catch {
    saved = undefined;
  }
  if (ours === undefined || saved?.token === ours) localStorage.removeItem(SIGN_IN_KEY);
};

const showSignedInAs = () => {
  if (agentId) say(signedInAs, 'console.signedInAs', { name: myLabel() });
  updateTitle();
};

/** @param {SignIn} signIn */
function startSignIn(signIn) {
  ({ token, agentId, companyId } = signIn);
  role = tokenClaims(token)?.role;
  myName = undefined;
  floorButton.hidden = !overseer();
  requests = new Requests(() => socket);
  attempt = 0;
  say(loginError, undefined);
  say(loginNotice, undefined);
  loginForm.hidden = true;
  appEl.hidden = false;
  showSignedInAs();
  showStatus('', 0);
  renderSessions();
  renderNotifyState();
  connect();
  refreshBoard();
  loadRequeueDelay();
  clearInterval(boardTimer);
  boardTimer = setInterval(refreshBoard, 10_000);
  clearTimeout(expiryTimer);
  // setTimeout takes at most 2^31-1 ms (24.8 days); agents' tokens live hours.
  const left = Math.min(signIn.expiresAt - Date.now(), 2 ** 31 - 1);
  expiryTimer = setTimeout(() => signOutLocally({ error: 'console.expired' }), left);
}

/**
 * Back to the sign-in form: closes the socket, forgets the saved sign-in and everything shown.
 * The server is not told; `signOut` is the agent's own "Sign out". `error`/`notice` are keys.
 * @param {{ error?: string, notice?: string }} why
 */
function signOutLocally({ error = '', notice = '' }) {
  if (token === undefined) return;
  const ending = socket;
  socket = undefined;
  ending?.close(1000, 'signed out');
  forgetSignIn(token);
  clearTimeout(reconnectTimer);
  clearTimeout(expiryTimer);
  clearInterval(boardTimer);
  stopTyping();
  token = agentId = role = requeueSeconds = myName = undefined;
  sessions = [];
  pane = undefined;
  profile = undefined;
  for (const collection of [unacked, shownMessageIds, failures, unseen, readUpTo, knownNames]) collection.clear();
  board = { queues: [], agents: [] };
  floor = undefined;
  floorSubscribed = false;
  openWhenListed = undefined;
  floorButton.hidden = true;
  for (const body of [floorSessionsEl, floorQueuesEl, floorAgentsEl]) body.replaceChildren();
  say(floorError, undefined);
  say(floorStatus, undefined);
  closeCanned();
  clearPendingFiles();
  messagesEl.replaceChildren();
  conversationEl.hidden = true;
  profileEl.hidden = true;
  view = 'live';
  historyResults.replaceChildren();
  for (const el of [loadEl, connectionEl, boardError, transferError, signedInAs, historyStatus]) say(el, undefined);
  showStatus('', 0);
  renderView();
  renderSessions();
  renderBoard();
  updateTitle();
  showSignInForm({ error, notice });
}

/** @param {{ error?: string, notice?: string }} messages keys of the console's strings */
function showSignInForm({ error = '', notice = '' }) {
  appEl.hidden = true;
  loginForm.hidden = false;
  if (companyId) companyEl.value = companyId;
  passwordEl.value = '';
  say(loginError, error || undefined);
  say(loginNotice, notice || undefined);
  (usernameEl.value ? passwordEl : usernameEl).focus();
}

/** Resolves with the answer to `frame`, or undefined when none came within `ms`. */
const answerWithin = (frame, ms) =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    requests.send(frame, (answer) => {
      clearTimeout(timer);
      resolve(answer);
    });
  });

/** The logout call of the last sign-out, while it is on its way. */
let pendingLogout = Promise.resolve();

/** "Sign out": offline on purpose (the requeue clock starts now), then back to the form. */
async function signOut() {
  const used = token;
  if (used === undefined) return;
  signOutButton.disabled = true;
  try {
    if (socket?.readyState === WebSocket.OPEN) await answerWithin({ type: 'agent.status', status: 'offline' }, 3000);
    if (token !== used) return; // refused or expired meanwhile: already signed out
    // PROTOCOL (Security): the token ends on every process. The form comes back only once the logout
    // landed (or failed): a sign-in made before would get a token the logout then ends, also after a
    // reload. The socket goes first, so that its 4401 is not taken for a refusal. A server without the
    // route answers 404; the token is forgotten here all the same.
    const ending = socket;
    socket = undefined;
    clearTimeout(reconnectTimer);
    ending?.close(1000, 'signed out');
    pendingLogout = fetch('/api/agents/logout', {
      method: 'POST',
      headers: { authorization: `Bearer ${used}` },
      signal: AbortSignal.timeout(3000),
    }).catch(() => undefined);
    await pendingLogout;
    if (token !== used) return;
    signOutLocally({ notice: 'console.signedOut' });
  } finally {
    signOutButton.disabled = false;
  }
}

/** What the sign-in's failure means for the person, in the page's language. */
const LOGIN_FAILURE = {
  credentials: 'console.wrongCredentials',
  busy: 'console.busy',
  network: 'console.signInNetwork',
  status: 'console.signInStatus',
};

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  say(loginError, undefined);
  say(loginNotice, undefined);
  const company = companyEl.value;
  await pendingLogout;
  const answer = await staffLogin(company, usernameEl.value, passwordEl.value);
  if ('error' in answer) {
    say(loginError, LOGIN_FAILURE[answer.reason] ?? 'console.plain', { text: answer.error, status: answer.status });
    return;
  }
  const expiresAt = expiryOf(answer.token);
  const signIn = { token: answer.token, agentId: answer.agentId, companyId: company, expiresAt };
  // A token without a readable expiry serves this page only: it is not saved.
  if (expiresAt === undefined) signIn.expiresAt = Date.now() + 2 ** 31 - 1;
  else localStorage.setItem(SIGN_IN_KEY, JSON.stringify(signIn));
  startSignIn(signIn);
});

signOutButton.addEventListener('click', () => void signOut());

// Another tab of this browser signed this agent out: so is this one.
window.addEventListener('storage', (event) => {
  if (token === undefined || (event.key !== SIGN_IN_KEY && event.key !== null)) return;
  if (localStorage.getItem(SIGN_IN_KEY) === null) signOutLocally({ notice: 'console.signedOutElsewhere' });
});

// ---- the status: what the server last said, and Offline's consequence

function renderStatusHint() {
  const delay = requeueSeconds === undefined ? t('console.requeueDelayUnknown') : duration(requeueSeconds);
  if (agentState.status === 'offline' && agentState.load > 0)
    say(statusHint, 'console.offlineHintLoad', { count: agentState.load, delay });
  else say(statusHint, 'console.offlineHint', { delay });
}

/** Shows `status` (from `agent.state`, or the ack of a change); '' while it is not known yet. */
function showStatus(status, load = agentState.load) {
  agentState = { ...agentState, status, load };
  statusEl.value = status;
  statusEl.disabled = status === '';
  if (status) statusEl.dataset.confirmed = status;
  else delete statusEl.dataset.confirmed;
  renderStatusHint();
  renderSessions();
}

/** The exact delay for admins (the settings are theirs to read); others see the general words. */
async function loadRequeueDelay() {
  if (role !== 'admin') return renderStatusHint();
  const used = token;
  try {
    const settings = await api('/api/admin/settings');
    if (used === token && Number.isInteger(settings.offlineRequeueSeconds))
      requeueSeconds = settings.offlineRequeueSeconds;
  } catch {
    // The general words stay.
  }
  renderStatusHint();
}

statusEl.addEventListener('change', () => {
  const wanted = statusEl.value;
  const confirmed = agentState.status;
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    statusEl.value = confirmed;
    say(connectionEl, 'console.statusNotConnected');
    return;
  }
  requests.send({ type: 'agent.status', status: wanted }, (answer) => {
    if (answer.type === 'error') {
      say(connectionEl, 'console.statusError', { message: answer.message });
      showStatus(agentState.status);
    } else showStatus(answer.status ?? wanted, answer.load ?? agentState.load);
  });
});

// ---- writing: replies and notes, typing, files

/** @param {'reply' | 'note'} next */
function setMode(next) {
  mode = next;
  modeReplyButton.setAttribute('aria-pressed', String(mode === 'reply'));
  modeNoteButton.setAttribute('aria-pressed', String(mode === 'note'));
  replyForm.classList.toggle('note-mode', mode === 'note');
  replyText.dataset.i18nPlaceholder = mode === 'note' ? 'console.notePlaceholder' : 'console.replyPlaceholder';
  replyText.placeholder = t(replyText.dataset.i18nPlaceholder);
  // Notes are text for colleagues: files go to the visitor only.
  attachButton.hidden = mode === 'note';
  if (mode === 'note') stopTyping();
}
modeReplyButton.addEventListener('click', () => setMode('reply'));
modeNoteButton.addEventListener('click', () => setMode('note'));

/** The session the agent last told "typing", and when (at most one `typing` a second). */
let typingSent = { sessionId: undefined, at: 0 };
let typingStopTimer;

function sendTyping(sessionId, typing) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  // With an id, so that a server without typing answers this request and nothing else shows.
  requests.send({ type: 'typing', sessionId, typing }, () => undefined);
}

function stopTyping() {
  clearTimeout(typingStopTimer);
  if (typingSent.sessionId) sendTyping(typingSent.sessionId, false);
  typingSent = { sessionId: undefined, at: 0 };
}

function noteTyping() {
  const sessionId = openId();
  if (!sessionId || pane.readOnly || pane.closed || mode !== 'reply') return;
  if (!replyText.value.trim()) return stopTyping();
  const now = Date.now();
  if (typingSent.sessionId !== sessionId || now - typingSent.at >= 1000) {
    typingSent = { sessionId, at: now };
    sendTyping(sessionId, true);
  }
  clearTimeout(typingStopTimer);
  typingStopTimer = setTimeout(stopTyping, 3000);
}

function clearPendingFiles() {
  pendingFiles = [];
  renderPendingFiles();
  say(uploadError, undefined);
}

function renderPendingFiles() {
  pendingFilesEl.replaceChildren(
    ...pendingFiles.map((file) => {
      const li = document.createElement('li');
      li.className = 'pending-file';
      li.textContent = `${file.name} (${fileSize(file.size)}) `;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary small';
      remove.textContent = '×';
      remove.setAttribute('aria-label', t('console.removeFile', { name: file.name }));
      remove.addEventListener('click', () => {
        pendingFiles = pendingFiles.filter((f) => f !== file);
        renderPendingFiles();
      });
      li.append(remove);
      return li;
    }),
  );
}

/** `POST /api/uploads`: the file becomes an attachment of the next reply, or the error says why not. */
async function upload(file) {
  const sessionId = openId();
  if (!sessionId || pane.readOnly || pane.closed) return;
  say(uploadError, 'console.uploading', { name: file.name });
  let response;
  try {
    response = await authorized('/api/uploads', {
      method: 'POST',
      headers: {
        'content-type': file.type || 'application/octet-stream',
        'x-file-name': encodeURIComponent(file.name),
      },
      body: file,
    });
  } catch (error) {
    say(uploadError, 'console.uploadFailed', { name: file.name, status: error.message });
    return;
  }
  if (openId() !== sessionId) return;
  if (response.status === 201) {
    pendingFiles = [...pendingFiles, await response.json()];
    renderPendingFiles();
    say(uploadError, undefined);
    return;
  }
  const key =
    response.status === 413
      ? 'console.uploadTooLarge'
      : response.status === 415
        ? 'console.uploadRefused'
        : response.status === 404
          ? 'console.uploadUnavailable'
          : 'console.uploadFailed';
  say(uploadError, key, { name: file.name, status: response.status });
}

const uploadAll = async (files) => {
  for (const file of files) await upload(file);
};

attachButton.addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', () => {
  void uploadAll([...(fileInput.files ?? [])]);
  fileInput.value = '';
});
conversationEl.addEventListener('dragover', (event) => {
  if (!event.dataTransfer?.types.includes('Files') || !pane || pane.readOnly || pane.closed || mode === 'note') return;
  event.preventDefault();
  conversationEl.classList.add('dropping');
});
conversationEl.addEventListener('dragleave', () => conversationEl.classList.remove('dropping'));
conversationEl.addEventListener('drop', (event) => {
  conversationEl.classList.remove('dropping');
  const files = [...(event.dataTransfer?.files ?? [])];
  if (files.length === 0 || !pane || pane.readOnly || pane.closed || mode === 'note') return;
  event.preventDefault();
  void uploadAll(files);
});
replyText.addEventListener('paste', (event) => {
  const files = [...(event.clipboardData?.files ?? [])];
  if (files.length === 0 || mode === 'note') return;
  event.preventDefault();
  void uploadAll(files);
});

replyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = replyText.value.trim();
  const sessionId = openId();
  if (!sessionId || pane.readOnly || pane.closed) return;
  const clientMsgId = newId();
  if (mode === 'note') {
    if (!text) return;
    const frame = { type: 'note.send', id: `n-${clientMsgId}`, sessionId, text, clientMsgId };
    unacked.set(clientMsgId, frame);
    requests.send(frame, (answer) => {
      unacked.delete(clientMsgId);
      if (answer.type === 'error') systemLine('console.noteNotSaved', { message: answer.message });
      else if (openId() === sessionId)
        bubble({
          messageId: answer.messageId,
          from: { role: 'agent', id: agentId },
          text,
          private: true,
          at: new Date().toISOString(),
        });
    });
    replyText.value = '';
    return;
  }
  const files = pendingFiles;
  if (!text && files.length === 0) return;
  stopTyping();
  const frame = {
    type: 'message.send',
    id: `m-${clientMsgId}`,
    sessionId,
    text,
    clientMsgId,
    ...(files.length > 0 ? { attachments: files.map((f) => f.attachmentId) } : {}),
  };
  unacked.set(clientMsgId, frame);
  requests.send(frame, (answer) => {
    unacked.delete(clientMsgId);
    if (answer.type === 'error') systemLine('console.notSent', { message: answer.message });
    else if (openId() === sessionId)
      bubble({
        messageId: answer.messageId,
        from: { role: 'agent', id: agentId },
        text,
        at: new Date().toISOString(),
        ...(files.length > 0 ? { attachments: files } : {}),
      });
  });
  replyText.value = '';
  clearPendingFiles();
});
replyText.addEventListener('input', noteTyping);
replyText.addEventListener('keydown', (event) => {
  if (event.isComposing) return;
  if (!cannedEl.hidden) {
    const options = [...cannedEl.querySelectorAll('[role="option"]')];
    if (event.key === 'Escape') {
      event.preventDefault();
      closeCanned();
      return;
    }
    if ((event.key === 'ArrowDown' || event.key === 'ArrowUp') && options.length > 0) {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      selectCanned((cannedIndex + step + options.length) % options.length);
      return;
    }
    if (event.key === 'Enter' && !event.shiftKey && options.length > 0) {
      event.preventDefault();
      insertCanned(cannedItems[cannedIndex]);
      return;
    }
  }
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    replyForm.requestSubmit();
  }
});

endButton.addEventListener('click', () => {
  const sessionId = openId();
  if (!sessionId || pane.readOnly || pane.closed) return;
  endButton.disabled = true;
  requests.send({ type: 'session.end', sessionId }, (answer) => {
    if (answer.type === 'error') {
      systemLine('console.endError', { message: answer.message });
      if (pane?.sessionId === sessionId) renderPane();
      return;
    }
    closePane(sessionId, 'console.closedEnded');
  });
});

// ---- canned responses: "/" + text in the reply box

let cannedItems = [];
let cannedIndex = 0;
let cannedQuery; // { start, end } of the "/text" being completed
let cannedSeq = 0;
let cannedTimer;

function closeCanned() {
  cannedSeq += 1;
  clearTimeout(cannedTimer);
  cannedEl.hidden = true;
  cannedEl.replaceChildren();
  cannedItems = [];
  cannedQuery = undefined;
  replyText.removeAttribute('aria-activedescendant');
}

function selectCanned(index) {
  cannedIndex = index;
  for (const [i, li] of [...cannedEl.querySelectorAll('[role="option"]')].entries()) {
    li.setAttribute('aria-selected', String(i === index));
    if (i === index) {
      replyText.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    }
  }
}

function insertCanned(item) {
  if (!item || !cannedQuery) return;
  const { start, end } = cannedQuery;
  const value = replyText.value;
  replyText.value = value.slice(0, start) + item.text + value.slice(end);
  const caret = start + item.text.length;
  closeCanned();
  replyText.focus();
  replyText.setSelectionRange(caret, caret);
}

const renderCanned = (items) => {
  cannedItems = items;
  cannedEl.replaceChildren();
  if (items.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = t('console.cannedNone');
    cannedEl.append(li);
  }
  for (const [i, item] of items.entries()) {
    const li = document.createElement('li');
    li.id = `canned-${i}`;
    li.setAttribute('role', 'option');
    li.dataset.shortcut = item.shortcut;
    const shortcut = document.createElement('span');
    shortcut.className = 'shortcut';
    shortcut.textContent = `/${item.shortcut}`;
    const text = document.createElement('span');
    text.className = 'canned-text';
    text.textContent = item.text;
    const scope = document.createElement('span');
    scope.className = 'scope';
    scope.textContent = t(item.scope === 'personal' ? 'console.cannedPersonal' : 'console.cannedCompany');
    li.append(shortcut, text, scope);
    li.addEventListener('mousedown', (event) => event.preventDefault()); // keep the focus in the box
    li.addEventListener('click', () => insertCanned(item));
    cannedEl.append(li);
  }
  cannedEl.hidden = false;
  selectCanned(0);
};

replyText.addEventListener('input', () => {
  const caret = replyText.selectionStart ?? replyText.value.length;
  const match = /(?:^|\s)\/([^\s/]*)$/.exec(replyText.value.slice(0, caret));
  if (!match) {
    if (!cannedEl.hidden || cannedQuery) closeCanned();
    return;
  }
  const q = match[1];
  cannedQuery = { start: caret - q.length - 1, end: caret };
  const seq = ++cannedSeq;
  clearTimeout(cannedTimer);
  cannedTimer = setTimeout(async () => {
    try {
      const { cannedResponses } = await api(`/api/canned-responses?q=${encodeURIComponent(q)}`);
      if (seq === cannedSeq) renderCanned(cannedResponses);
    } catch (error) {
      if (seq !== cannedSeq) return;
      cannedItems = [];
      cannedEl.replaceChildren();
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = t('console.cannedError', { message: error.message });
      cannedEl.append(li);
      cannedEl.hidden = false;
    }
  }, 120);
});
replyText.addEventListener('blur', () => {
  if (!cannedEl.hidden) setTimeout(() => document.activeElement !== replyText && closeCanned(), 150);
});

// ---- queue and colleagues, and the transfer targets

let boardLoading = false;
let boardAgain = false;

async function refreshBoard() {
  if (!token) return;
  if (boardLoading) {
    boardAgain = true;
    return;
  }
  boardLoading = true;
  const used = token;
  try {
    const [{ queues }, { agents }] = await Promise.all([api('/api/queues'), api('/api/agents')]);
    if (used !== token) return;
    board = { queues, agents };
    myName ??= agents.find((a) => a.agentId === agentId)?.name;
    say(boardError, undefined);
    showSignedInAs();
    renderBoard();
    renderHistoryAgents();
  } catch (error) {
    if (used === token) say(boardError, 'console.boardError', { message: error.message });
  } finally {
    boardLoading = false;
    if (boardAgain) {
      boardAgain = false;
      refreshBoard();
    }
  }
}

const boardRow = (label, value, className) => {
  const li = document.createElement('li');
  if (className) li.className = className;
  const name = document.createElement('span');
  name.textContent = label;
  const detail = document.createElement('span');
  detail.className = 'agent-status';
  detail.textContent = value;
  li.append(name, detail);
  return li;
};

/** Who can take a chat now: idle, or busy with room left. */
const available = (a) => (a.status === 'idle' || a.status === 'busy') && a.load < a.capacity;

function renderBoard() {
  queuesEl.replaceChildren(
    ...board.queues.map((q) => {
      const li = boardRow(groupName(q.groupId), t('console.waitingCount', { count: q.waiting.length }));
      li.dataset.groupId = q.groupId;
      return li;
    }),
  );
  // Accounts that take no chats (capacity 0, such as an admin) are neither colleagues nor targets.
  const colleagues = board.agents.filter((a) => a.agentId !== agentId && a.capacity > 0);
  colleaguesEl.replaceChildren(
    ...colleagues.map((a) => {
      const li = boardRow(a.name || a.agentId, `${statusName(a.status)} · ${a.load}/${a.capacity}`);
      li.dataset.agentId = a.agentId;
      li.dataset.status = a.status;
      return li;
    }),
  );

  // Nothing is chosen for the agent: the first entry asks for a choice, and colleagues who cannot
  // take the chat (offline, away, full) are marked and cannot be chosen.
  const chosen = transferTarget.value;
  const prompt = new Option(t('console.transferChoose'), '');
  const people = document.createElement('optgroup');
  people.label = t('console.colleagues');
  for (const a of colleagues) {
    const can = available(a);
    const option = new Option(
      t(can ? 'console.transferAgent' : 'console.transferAgentUnavailable', {
        name: a.name || a.agentId,
        status: statusName(a.status),
        load: a.load,
        capacity: a.capacity,
      }),
      `agent:${a.agentId}`,
    );
    option.disabled = !can;
    option.dataset.status = a.status;
    people.append(option);
  }
  const groups = document.createElement('optgroup');
  groups.label = t('console.groups');
  for (const q of board.queues) groups.append(new Option(groupName(q.groupId), `group:${q.groupId}`));
  transferTarget.replaceChildren(prompt, ...[people, groups].filter((g) => g.children.length > 0));
  const still = [...transferTarget.options].find((o) => o.value === chosen && !o.disabled);
  transferTarget.value = still ? chosen : '';
}

/** Refusals of a transfer the console says in its own words, with the target's name. */
const TRANSFER_REFUSALS = {
  agent_offline: 'console.transferOffline',
  capacity_reached: 'console.transferFull',
  agent_not_found: 'console.transferNoAgent',
  invalid_transition: 'console.transferInvalid',
};

transferButton.addEventListener('click', () => {
  say(transferError, undefined);
  const sessionId = openId();
  const target = transferTarget.value;
  if (!sessionId || pane.readOnly || pane.closed) return;
  if (!target) {
    say(transferError, 'console.transferNoTarget');
    return;
  }
  const [kind, ...rest] = target.split(':');
  const id = rest.join(':');
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    say(transferError, 'console.transferNotConnected');
    return;
  }
  const frame = { type: 'session.transfer', sessionId, ...(kind === 'agent' ? { toAgentId: id } : { toGroupId: id }) };
  transferButton.disabled = true;
  requests.send(frame, (answer) => {
    if (answer.type === 'error') {
      transferButton.disabled = false;
      // The colleague or group by name, in the page's language, where the code says what happened;
      // the server's own words (which name ids) otherwise.
      const name = kind === 'agent' ? agentName(id) : groupName(id);
      const known = TRANSFER_REFUSALS[answer.code];
      if (known) say(transferError, known, { name });
      else say(transferError, 'console.transferError', { message: answer.message });
      return;
    }
    const name = kind === 'agent' ? agentName(id) : groupName(id);
    if (openId() === sessionId) {
      systemLine(kind === 'agent' ? 'console.transferredTo' : 'console.transferredToGroup', { name });
      pane.closed = undefined; // the transfer's own reason, not "no longer in your list"
      closePane(sessionId, 'console.closedTransferred', { name });
    }
    refreshBoard();
  });
});

// ---- History: past conversations with filters, and a search of messages

/** What the History view shows (redrawn on a change of language). */
let historyState = { kind: 'sessions', items: [], cursor: undefined, query: '', terms: [] };
let historySeq = 0;

function renderHistoryAgents() {
  const admin = role === 'admin';
  /** @type {HTMLElement} */ ($('history-agent-label')).hidden = !admin;
  if (!admin) return;
  const chosen = historyAgent.value;
  historyAgent.replaceChildren(
    new Option(t('console.allAgents'), ''),
    ...board.agents.filter((a) => a.capacity > 0).map((a) => new Option(a.name || a.agentId, a.agentId)),
  );
  historyAgent.value = chosen;
}

/** The start of a local day, or the start of the day after (for an inclusive "to"). */
const dayBound = (value, next = false) => {
  if (!value) return undefined;
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + (next ? 1 : 0)).toISOString();
};

const historyFilters = () => {
  const value = (id) => /** @type {HTMLInputElement} */ ($(id)).value.trim();
  return {
    q: value('history-q'),
    agentId: role === 'admin' ? historyAgent.value : '',
    tag: value('history-tag'),
    visitorId: value('history-visitor'),
    from: dayBound(value('history-from')),
    to: dayBound(value('history-to'), true),
  };
};

const queryOf = (params) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, String(value));
  return search.toString();
};

async function searchHistory({ more = false } = {}) {
  const seq = ++historySeq;
  const filters = historyFilters();
  if (!more)
    historyState = { kind: filters.q ? 'hits' : 'sessions', items: [], cursor: undefined, query: filters.q, terms: [] };
  say(historyStatus, 'console.searching');
  historyMore.hidden = true;
  try {
    if (historyState.kind === 'hits') {
      const { hits } = await api(
        `/api/search/messages?${queryOf({ q: filters.q, from: filters.from, to: filters.to, limit: 50 })}`,
      );
      if (seq !== historySeq) return;
      historyState.items = hits;
      historyState.terms = filters.q.split(/\s+/).filter(Boolean);
    } else {
      const { q: _q, ...rest } = filters;
      const page = await api(
        `/api/sessions?${queryOf({ state: 'ended', ...rest, limit: 20, cursor: more ? historyState.cursor : undefined })}`,
      );
      if (seq !== historySeq) return;
      historyState.items = [...historyState.items, ...page.sessions];
      historyState.cursor = page.nextCursor;
    }
    renderHistory();
  } catch (error) {
    if (seq !== historySeq) return;
    say(historyStatus, error.status === 404 ? 'console.historyUnavailable' : 'console.historyFailed', {
      message: error.message,
    });
  }
}

/** `text` with each of `terms` marked (case-insensitive), as nodes. */
const highlighted = (text, terms) => {
  const escaped = terms.map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (escaped.length === 0) return [document.createTextNode(text)];
  const pattern = new RegExp(`(${escaped.join('|')})`, 'giu');
  return text.split(pattern).map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const mark = document.createElement('mark');
    mark.textContent = part;
    return mark;
  });
};

function renderHistory() {
  const { kind, items, cursor, terms } = historyState;
  say(historyStatus, items.length === 0 ? 'console.historyNone' : 'console.historyCount', { count: items.length });
  historyMore.hidden = kind !== 'sessions' || !cursor;
  historyResults.replaceChildren(
    ...items.map((item) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'history-item';
      button.dataset.sessionId = item.sessionId;
      const head = document.createElement('span');
      head.className = 'history-head';
      const body = document.createElement('span');
      body.className = 'history-text';
      if (kind === 'hits') {
        li.className = item.private ? 'hit note' : 'hit';
        const who = item.private ? t('console.noteBy', { name: agentName(item.from?.id) }) : whoOfHit(item);
        head.textContent = `${dateTime(item.at)} · ${who}`;
        body.append(...highlighted(item.text, terms));
        button.addEventListener('click', () =>
          openSession(item.sessionId, {
            readOnly: !sessions.some((r) => r.sessionId === item.sessionId),
            from: 'history',
          }),
        );
      } else {
        li.className = 'past-session';
        head.textContent = `${visitorName(item)} · ${channelName(item.channel)} · ${dateTime(item.updatedAt)}`;
        body.textContent = item.lastMessage?.text ?? '';
        button.addEventListener('click', () =>
          openSession(item.sessionId, { readOnly: true, row: item, from: 'history' }),
        );
      }
      button.append(head, body);
      if (kind === 'sessions' && (item.tags ?? []).length > 0) button.append(tagChips(item.tags));
      li.append(button);
      return li;
    }),
  );
}

const whoOfHit = (hit) => {
  const role = hit.from?.role;
  if (role === 'agent' && hit.from.id) return agentName(hit.from.id);
  return t(`console.role.${role}`, { defaultValue: role ?? '' });
};

historyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void searchHistory();
});
historyMore.addEventListener('click', () => void searchHistory({ more: true }));

/** Which of the live pane, History and the live board is shown. */
function renderView() {
  historyView.hidden = view !== 'history';
  floorView.hidden = view !== 'floor';
  floorButton.setAttribute('aria-pressed', String(view === 'floor'));
  conversationEl.hidden = view !== 'live' || !pane;
  profileEl.hidden = view !== 'live' || !pane || !profile;
  historyButton.setAttribute('aria-pressed', String(view === 'history'));
}

historyButton.addEventListener('click', () => {
  view = view === 'history' ? 'live' : 'history';
  renderView();
  if (view === 'history') {
    renderHistoryAgents();
    /** @type {HTMLInputElement} */ ($('history-q')).focus();
    if (historyState.items.length === 0) void searchHistory();
  }
});

// ---- the live board (supervisors and admins): pushed by the server, waits counted on between pushes

/** @param {string} id */
const floorAgentName = (id) => floor?.agents?.find((a) => a.agentId === id)?.name || agentName(id);

/** A wait as of now: the pushed seconds plus the time since the push. @param {number} seconds */
const waitNow = (seconds) => duration(seconds + Math.max(0, Math.floor((Date.now() - floorAt) / 1000)), Math.floor);

/** @param {string} tag @param {Record<string, string>} [attributes] @param {(string | Node)[]} children */
const cell = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
};

function renderFloor() {
  if (!floor) return;
  say(floorStatus, 'console.floorUpdated', {
    time: formatTime(floor.at ?? new Date().toISOString(), { timeStyle: 'medium' }),
  });
  const rows = floor.sessions ?? [];
  floorSessionsEl.replaceChildren(
    ...(rows.length === 0
      ? [cell('tr', {}, cell('td', { colspan: '5' }, t('console.floorNone')))]
      : rows.map((row) => {
          const watch = cell('button', { type: 'button', class: 'secondary small' }, t('console.watch'));
          watch.addEventListener('click', () => watchSession(row));
          const take = cell('button', { type: 'button', class: 'small' }, t('console.takeOver'));
          take.addEventListener('click', () => takeOver(row.sessionId));
          /** @type {HTMLButtonElement} */ (take).disabled = row.agentId === agentId;
          const waiting = cell(
            'td',
            row.waitingSeconds === undefined ? {} : { 'data-wait': String(row.waitingSeconds) },
          );
          waiting.textContent = row.waitingSeconds === undefined ? '' : waitNow(row.waitingSeconds);
          const visitor = row.visitorId ? visitorName(row) : t('console.sessionOf', { id: row.sessionId.slice(0, 8) });
          const state = stateName(row.state) + (row.unanswered ? ` · ${t('console.floorUnanswered')}` : '');
          const stateCell = cell('td', {}, state);
          // A session past a target of its group (SLA) says which, as in the list.
          if ((row.slaBreached ?? []).length > 0) stateCell.append(' ', slaBadge(row.slaBreached));
          return cell(
            'tr',
            { 'data-session-id': row.sessionId, ...(row.unanswered ? { class: 'unanswered' } : {}) },
            cell('th', { scope: 'row' }, visitor),
            stateCell,
            cell('td', {}, row.agentId ? floorAgentName(row.agentId) : t('console.noAgent')),
            waiting,
            cell('td', { class: 'floor-actions' }, watch, ' ', take),
          );
        })),
  );
  floorQueuesEl.replaceChildren(
    ...(floor.queues ?? []).map((queue) => {
      const longest = cell('td', queue.waiting > 0 ? { 'data-wait': String(queue.longestWaitSeconds) } : {});
      longest.textContent = queue.waiting > 0 ? waitNow(queue.longestWaitSeconds) : '';
      return cell(
        'tr',
        {},
        cell('th', { scope: 'row' }, queue.name || groupName(queue.groupId)),
        cell('td', {}, String(queue.waiting)),
        longest,
      );
    }),
  );
  floorAgentsEl.replaceChildren(
    ...(floor.agents ?? []).map((a) =>
      cell(
        'tr',
        {},
        cell('th', { scope: 'row' }, a.name),
        cell('td', {}, statusName(a.status)),
        cell('td', {}, t('console.load', { load: a.load, capacity: a.capacity })),
      ),
    ),
  );
}

/** Only the waits change between pushes: their cells, not the rows (a button keeps its focus). */
setInterval(() => {
  if (view !== 'floor' || !floor) return;
  for (const el of floorView.querySelectorAll('[data-wait]'))
    el.textContent = waitNow(Number(/** @type {HTMLElement} */ (el).dataset.wait));
}, 1000);

/** Opens the session read only and live: its messages, notes and typing come as they happen. */
function watchSession(row) {
  say(floorError, undefined);
  const listRow = {
    sessionId: row.sessionId,
    visitorId: row.visitorId,
    visitorName: row.visitorName,
    channel: row.channel ?? 'web',
    tags: [],
  };
  // The pane opened first: it unwatches the session shown before (perhaps this one), then the watch goes.
  void openSession(row.sessionId, { readOnly: true, watching: true, row: listRow, from: 'floor' });
  requests.send({ type: 'session.watch', sessionId: row.sessionId }, (answer) => {
    if (answer.type === 'error') say(transferError, 'console.plain', { text: answer.message });
  });
}

/** Takes the session over; it opens live once this agent's list has it. @param {string} sessionId */
function takeOver(sessionId) {
  say(floorError, undefined);
  say(transferError, undefined);
  requests.send({ type: 'session.takeover', sessionId }, (answer) => {
    if (answer.type === 'error') {
      say(view === 'floor' ? floorError : transferError, 'console.plain', { text: answer.message });
      return;
    }
    if (sessions.some((row) => row.sessionId === sessionId)) void openSession(sessionId);
    else openWhenListed = sessionId;
  });
}

floorButton.addEventListener('click', () => {
  view = view === 'floor' ? 'live' : 'floor';
  renderView();
  if (view === 'floor' && !floorSubscribed) {
    floorSubscribed = true;
    requests.send({ type: 'live.subscribe' }, (answer) => {
      if (answer.type === 'error') {
        floorSubscribed = false;
        say(floorError, 'console.plain', { text: answer.message });
      }
    });
  }
});

takeOverButton.addEventListener('click', () => {
  if (pane?.watching) takeOver(pane.sessionId);
});

// ---- earlier messages, sound, languages, and the ages in the list

olderButton.addEventListener('click', loadOlder);
messagesEl.addEventListener('scroll', () => {
  if (messagesEl.scrollTop < 40) loadOlder();
});
soundEl.checked = localStorage.getItem(SOUND_KEY) === 'on';
soundEl.addEventListener('change', () => {
  localStorage.setItem(SOUND_KEY, soundEl.checked ? 'on' : 'off');
  if (soundEl.checked) beep(); // a sample, and browsers allow audio after this click
});
setInterval(() => {
  if (sessions.length > 0) renderSessions();
}, 30_000);

const languageSelects = [
  /** @type {HTMLSelectElement} */ ($('language')),
  /** @type {HTMLSelectElement} */ ($('login-language')),
];
for (const select of languageSelects) bindLanguageSwitch(select);
onLanguageChange(() => {
  for (const select of languageSelects) select.value = language();
  redrawSaid();
  for (const li of messagesEl.children) {
    const message = bubbleMessage.get(li);
    if (message) labelBubble(li, message);
  }
  setMode(mode);
  renderSessions();
  renderBoard();
  renderFloor();
  renderHistoryAgents();
  renderPendingFiles();
  if (pane) renderTags();
  if (profile) renderProfile();
  if (historyState.items.length > 0) renderHistory();
  renderStatusHint();
  showSignedInAs();
});

// ---- on load: straight in with a saved sign-in that has not expired, else the form

{
  const { signIn, problem } = savedSignIn();
  if (signIn) startSignIn(signIn);
  else {
    if (problem) forgetSignIn(undefined);
    showSignInForm({ error: problem });
  }
}

export {}; // an ES module: its names stay its own
