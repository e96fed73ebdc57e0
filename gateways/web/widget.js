// The visitor chat widget: plain ES module, no build step. Protocol: /work/shared PROTOCOL.md
// (POST /api/visitors/login, then the socket /ws/visitor; second edition: names, typing, read
// receipts, attachments). Every string it shows comes from the `widget` section of ./locales.

import { newId, reconnectDelay, Requests } from './frames.js';
import { bindLanguageSwitch, onLanguageChange, t } from './i18n.js';

const params = new URLSearchParams(location.search);
// embed.js puts the visitor's profile after `#`, which the browser never sends to a server (logs).
const fragment = new URLSearchParams(location.hash.slice(1));
/** A parameter of the page's address, from the fragment first. @param {string} name */
const param = (name) => fragment.get(name) ?? params.get(name) ?? undefined;
const companyId = params.get('company') || 'demo';
const storageKey = `cschat.visitorId.${companyId}`;
const resumeKey = `cschat.resumeToken.${companyId}`;
const sessionKey = `cschat.sessionId.${companyId}`;
const unackedKey = `cschat.unacked.${companyId}`;
const stateKey = `cschat.sessionState.${companyId}`;
/** The session whose rating the server asked for and the visitor has not given yet. */
const csatAskedKey = `cschat.csatAsked.${companyId}`;
/** The sessions the visitor rated (the latest few): never asked again, after a reload too. */
const csatRatedKey = `cschat.csatRated.${companyId}`;

/** An element of the page by id; the constants below say which kind. @returns {any} */
const $ = (id) => document.getElementById(id);
/** @type {HTMLElement} */
const messagesEl = $('messages');
/** @type {HTMLElement} */
const suggestionsEl = $('suggestions');
/** @type {HTMLElement} */
const noticeEl = $('notice');
/** @type {HTMLElement} */
const typingEl = $('typing');
/** @type {HTMLElement} */
const connectionEl = $('connection');
/** @type {HTMLFormElement} */
const form = $('composer');
/** @type {HTMLTextAreaElement} */
const textEl = $('text');
/** @type {HTMLButtonElement} */
const humanButton = $('human');
/** @type {HTMLButtonElement} */
const endButton = $('end');
/** @type {HTMLButtonElement} */
const attachButton = $('attach');
/** @type {HTMLInputElement} */
const fileInput = $('file');
/** @type {HTMLFormElement} */
const csatForm = $('csat');
/** @type {HTMLTextAreaElement} */
const csatComment = $('csat-comment');
/** @type {HTMLButtonElement} */
const csatSend = $('csat-send');
/** @type {HTMLElement} */
const csatThanks = $('csat-thanks');

bindLanguageSwitch($('language'));

// ---- the visitor's profile, as the embedding page gave it (PROTOCOL, second edition: Names and profiles)

/**
 * `attributes` as the login takes them: at most 50, keys of 1-64 characters, string values of up
 * to 1,000 (numbers and booleans written as text); anything else is left out.
 * @param {unknown} raw a JSON object, or its text
 */
export const attributesOf = (raw) => {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  /** @type {Record<string, string>} */
  const attributes = {};
  for (const [key, item] of Object.entries(value)) {
    if (Object.keys(attributes).length === 50) break;
    if (key.length < 1 || key.length > 64) continue;
    const text = ['number', 'boolean'].includes(typeof item) ? String(item) : item;
    if (typeof text === 'string' && text.length <= 1000) attributes[key] = text;
  }
  return Object.keys(attributes).length > 0 ? attributes : undefined;
};

/** name, email, phone, attributes and the page the visitor is on: for the login. */
const profile = () => {
  /** @type {Record<string, unknown>} */
  const fields = {};
  for (const key of ['name', 'email', 'phone']) {
    const value = param(key)?.trim();
    if (value) fields[key] = value.slice(0, 1000);
  }
  const attributes = attributesOf(param('attributes'));
  if (attributes) fields.attributes = attributes;
  // In a frame (embed.js) the page the visitor reads is the embedding one, not this widget.
  const framed = window.parent !== window;
  const pageUrl = param('pageUrl') || (framed && document.referrer) || location.href;
  if (pageUrl) fields.pageUrl = pageUrl.slice(0, 2000);
  return fields;
};

// ---- what the widget knows of the conversation

/**
 * The visitor's current session as the server last told it (kept across a reload, since the
 * server tells the state only when it changes).
 * @type {{ sessionId?: string, state?: string, queuePosition?: number, agentId?: string, agentName?: string, reason?: string }}
 */
let current = { sessionId: localStorage.getItem(sessionKey) ?? undefined };
/** Agents' names by id, as session.state and messages tell them. @type {Map<string, string>} */
const agentNames = new Map();

