// The visitor chat widget: plain ES module, no build step. Protocol: /work/shared PROTOCOL.md
// (POST /api/visitors/login, then the socket /ws/visitor).

import { newId, reconnectDelay, Requests } from './frames.js';

const params = new URLSearchParams(location.search);
const companyId = params.get('company') || 'demo';
const storageKey = `cschat.visitorId.${companyId}`;
const sessionKey = `cschat.sessionId.${companyId}`;
const unackedKey = `cschat.unacked.${companyId}`;

/** An element of the page by id; the constants below say which kind. @returns {any} */
const $ = (id) => document.getElementById(id);
/** @type {HTMLElement} */
const messagesEl = $('messages');
/** @type {HTMLElement} */
const suggestionsEl = $('suggestions');
/** @type {HTMLElement} */
const noticeEl = $('notice');
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

const ROLE_LABEL = { visitor: 'You', bot: 'Assistant', agent: 'Agent', system: 'System' };
const REASON_LABEL = {
  visitor: 'you left',
  agent: 'the agent ended it',
  timeout: 'no activity',
  system: 'closed by the system',
};

let socket;
const requests = new Requests(() => socket);
let attempt = 0;
/** clientMsgId -> the message.send frame, until its ack. Resent after a reconnect. */
const unacked = new Map();
const seenMessageIds = new Set();

const scrollDown = () => {
  messagesEl.lastElementChild?.scrollIntoView({ block: 'end' });
};

const showNotice = (text) => {
  noticeEl.textContent = text;
  noticeEl.hidden = !text;
};

const showSuggestions = (questions) => {
  suggestionsEl.replaceChildren();
  for (const question of questions || []) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'suggestion';
    button.textContent = question;
    button.setAttribute('aria-label', `Ask: ${question}`);
    button.addEventListener('click', () => sendMessage(question));
    suggestionsEl.append(button);
  }
};

const bubble = (role, text, extra = {}) => {
  const li = document.createElement('li');
  li.className = `bubble ${role}`;
  li.dataset.role = role;
  li.setAttribute('aria-label', `${ROLE_LABEL[role] || role} said: ${text}`);
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = ROLE_LABEL[role] || role;
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(who, body);
  if (extra.clientMsgId) li.dataset.clientMsgId = extra.clientMsgId;
  if (extra.messageId) li.dataset.messageId = extra.messageId;
  if (extra.pending) li.classList.add('pending');
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
      button.textContent = typeof action.label === 'string' && action.label.trim() ? action.label : 'End chat';
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
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    showNotice('Not connected: the chat was not ended. Please try again in a moment.');
    return;
  }
  if (button) button.disabled = true;
  requests.send({ type: 'session.end' }, (answer) => {
    if (button) button.disabled = false;
    if (answer.type === 'error') showNotice(answer.message);
    else removeActions();
  });
};

const sendMessage = (raw) => {
  const text = raw.trim();
  if (!text) return;
  removeActions();
  const clientMsgId = newId();
  bubble('visitor', text, { clientMsgId, pending: true });
  track({ type: 'message.send', id: `m-${clientMsgId}`, text, clientMsgId });
};

/** Sends a message frame and keeps it (also across a reload) until the server answers it. */
const track = (frame) => {
  const { clientMsgId } = frame;
  unacked.set(clientMsgId, frame);
  saveUnacked();
  requests.send(frame, (answer) => {
    unacked.delete(clientMsgId);
    saveUnacked();
    /** @type {HTMLElement | null} */
    const li = messagesEl.querySelector(`[data-client-msg-id="${CSS.escape(clientMsgId)}"]`);
    if (!li) return;
    li.classList.remove('pending');
    if (answer.type === 'error') {
      li.classList.add('failed');
      li.setAttribute('aria-label', `${li.getAttribute('aria-label')} (not sent: ${answer.message})`);
    } else if (answer.messageId) {
      li.dataset.messageId = answer.messageId;
      seenMessageIds.add(answer.messageId);
      rememberSession(answer.sessionId);
    }
  });
};

/** The visitor's latest session, so that a reload shows the conversation so far. */
const rememberSession = (sessionId) => {
  if (typeof sessionId === 'string') localStorage.setItem(sessionKey, sessionId);
};

let historyLoaded = false;