let socket;
let token;
const requests = new Requests(() => socket);
let attempt = 0;
/** clientMsgId -> the message.send frame, until its ack. Resent after a reconnect. */
const unacked = new Map();
/** clientMsgId -> the attachments shown with an unacked message (to show them again after a reload). */
const unackedAttachments = new Map();
const seenMessageIds = new Set();

const isOpen = () => socket !== undefined && socket.readyState === WebSocket.OPEN;

const scrollDown = () => {
  messagesEl.lastElementChild?.scrollIntoView({ block: 'end' });
};

/** What #notice says, redrawn on a change of language. @type {(() => string) | undefined} */
let noticeText;
/** @param {(() => string) | undefined} text */
const showNotice = (text) => {
  noticeText = text;
  noticeEl.textContent = text ? text() : '';
  noticeEl.hidden = !noticeEl.textContent;
};

/** @typedef {'connecting' | 'online' | 'offline' | 'reconnecting' | 'unavailable'} Connection */
/** @type {Connection} */
let connection = 'connecting';
/** @param {Connection} value */
const showConnection = (value) => {
  connection = value;
  connectionEl.textContent = t(`widget.connection.${value}`);
};

const showSuggestions = (questions) => {
  suggestionsEl.replaceChildren();
  for (const question of questions || []) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'suggestion';
    button.textContent = question;
    button.dataset.question = question;
    button.setAttribute('aria-label', t('widget.ask', { question }));
    button.addEventListener('click', () => sendMessage(question));
    suggestionsEl.append(button);
  }
};

// ---- bubbles

/** The name to show for an agent's message: its own, or the one the session told. */
const agentNameOf = (from) =>
  (typeof from?.name === 'string' && from.name) || (from?.id ? agentNames.get(from.id) : undefined) || undefined;

/** "1.2 MB": the same units in both languages, the number as the language writes it. @param {number} bytes */
const sizeText = (bytes) => {
  const [value, unit] =
    bytes >= 1024 * 1024 ? [bytes / 1024 / 1024, 'MB'] : bytes >= 1024 ? [bytes / 1024, 'KB'] : [bytes, 'B'];
  const format = new Intl.NumberFormat(document.documentElement.lang, { maximumFractionDigits: unit === 'B' ? 0 : 1 });
  return `${format.format(value)} ${unit}`;
};

/** An attachment's address with the visitor's token (an `<img>` or a link sends no header). */
const attachmentUrl = (url, extra = {}) => {
  const full = new URL(url, location.origin);
  for (const [name, value] of Object.entries(extra)) full.searchParams.set(name, value);
  if (token) full.searchParams.set('token', token);
  return full.href;
};

/**
 * Attachments as PROTOCOL has them ({attachmentId, name, size, contentType, url}): photos as a
 * thumbnail opening the full picture, other files as a download link with name and size.
 * @param {HTMLElement} li @param {unknown} attachments
 */
const showAttachments = (li, attachments) => {
  if (!Array.isArray(attachments) || attachments.length === 0 || li.querySelector('.attachments')) return;
  const box = document.createElement('div');
  box.className = 'attachments';
  for (const a of attachments) {
    if (!a || typeof a.url !== 'string') continue;
    const name = typeof a.name === 'string' ? a.name : '';
    const link = document.createElement('a');
    link.href = attachmentUrl(a.url);
    link.dataset.name = name;
    link.dataset.size = String(Number(a.size) || 0);
    link.dataset.attachmentId = String(a.attachmentId ?? '');
    if (typeof a.contentType === 'string' && a.contentType.startsWith('image/')) {
      link.className = 'attachment-image';
      link.target = '_blank';
      link.rel = 'noopener';
      const img = document.createElement('img');
      img.src = attachmentUrl(a.url, { thumb: '1' });
      img.loading = 'lazy';
      // A picture grows its bubble when it arrives: the latest message stays in sight.
      img.addEventListener('load', () => {
        if (messagesEl.lastElementChild === li) scrollDown();
      });
      // No thumbnail (an older server, an image it cannot shrink): the picture itself.
      img.addEventListener('error', () => {
        if (img.src !== link.href) img.src = link.href;
      });
      link.append(img);
    } else {
      link.className = 'attachment-file';
      link.download = name;
      const label = document.createElement('span');
      label.className = 'file-name';
      label.textContent = name;
      const size = document.createElement('span');
      size.className = 'file-size';
      link.append(label, ' ', size);
    }
    box.append(link);
  }
  li.insertBefore(box, li.querySelector('.read-mark'));
  labelBubble(li);
};

/** The attachments' words in the current language. @param {HTMLElement} li */
const labelAttachments = (li) => {
  for (const link of li.querySelectorAll('.attachments a')) {
    const { name, size } = /** @type {HTMLElement} */ (link).dataset;
    if (link.classList.contains('attachment-image')) {
      link.setAttribute('aria-label', t('widget.attachment.openImage', { name }));
      link.querySelector('img')?.setAttribute('alt', t('widget.attachment.imageAlt', { name }));
    } else {
      const sizeEl = link.querySelector('.file-size');
      if (sizeEl) sizeEl.textContent = `(${sizeText(Number(size))})`;
      link.setAttribute('aria-label', t('widget.attachment.download', { name, size: sizeText(Number(size)) }));
    }
  }
};

/** The bubble's words that depend on the language: who, its accessible name, the read mark. @param {HTMLElement} li */
const labelBubble = (li) => {
  const { role, name, failed } = li.dataset;
  const who = role === 'agent' && name ? name : t(`widget.who.${role}`, { defaultValue: role });
  li.querySelector('.who').textContent = who;
  const names = [...li.querySelectorAll('.attachments a')].map((a) => /** @type {HTMLElement} */ (a).dataset.name);
  const text =
    li.querySelector('.text').textContent ||
    (names.length ? t('widget.attachment.files', { names: names.join(', ') }) : '');
  let label = t('widget.said', { who, text });
  if (failed !== undefined) label += ` (${t('widget.notSent', { reason: failed })})`;
  if (li.classList.contains('read')) label += ` (${t('widget.read')})`;
  li.setAttribute('aria-label', label);
  const mark = li.querySelector('.read-mark');
  if (mark) mark.textContent = t('widget.read');
  labelAttachments(li);
};

const bubble = (role, text, extra = {}) => {
  const li = document.createElement('li');
  li.className = `bubble ${role}`;
  li.dataset.role = role;
  if (extra.name) li.dataset.name = extra.name;
  const who = document.createElement('span');
  who.className = 'who';
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(who, body);
  if (extra.clientMsgId) li.dataset.clientMsgId = extra.clientMsgId;
  if (extra.messageId) li.dataset.messageId = extra.messageId;
  if (extra.at) li.dataset.at = extra.at;
  if (extra.pending) li.classList.add('pending');
  labelBubble(li);
  showAttachments(li, extra.attachments);
  messagesEl.append(li);
  scrollDown();
  return li;
};

/** The bot's offer to end the chat is void once the visitor writes on or the session ends. */
const removeActions = () => {
  for (const group of messagesEl.querySelectorAll('.bubble-actions')) {
    // Keyboard users keep their place in the conversation rather than falling back to the page.
    if (group.contains(document.activeElement)) messagesEl.focus();
    group.remove();
  }
};

/**
 * The bot's `actions` (PROTOCOL, second edition) as buttons under its bubble: `session.end` asks
 * the visitor to end the chat, which only the visitor's own `session.end` does. Other types, and
 * a message without `actions`, show nothing.
 * @param {HTMLElement} li
 * @param {unknown} actions
 */
const showActions = (li, actions) => {
  if (!Array.isArray(actions)) return;
  const buttons = actions
    .filter((action) => action?.type === 'session.end')
    .map((action) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'bubble-action';
      const own = typeof action.label === 'string' && action.label.trim() ? action.label : undefined;
      // The server's label is in the visitor's words already; the default follows the language switch.
      if (own === undefined) button.dataset.i18n = 'widget.end';
      button.textContent = own ?? t('widget.end');
      button.addEventListener('click', () => endChat(button));
      return button;
    });
  if (buttons.length === 0) return;
  const group = document.createElement('div');
  group.className = 'bubble-actions';
  group.append(...buttons);
  li.append(group);
  scrollDown();
};

/** The visitor's `session.end` (with an id); the `session.state` `ended` that follows says so. */
const endChat = (button) => {
  if (!isOpen()) {
    showNotice(() => t('widget.notConnectedEnd'));
    return;
  }
  if (button) button.disabled = true;
  requests.send({ type: 'session.end' }, (answer) => {
    if (button) button.disabled = false;
    if (answer.type === 'error') showNotice(() => t('widget.error', { message: answer.message }));
    else removeActions();
  });
};

// ---- the session's state: notice, buttons, kept across a reload

/** What the notice says of the current state, or nothing. */
const stateText = () => {
  switch (current.state) {
    case 'queued':
      return current.queuePosition
        ? t('widget.state.queuedAt', { position: current.queuePosition })
        : t('widget.state.queued');
    case 'assigned':
      return current.agentName
        ? t('widget.state.assignedNamed', { name: current.agentName })
        : t('widget.state.assigned');
    case 'ended':
      return current.reason
        ? t('widget.state.endedWhy', { reason: t(`widget.reason.${current.reason}`, { defaultValue: current.reason }) })
        : t('widget.state.ended');
    case 'closed_hours':
      return t('widget.state.closedHours');
    default:
      return '';
  }
};