/** Before the first socket: the last session's messages, oldest first, above anything shown. */
const loadHistory = async (token) => {
  historyLoaded = true;
  const sessionId = localStorage.getItem(sessionKey);
  if (!sessionId) return;
  try {
    const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/messages?limit=50`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status === 404) localStorage.removeItem(sessionKey); // another visitor id, or gone
    if (!response.ok) return;
    const { messages } = await response.json();
    const first = messagesEl.firstElementChild;
    for (const message of [...messages].reverse()) {
      if (seenMessageIds.has(message.messageId)) continue;
      seenMessageIds.add(message.messageId);
      const li = bubble(message.from?.role || 'system', message.text, {
        messageId: message.messageId,
        clientMsgId: message.clientMsgId,
      });
      li.classList.add('earlier');
      messagesEl.insertBefore(li, first);
    }
    scrollDown();
  } catch {
    // History is a comfort: the chat works without it.
  }
};

const saveUnacked = () => {
  if (unacked.size === 0) localStorage.removeItem(unackedKey);
  else localStorage.setItem(unackedKey, JSON.stringify([...unacked.values()]));
};

/** Messages typed before a reload that the server never answered: shown pending, sent again. */
const restoreUnacked = () => {
  let frames = [];
  try {
    frames = JSON.parse(localStorage.getItem(unackedKey) || '[]');
  } catch {
    localStorage.removeItem(unackedKey);
  }
  for (const frame of Array.isArray(frames) ? frames : []) {
    if (frame?.type !== 'message.send' || typeof frame.text !== 'string' || typeof frame.clientMsgId !== 'string')
      continue;
    if (!messagesEl.querySelector(`[data-client-msg-id="${CSS.escape(frame.clientMsgId)}"]`))
      bubble('visitor', frame.text, { clientMsgId: frame.clientMsgId, pending: true });
    track(frame);
  }
};

const stateNotice = (frame) => {
  switch (frame.state) {
    case 'queued':
      return frame.queuePosition
        ? `Waiting for an agent: you are number ${frame.queuePosition} in line.`
        : 'Waiting for an agent…';
    case 'assigned':
      return 'An agent has joined the chat.';
    case 'ended':
      return `The chat has ended${frame.reason ? ` (${REASON_LABEL[frame.reason] || frame.reason})` : ''}.`;
    case 'closed_hours':
      return 'We are closed right now; leave a message and we will answer when we are back.';
    case 'bot':
      return '';
    default:
      return '';
  }
};

const onFrame = (frame) => {
  switch (frame.type) {
    case 'ack':
    case 'error': {
      if (!requests.answer(frame) && frame.type === 'error') showNotice(`Error: ${frame.message}`);
      return;
    }
    case 'suggestions':
      if (frame.greeting && !messagesEl.querySelector('.greeting')) {
        bubble('bot', frame.greeting).classList.add('greeting');
      }
      showSuggestions(frame.questions);
      return;
    case 'message': {
      rememberSession(frame.sessionId);
      if (seenMessageIds.has(frame.messageId)) return;
      seenMessageIds.add(frame.messageId);
      const role = frame.from?.role || 'system';
      if (role === 'visitor' && frame.clientMsgId) {
        /** @type {HTMLElement | null} */
        const mine = messagesEl.querySelector(`[data-client-msg-id="${CSS.escape(frame.clientMsgId)}"]`);
        if (mine) {
          mine.dataset.messageId = frame.messageId;
          mine.classList.remove('pending');
          return;
        }
      }
      removeActions();
      const li = bubble(role, frame.text, { messageId: frame.messageId });
      if (role === 'bot') showActions(li, frame.actions);
      if (role === 'bot' && frame.suggestions) showSuggestions(frame.suggestions);
      humanButton.classList.toggle('highlight', role === 'bot' && frame.offerHuman === true);
      return;
    }
    case 'session.state':
      rememberSession(frame.sessionId);
      showNotice(stateNotice(frame));
      // With a person on the other side the suggested questions only take room; back after the end.
      suggestionsEl.hidden = frame.state === 'assigned';
      if (frame.state !== 'bot') humanButton.classList.remove('highlight');
      if (frame.state === 'ended') removeActions();
      return;
    case 'message.failed':
      showNotice(`A message could not be delivered: ${frame.reason}`);
      return;
    default:
      return;
  }
};

const login = async () => {
  const body = { companyId };
  const known = localStorage.getItem(storageKey);
  if (known) body.visitorId = known;
  const response = await fetch('/api/visitors/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`login failed (${response.status})`);
  const answer = await response.json();
  localStorage.setItem(storageKey, answer.visitorId);
  return answer.token;
};

const reconnectLater = () => {
  const delay = reconnectDelay(attempt);
  attempt += 1;
  connectionEl.textContent = 'Reconnecting…';
  setTimeout(connect, delay);
};

async function connect() {
  let token;
  try {
    token = await login();
  } catch {
    reconnectLater();
    return;
  }
  if (!historyLoaded) {
    await loadHistory(token);
    restoreUnacked();
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${location.host}/ws/visitor?token=${encodeURIComponent(token)}`);
  socket.addEventListener('open', () => {
    attempt = 0;
    connectionEl.textContent = 'Online';
    // Same clientMsgId: the server never makes two messages of one.
    for (const frame of unacked.values()) socket.send(JSON.stringify(frame));
  });
  socket.addEventListener('message', (event) => {
    try {
      onFrame(JSON.parse(event.data));
    } catch (error) {
      console.error('bad frame', error);
    }
  });
  socket.addEventListener('close', () => {
    connectionEl.textContent = 'Offline';
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
    if (answer.type === 'error') showNotice(`Could not reach a human: ${answer.message}`);
    else {
      rememberSession(answer.sessionId);
      showNotice(stateNotice(answer) || 'Asking for a human…');
    }
  });
});
endButton.addEventListener('click', () => endChat(undefined));

connect();

export {}; // an ES module: its names stay its own