/** With a person on the way or on the other side, the bot's suggestions and the human button only take room. */
const showState = () => {
  const human = current.state === 'queued' || current.state === 'assigned';
  suggestionsEl.hidden = human;
  humanButton.hidden = human;
  if (current.state !== 'bot' && current.state !== undefined) humanButton.classList.remove('highlight');
  if (current.state === 'ended') removeActions();
  if (current.state !== 'assigned') showTyping(false);
  // The list's height changed with what came and went below it: the latest stays in sight.
  scrollDown();
};

const saveState = () => {
  const { sessionId, state, queuePosition, agentId, agentName, reason } = current;
  if (!sessionId || !state) localStorage.removeItem(stateKey);
  else localStorage.setItem(stateKey, JSON.stringify({ sessionId, state, queuePosition, agentId, agentName, reason }));
};

/**
 * `sessionId` is the visitor's session from now on. Another one than before means a new chat:
 * what the widget said of the old one (ended, the agent's name, typing) goes.
 * @param {unknown} sessionId
 */
const enterSession = (sessionId) => {
  if (typeof sessionId !== 'string' || sessionId === current.sessionId) return;
  const fresh = current.sessionId !== undefined;
  current = { sessionId };
  localStorage.setItem(sessionKey, sessionId);
  saveState();
  if (fresh) {
    showNotice(undefined);
    showState();
    forgetCsat();
  }
};

/** A `session.state` frame (or a human.request's ack) for the visitor's session. */
const applyState = (frame) => {
  enterSession(frame.sessionId);
  if (typeof frame.agentId === 'string' && typeof frame.agentName === 'string' && frame.agentName)
    agentNames.set(frame.agentId, frame.agentName);
  const agentId = frame.state === 'assigned' ? frame.agentId : undefined;
  current = {
    sessionId: current.sessionId,
    state: frame.state,
    ...(typeof frame.queuePosition === 'number' ? { queuePosition: frame.queuePosition } : {}),
    ...(agentId ? { agentId, agentName: agentNames.get(agentId) } : {}),
    ...(typeof frame.reason === 'string' ? { reason: frame.reason } : {}),
  };
  saveState();
  showNotice(stateText() ? stateText : undefined);
  showState();
};

/**
 * After a reload: the state the server last told of the remembered session, or nothing. The
 * agent's name is known from here on (the history's bubbles show it).
 */
const savedState = () => {
  let saved;
  try {
    saved = JSON.parse(localStorage.getItem(stateKey) || 'null');
  } catch {
    saved = null;
  }
  if (!saved || typeof saved !== 'object' || saved.sessionId !== current.sessionId) return undefined;
  if (typeof saved.agentId === 'string' && typeof saved.agentName === 'string')
    agentNames.set(saved.agentId, saved.agentName);
  return saved;
};

// ---- sending

const sendMessage = (raw) => {
  const text = raw.trim();
  if (!text) return;
  stopTyping();
  removeActions();
  const clientMsgId = newId();
  bubble('visitor', text, { clientMsgId, pending: true });
  track({ type: 'message.send', id: `m-${clientMsgId}`, text, clientMsgId });
};

/** Sends a message frame and keeps it (also across a reload) until the server answers it. */
const track = (frame, attachments) => {
  const { clientMsgId } = frame;
  unacked.set(clientMsgId, frame);
  if (attachments) unackedAttachments.set(clientMsgId, attachments);
  saveUnacked();
  requests.send(frame, (answer) => {
    unacked.delete(clientMsgId);
    unackedAttachments.delete(clientMsgId);
    saveUnacked();
    /** @type {HTMLElement | null} */
    const li = messagesEl.querySelector(`[data-client-msg-id="${CSS.escape(clientMsgId)}"]`);
    if (answer.type !== 'error') enterSession(answer.sessionId);
    if (!li) return;
    li.classList.remove('pending');
    if (answer.type === 'error') {
      li.classList.add('failed');
      li.dataset.failed = answer.message;
      labelBubble(li);
    } else if (answer.messageId) {
      li.dataset.messageId = answer.messageId;
      seenMessageIds.add(answer.messageId);
    }
  });
};

const saveUnacked = () => {
  if (unacked.size === 0) localStorage.removeItem(unackedKey);
  else
    localStorage.setItem(
      unackedKey,
      JSON.stringify(
        [...unacked.values()].map((frame) => ({ frame, attachments: unackedAttachments.get(frame.clientMsgId) })),
      ),
    );
};

/** Messages typed before a reload that the server never answered: shown pending, sent again. */
const restoreUnacked = () => {
  let entries = [];
  try {
    entries = JSON.parse(localStorage.getItem(unackedKey) || '[]');
  } catch {
    localStorage.removeItem(unackedKey);
  }
  for (const entry of Array.isArray(entries) ? entries : []) {
    // Kept as {frame, attachments}; a page of before kept the bare frame.
    const frame = entry?.frame ?? entry;
    const attachments = Array.isArray(entry?.attachments) ? entry.attachments : undefined;
    if (frame?.type !== 'message.send' || typeof frame.text !== 'string' || typeof frame.clientMsgId !== 'string')
      continue;
    if (!messagesEl.querySelector(`[data-client-msg-id="${CSS.escape(frame.clientMsgId)}"]`))
      bubble('visitor', frame.text, { clientMsgId: frame.clientMsgId, pending: true, attachments });
    track(frame, attachments);
  }
};

// ---- typing, both ways (PROTOCOL, second edition: Live conversation)

let typingSent = false;
let typingSentAt = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let typingIdle;

/** Not stored, nothing to retry: an error (a server without typing) is of no interest. */
const sendTyping = (typing) => {
  typingSent = typing;
  if (typing) typingSentAt = Date.now();
  if (isOpen()) requests.send({ type: 'typing', typing }, () => undefined);
};

/** Somebody is there to see it: an agent has the session or is on the way. */
const typingMatters = () => current.state === 'assigned' || current.state === 'queued';

const stopTyping = () => {
  clearTimeout(typingIdle);
  if (typingSent) sendTyping(false);
};

textEl.addEventListener('input', () => {
  if (!textEl.value.trim()) return stopTyping();
  if (!typingMatters()) return;
  // At most one a second while the keys go on; the server passes on at most two.
  if (!typingSent || Date.now() - typingSentAt >= 1000) sendTyping(true);
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, 3000);
});
textEl.addEventListener('blur', stopTyping);

/** @type {ReturnType<typeof setTimeout> | undefined} */
let typingShown;
/** @type {string | undefined} */
let typingName;
/** The agent's typing line; it goes by itself should the "stopped" never come. */
const showTyping = (typing, name) => {
  clearTimeout(typingShown);
  typingName = name;
  typingEl.textContent = typing ? (name ? t('widget.typing', { name }) : t('widget.typingAgent')) : '';
  typingEl.hidden = !typing;
  if (typing) typingShown = setTimeout(() => showTyping(false), 8000);
  scrollDown();
};

// ---- read receipts (PROTOCOL, second edition: Live conversation)

/** The last agent message the visitor was told it read (`session.read` sent while the tab was seen). */
let readUpTo;
const markAgentMessagesRead = () => {
  const last = [...messagesEl.querySelectorAll('.bubble.agent[data-message-id]')].pop();
  const messageId = /** @type {HTMLElement | undefined} */ (last)?.dataset.messageId;
  if (!messageId || messageId === readUpTo || document.visibilityState !== 'visible' || !isOpen()) return;
  readUpTo = messageId;
  requests.send({ type: 'session.read' }, () => undefined);
};
document.addEventListener('visibilitychange', markAgentMessagesRead);

/** The agent read the visitor's messages up to `upTo` (or, not shown here, up to `at`). */
const showRead = (frame) => {
  const mine = [...messagesEl.querySelectorAll('.bubble.visitor[data-message-id]')].map(
    (li) => /** @type {HTMLElement} */ (li),
  );
  const until = mine.findIndex((li) => li.dataset.messageId === frame.upTo);
  const read =
    until >= 0 ? mine.slice(0, until + 1) : mine.filter((li) => li.dataset.at && li.dataset.at <= String(frame.at));
  for (const li of read) {
    if (li.classList.contains('read')) continue;
    li.classList.add('read');
    const mark = document.createElement('span');
    mark.className = 'read-mark';
    li.append(mark);
    labelBubble(li);
  }
};

// ---- attachments (PROTOCOL, second edition: Attachments)

/** `POST /api/uploads`, then a message with the attachment; what went wrong in words. @param {File} file */
const sendFile = async (file) => {
  const name = file.name || `${t('widget.attachment.pasted')}.${(file.type.split('/')[1] || 'png').replace(/\W/g, '')}`;
  if (!token || !isOpen()) return showNotice(() => t('widget.attachment.notConnected'));
  showNotice(() => t('widget.attachment.uploading', { name }));
  let response;
  try {
    response = await fetch('/api/uploads', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': file.type || 'application/octet-stream',
        'x-file-name': encodeURIComponent(name),
      },
      body: file,
    });
  } catch {
    return showNotice(() => t('widget.attachment.notConnected'));
  }
  if (!response.ok) {
    const status = response.status;
    if (status === 413) return showNotice(() => t('widget.attachment.tooLarge', { name }));
    if (status === 415) return showNotice(() => t('widget.attachment.refusedType', { name }));
    if (status === 404 || status === 405) return showNotice(() => t('widget.attachment.unavailable'));
    return showNotice(() => t('widget.attachment.failed', { name, status }));
  }
  const attachment = await response.json();
  showNotice(stateText() ? stateText : undefined);
  removeActions();
  const clientMsgId = newId();
  bubble('visitor', '', { clientMsgId, pending: true, attachments: [attachment] });
  track(
    { type: 'message.send', id: `m-${clientMsgId}`, text: '', clientMsgId, attachments: [attachment.attachmentId] },
    [attachment],
  );
};

attachButton.addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', () => {
  const files = [...(fileInput.files ?? [])];
  fileInput.value = '';
  void (async () => {
    for (const file of files) await sendFile(file);
  })();
});
textEl.addEventListener('paste', (event) => {
  const images = [...(event.clipboardData?.items ?? [])]
    .filter((item) => item.kind === 'file' && item.type.startsWith('image/'))
    .map((item) => item.getAsFile())
    .filter((file) => file !== null);
  if (images.length === 0) return;
  event.preventDefault();
  void (async () => {
    for (const file of images) await sendFile(file);
  })();
});

// ---- history

let historyLoaded = false;

/** A message of the server's (a frame or a history row) as a bubble; notes never reach a visitor, nor are shown. */
const showMessage = (message, earlier) => {
  if (message.private === true || seenMessageIds.has(message.messageId)) return undefined;
  seenMessageIds.add(message.messageId);
  const role = message.from?.role || 'system';
  const name = role === 'agent' ? agentNameOf(message.from) : undefined;
  if (role === 'agent' && name && message.from?.id) agentNames.set(message.from.id, name);
  const li = bubble(role, message.text ?? '', {
    messageId: message.messageId,
    clientMsgId: message.clientMsgId,
    at: message.at,
    name,
    attachments: message.attachments,
  });
  if (earlier) li.classList.add('earlier');
  return li;
};

/** Before the first socket: the last session's messages, oldest first, above anything shown. */
const loadHistory = async () => {
  historyLoaded = true;
  const sessionId = current.sessionId;
  if (!sessionId) return;
  try {
    const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/messages?limit=50`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status === 404) {
      // Another visitor id, or gone: nothing of it to show or restore.
      localStorage.removeItem(sessionKey);
      localStorage.removeItem(stateKey);
      current = {};
    }
    if (!response.ok) return;
    const { messages } = await response.json();
    const first = messagesEl.firstElementChild;
    for (const message of [...messages].reverse()) {
      const li = showMessage(message, true);
      if (li) messagesEl.insertBefore(li, first);
    }
    scrollDown();
  } catch {
    // History is a comfort: the chat works without it.
  }
};

// ---- satisfaction (PROTOCOL second edition: csat.request / csat.submit)

/** @returns {string[]} */
const ratedSessions = () => {
  try {
    const rated = JSON.parse(localStorage.getItem(csatRatedKey) || '[]');
    return Array.isArray(rated) ? rated.filter((id) => typeof id === 'string') : [];
  } catch {
    return [];
  }
};

/** The session the question on screen is about. @type {string | undefined} */
let csatSessionId;

/** The stars shown as chosen up to `rating` (the radios say it to assistive technology). @param {number} rating */
const lightStars = (rating) => {
  for (const label of csatForm.querySelectorAll('.csat-star'))
    label.classList.toggle('lit', Number(/** @type {HTMLElement} */ (label).dataset.rating) <= rating);
};

/** The server asks how session `sessionId` went: the stars, unless the visitor rated it already. @param {unknown} sessionId */
const askCsat = (sessionId) => {
  if (typeof sessionId !== 'string' || ratedSessions().includes(sessionId)) return;
  // Only for the session this widget is in (or, before it knows one, the one that just ended).
  if (current.sessionId !== undefined && current.sessionId !== sessionId) return;
  csatSessionId = sessionId;
  localStorage.setItem(csatAskedKey, sessionId);
  csatForm.reset();
  lightStars(0);
  csatSend.disabled = true;
  csatThanks.hidden = true;
  csatForm.hidden = false;
  scrollDown();
};

/** Rated (or the question is gone with a new chat): never shown again for that session. */
const doneCsat = (sessionId) => {
  const rated = [...ratedSessions().filter((id) => id !== sessionId), sessionId].slice(-20);
  localStorage.setItem(csatRatedKey, JSON.stringify(rated));
  localStorage.removeItem(csatAskedKey);
  csatForm.hidden = true;
  csatThanks.hidden = false;
  csatThanks.focus();
  csatSessionId = undefined;
};

/** A new chat began: the question and thanks of the old one go. */
const forgetCsat = () => {
  csatForm.hidden = true;
  csatThanks.hidden = true;
  csatSessionId = undefined;
  localStorage.removeItem(csatAskedKey);
};

csatForm.addEventListener('change', () => {
  const chosen = /** @type {HTMLInputElement | null} */ (csatForm.querySelector('input[name="rating"]:checked'));
  lightStars(chosen ? Number(chosen.value) : 0);
  csatSend.disabled = chosen === null;
});

csatForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const chosen = /** @type {HTMLInputElement | null} */ (csatForm.querySelector('input[name="rating"]:checked'));
  const sessionId = csatSessionId;
  if (!chosen || !sessionId) return;
  if (!isOpen()) {
    showNotice(() => t('widget.csat.notConnected'));
    return;
  }
  const comment = csatComment.value.trim();
  csatSend.disabled = true;
  requests.send(
    { type: 'csat.submit', sessionId, rating: Number(chosen.value), ...(comment ? { comment } : {}) },
    (answer) => {
      // Rated before (another tab): as good as done here.
      if (answer.type === 'ack' || answer.code === 'already_rated') {
        doneCsat(sessionId);
        return;
      }
      csatSend.disabled = false;
      showNotice(() => t('widget.csat.failed', { message: answer.message }));
    },
  );
});

// ---- frames from the server

const onFrame = (frame) => {
  switch (frame.type) {
    case 'ack':
    case 'error': {
      if (!requests.answer(frame) && frame.type === 'error')
        showNotice(() => t('widget.error', { message: frame.message }));
      return;
    }
    case 'suggestions':
      // The greeting opens the conversation: at the top, above what a reload brought back.
      if (frame.greeting && !messagesEl.querySelector('.greeting')) {
        const li = bubble('bot', frame.greeting);
        li.classList.add('greeting');
        messagesEl.prepend(li);
      }
      showSuggestions(frame.questions);
      return;
    case 'message': {
      if (frame.private === true) return;
      enterSession(frame.sessionId);
      if (seenMessageIds.has(frame.messageId)) return;
      const role = frame.from?.role || 'system';
      if (role === 'visitor' && frame.clientMsgId) {
        /** @type {HTMLElement | null} */
        const mine = messagesEl.querySelector(`[data-client-msg-id="${CSS.escape(frame.clientMsgId)}"]`);
        if (mine) {
          seenMessageIds.add(frame.messageId);
          mine.dataset.messageId = frame.messageId;
          if (frame.at) mine.dataset.at = frame.at;
          mine.classList.remove('pending');
          showAttachments(mine, frame.attachments);
          return;
        }
      }
      removeActions();
      const li = showMessage(frame, false);
      if (role === 'bot') showActions(li, frame.actions);
      if (role === 'bot' && frame.suggestions) showSuggestions(frame.suggestions);
      humanButton.classList.toggle('highlight', role === 'bot' && frame.offerHuman === true);
      if (role === 'agent') {
        showTyping(false);
        markAgentMessagesRead();
      }
      return;
    }
    case 'session.state':
      applyState(frame);
      return;
    case 'typing':
      if (frame.from?.role !== 'agent' || (frame.sessionId && frame.sessionId !== current.sessionId)) return;
      showTyping(frame.typing === true, agentNameOf(frame.from) ?? current.agentName);
      return;
    case 'message.read':
      if (frame.sessionId && frame.sessionId !== current.sessionId) return;
      showRead(frame);
      return;
    case 'message.failed':
      showNotice(() => t('widget.deliveryFailed', { reason: frame.reason }));
      return;
    case 'csat.request':
      askCsat(frame.sessionId);
      return;
    default:
      return;
  }
};

// ---- login and the socket

/** The login said the company does not exist: retrying cannot help. */
class NoSuchCompany extends Error {}

const postLogin = (body) =>
  fetch('/api/visitors/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/**
 * `POST /api/visitors/login`: the visitor of before (its id and resume token) with its profile. A
 * profile the server refuses is left out rather than costing the chat; an identity it refuses
 * (a resume token gone) makes a new visitor.
 */
const login = async () => {
  const known = localStorage.getItem(storageKey);
  const resumeToken = localStorage.getItem(resumeKey);
  const identity = known ? { visitorId: known, ...(resumeToken ? { resumeToken } : {}) } : {};
  let withIdentity = Boolean(known);
  let withProfile = true;
  let response;
  // At most three tries, each dropping what the server refused; a 401 is never retried as it was.
  for (;;) {
    response = await postLogin({ companyId, ...(withIdentity ? identity : {}), ...(withProfile ? profile() : {}) });
    const status = response.status;
    // The identity refused (no resume token, or one that ended): this browser's visitor is gone, start anew.
    if ((status === 401 || status === 403) && withIdentity) withIdentity = false;
    else if (status === 400 && withProfile) withProfile = false;
    else if (status === 400 && withIdentity) withIdentity = false;
    else break;
  }
  if (response.status === 404) {
    const answer = await response.json().catch(() => ({}));
    if (answer?.error?.code === 'company_not_found') throw new NoSuchCompany();
  }
  if (!response.ok) throw new Error(`login failed (${response.status})`);
  const answer = await response.json();
  if (answer.visitorId !== known) {
    // Somebody new to the server: what this browser kept of another visitor is not theirs.
    for (const key of [sessionKey, stateKey, unackedKey, csatAskedKey, csatRatedKey]) localStorage.removeItem(key);
    if (known) current = {};
  }
  localStorage.setItem(storageKey, answer.visitorId);
  if (typeof answer.resumeToken === 'string') localStorage.setItem(resumeKey, answer.resumeToken);
  else localStorage.removeItem(resumeKey);
  return answer.token;
};

const reconnectLater = () => {
  const delay = reconnectDelay(attempt);
  attempt += 1;
  showConnection('reconnecting');
  setTimeout(connect, delay);
};

/** Nothing to chat with: said plainly, the controls off, no more attempts. */
const unavailable = () => {
  showConnection('unavailable');
  showNotice(() => t('widget.noCompany', { company: companyId }));
  for (const control of [textEl, attachButton, humanButton, endButton, ...form.querySelectorAll('button')])
    /** @type {HTMLButtonElement | HTMLTextAreaElement} */ (control).disabled = true;
  suggestionsEl.hidden = true;
};

async function connect() {
  try {
    token = await login();
  } catch (error) {
    if (error instanceof NoSuchCompany) return unavailable();
    reconnectLater();
    return;
  }
  if (!historyLoaded) {
    const saved = savedState();
    await loadHistory();
    if (saved && saved.sessionId === current.sessionId) applyState(saved);
    restoreUnacked();
    // Asked before the reload and not answered: asked again (unless a newer chat began since).
    const asked = localStorage.getItem(csatAskedKey);
    if (asked && asked === current.sessionId) askCsat(asked);
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${location.host}/ws/visitor?token=${encodeURIComponent(token)}`);
  socket.addEventListener('open', () => {
    showConnection('online');
    // Same clientMsgId: the server never makes two messages of one.
    for (const frame of unacked.values()) socket.send(JSON.stringify(frame));
    markAgentMessagesRead();
  });
  socket.addEventListener('message', (event) => {
    // The backoff starts over once the server serves the socket, not at its handshake: a gateway that closes new
    // sockets at once (1013, its event feed lost) is tried again later and later, not every half second.
    attempt = 0;
    try {
      onFrame(JSON.parse(event.data));
    } catch (error) {
      console.error('bad frame', error);
    }
  });
  socket.addEventListener('close', () => {
    showConnection('offline');
    reconnectLater();
  });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  sendMessage(textEl.value);
  textEl.value = '';
  textEl.focus();
});
textEl.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});
humanButton.addEventListener('click', () => {
  humanButton.classList.remove('highlight');
  requests.send({ type: 'human.request' }, (answer) => {
    if (answer.type === 'error') showNotice(() => t('widget.humanFailed', { message: answer.message }));
    else if (answer.state === 'closed_hours') {
      enterSession(answer.sessionId);
      showNotice(() => t('widget.state.closedHours'));
    } else if (current.state !== 'assigned' && current.state !== 'queued') {
      // The session.state frame that follows says more (the agent's name, the place in line).
      applyState(answer);
      if (!stateText()) showNotice(() => t('widget.askingHuman'));
    }
  });
});
endButton.addEventListener('click', () => endChat(undefined));

// A change of language redraws what the code wrote (the markup's strings redraw themselves).
onLanguageChange(() => {
  showConnection(connection);
  showNotice(noticeText);
  if (!typingEl.hidden) showTyping(true, typingName);
  for (const li of messagesEl.querySelectorAll('.bubble')) labelBubble(/** @type {HTMLElement} */ (li));
  for (const button of suggestionsEl.querySelectorAll('.suggestion'))
    button.setAttribute(
      'aria-label',
      t('widget.ask', { question: /** @type {HTMLElement} */ (button).dataset.question }),
    );
});

showConnection('connecting');
connect();
