// The agent console: plain ES module, no build step. Protocol: PROTOCOL.md
// (POST /api/agents/login, then the socket /ws/agent; history over HTTP). The sign-in is kept in
// localStorage until it expires, is refused, or the agent signs out.

import { newId, reconnectDelay, Requests, staffLogin, tokenClaims } from './frames.js';

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
/** @type {HTMLElement} */
const conversationEl = $('conversation');
/** @type {HTMLElement} */
const titleEl = $('conversation-title');
/** @type {HTMLElement} */
const messagesEl = $('messages');
/** @type {HTMLFormElement} */
const replyForm = $('reply');
/** @type {HTMLTextAreaElement} */
const replyText = $('reply-text');
/** @type {HTMLButtonElement} */
const endButton = $('end');
/** @type {HTMLElement} */
const cannedEl = $('canned');
/** @type {HTMLSelectElement} */
const transferTarget = $('transfer-target');
/** @type {HTMLButtonElement} */
const transferButton = $('transfer');
/** @type {HTMLElement} */
const transferError = $('transfer-error');
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

const ROLE_LABEL = { visitor: 'Visitor', bot: 'Assistant', agent: 'Agent', system: 'System' };

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
let agentState = { status: '', load: 0 };
/** The company's offlineRequeueSeconds when this agent may read it (admins), else undefined. */
let requeueSeconds;
let openSessionId;
let sessions = [];
const unacked = new Map();
const shownMessageIds = new Set();
const failures = new Map(); // messageId -> reason (message.failed)
const unseen = new Map(); // sessionId -> messages arrived while it was not open
let board = { queues: [], agents: [] };
let boardTimer;

const REFUSED = 'Your sign-in is no longer valid; please sign in again.';
const EXPIRED = 'Your sign-in has expired; please sign in again.';
const UNREADABLE = 'Your saved sign-in could not be read; please sign in again.';

/** A GET with the agent's token; a 401 (expired or revoked token) ends the sign-in. */
const authorized = async (url) => {
  const used = token;
  const response = await fetch(url, { headers: { authorization: `Bearer ${used}` } });
  if (response.status === 401 && used === token) signOutLocally({ error: REFUSED });
  return response;
};

const api = async (url) => {
  const response = await authorized(url);
  if (!response.ok) throw new Error(`${url.split('?')[0]}: ${response.status}`);
  return response.json();
};

const updateTitle = () => {
  let n = 0;
  for (const count of unseen.values()) n += count;
  const base = agentId ? `Agent console: ${agentId}` : 'Agent console';
  document.title = n > 0 ? `(${n}) ${base}` : base;
};

/** "45 s", "3 min", "2 h": how long ago `at` was. */
const since = (at) => {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(at)) / 1000));
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h`;
};

// ---- notices: the unread count in the title, and a short tone when sound is on

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

const shortId = (id) => (id.length > 14 ? `${id.slice(0, 12)}…` : id);

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

const renderSessions = () => {
  sessionsEl.replaceChildren();
  noSessionsEl.hidden = sessions.length > 0;
  for (const row of sessions) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'session';
    button.dataset.sessionId = row.sessionId;
    if (row.sessionId === openSessionId) {
      button.classList.add('open');
      button.setAttribute('aria-current', 'true');
    }
    const name = document.createElement('span');
    name.className = 'session-name';
    name.textContent = `${shortId(row.visitorId)} · ${row.channel} · ${row.state}`;
    const preview = document.createElement('span');
    preview.className = 'preview';
    preview.textContent = row.lastMessage ? row.lastMessage.text : '';
    const wait = document.createElement('span');
    wait.className = 'wait';
    wait.textContent = row.unread && row.firstUnreadAt ? `waiting ${since(row.firstUnreadAt)}` : since(row.updatedAt);
    button.append(name, wait);
    if (row.unread) {
      const dot = document.createElement('span');
      dot.className = 'unread-dot';
      dot.setAttribute('aria-label', 'unread');
      dot.setAttribute('role', 'img');
      button.append(dot);
    }
    button.append(preview);
    button.addEventListener('click', () => openSession(row.sessionId));
    li.append(button);
    sessionsEl.append(li);
  }
};

const bubble = (message, { append = true } = {}) => {
  if (message.messageId) {
    if (shownMessageIds.has(message.messageId)) return undefined;
    shownMessageIds.add(message.messageId);
  }
  const role = message.from?.role || 'system';
  const li = document.createElement('li');
  li.className = `bubble ${role}`;
  li.dataset.role = role;
  if (message.messageId) li.dataset.messageId = message.messageId;
  li.setAttribute('aria-label', `${ROLE_LABEL[role] || role} said: ${message.text}`);
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = role === 'agent' && message.from.id ? message.from.id : ROLE_LABEL[role] || role;
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = message.text;
  li.append(who, body);
  if (message.messageId && failures.has(message.messageId)) markFailed(li, failures.get(message.messageId));
  if (message.at) li.title = new Date(message.at).toLocaleString();
  if (!append) return li;
  messagesEl.append(li);
  messagesEl.lastElementChild?.scrollIntoView({ block: 'end' });
  return li;
};

function markFailed(li, reason) {
  let note = li.querySelector('.failed');
  if (!note) {
    note = document.createElement('span');
    note.className = 'failed';
    note.setAttribute('role', 'status');
    li.append(note);
  }
  note.textContent = `not delivered: ${reason}`;
  li.classList.add('not-delivered');
}

const PAGE = 30;
/** The open session's history: the oldest time loaded, and whether older messages remain. */
let history = { oldestAt: undefined, more: false, loading: false };

const fetchPage = async (sessionId, before) => {
  // `before` is exclusive on the server; asking from 1 ms later and dropping what is shown
  // already means messages sharing the oldest millisecond are not skipped.
  const query = before ? `&before=${encodeURIComponent(new Date(Date.parse(before) + 1).toISOString())}` : '';
  const response = await authorized(`/api/sessions/${encodeURIComponent(sessionId)}/messages?limit=${PAGE}${query}`);
  if (!response.ok) throw new Error(`history unavailable: ${response.status}`);
  return (await response.json()).messages; // newest first
};

const noteOldest = (messages) => {
  for (const m of messages) if (!history.oldestAt || m.at < history.oldestAt) history.oldestAt = m.at;
};

async function openSession(sessionId) {
  openSessionId = sessionId;
  unseen.delete(sessionId);
  updateTitle();
  transferError.textContent = '';
  closeCanned();
  shownMessageIds.clear();
  messagesEl.replaceChildren();
  history = { oldestAt: undefined, more: false, loading: true };
  olderButton.hidden = true;
  conversationEl.hidden = false;
  titleEl.textContent = `Session ${shortId(sessionId)}`;
  renderSessions();
  requests.send({ type: 'session.read', sessionId });
  let messages;
  try {
    messages = await fetchPage(sessionId);
  } catch (error) {
    if (openSessionId === sessionId) titleEl.textContent = `Session ${shortId(sessionId)} (${error.message})`;
    return;
  } finally {
    if (openSessionId === sessionId) history.loading = false;
  }
  if (openSessionId !== sessionId) return;
  const live = /** @type {HTMLElement[]} */ ([...messagesEl.children]);
  messagesEl.replaceChildren();
  for (const message of [...messages].reverse()) bubble(message);
  for (const li of live)
    if (!li.dataset.messageId || !messagesEl.querySelector(`[data-message-id="${CSS.escape(li.dataset.messageId)}"]`))
      messagesEl.append(li);
  noteOldest(messages);
  history.more = messages.length === PAGE;
  olderButton.hidden = !history.more;
  messagesEl.lastElementChild?.scrollIntoView({ block: 'end' });
  replyText.focus();
}

/** One page further back, put above what is shown without moving what the agent is reading. */
async function loadOlder() {
  const sessionId = openSessionId;
  if (!sessionId || !history.more || history.loading) return;
  history.loading = true;
  olderButton.disabled = true;
  try {
    const messages = await fetchPage(sessionId, history.oldestAt);
    if (openSessionId !== sessionId) return;
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
  } catch (error) {
    transferError.textContent = `Could not load earlier messages: ${error.message}`;
  } finally {
    if (openSessionId === sessionId) history.loading = false;
    olderButton.disabled = false;
  }
}

const onFrame = (frame) => {
  switch (frame.type) {
    case 'ack':
    case 'error': {
      if (!requests.answer(frame) && frame.type === 'error') connectionEl.textContent = `Error: ${frame.message}`;
      return;
    }
    case 'agent.state':
      loadEl.textContent = `${frame.load}/${frame.capacity} sessions`;
      showStatus(frame.status, frame.load);
      refreshBoard();
      return;
    case 'session.list':
      if (frame.sessions.some((row) => !sessions.some((old) => old.sessionId === row.sessionId))) beep();
      sessions = frame.sessions;
      for (const id of unseen.keys()) if (!sessions.some((row) => row.sessionId === id)) unseen.delete(id);
      updateTitle();
      renderSessions();
      refreshBoard();
      return;
    case 'session.update': {
      // One row changed (a message, the unread flag): replaced in place, the list kept in the server's order.
      const row = frame.session;
      const known = sessions.some((old) => old.sessionId === row.sessionId);
      sessions = sortSessions([...sessions.filter((old) => old.sessionId !== row.sessionId), row]);
      if (!known) beep();
      renderSessions();
      return;
    }
    case 'message': {
      const mine = frame.from?.role === 'agent' && frame.from.id === agentId;
      if (frame.sessionId === openSessionId) {
        bubble(frame);
        if (frame.from?.role !== 'agent') requests.send({ type: 'session.read', sessionId: frame.sessionId });
        if (!mine && document.hidden) beep();
      } else if (!mine) {
        unseen.set(frame.sessionId, (unseen.get(frame.sessionId) ?? 0) + 1);
        updateTitle();
        beep();
      }
      return;
    }
    case 'message.failed': {
      failures.set(frame.messageId, frame.reason);
      if (frame.sessionId !== openSessionId) return;
      const li = messagesEl.querySelector(`[data-message-id="${CSS.escape(frame.messageId)}"]`);
      if (li) markFailed(li, frame.reason);
      else bubble({ from: { role: 'system' }, text: `A message was not delivered: ${frame.reason}` });
      return;
    }
    case 'session.state': {
      const row = sessions.find((s) => s.sessionId === frame.sessionId);
      if (row) row.state = frame.state;
      if (frame.sessionId === openSessionId && frame.state === 'ended') {
        bubble({ from: { role: 'system' }, text: `Session ended${frame.reason ? ` (${frame.reason})` : ''}.` });
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
  connectionEl.textContent = 'Reconnecting…';
  reconnectTimer = setTimeout(connect, delay);
};

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/ws/agent?token=${encodeURIComponent(token)}`);
  socket = ws;
  // A socket of an earlier sign-in (or one replaced by a reconnect) says nothing any more.
  ws.addEventListener('open', () => {
    if (ws !== socket) return;
    attempt = 0;
    connectionEl.textContent = 'Connected';
    // The status is not sent again: the server resumes it and says so in `agent.state`.
    for (const frame of unacked.values()) ws.send(JSON.stringify(frame));
  });
  ws.addEventListener('message', (event) => {
    if (ws !== socket) return;
    try {
      onFrame(JSON.parse(event.data));
    } catch (error) {
      console.error('bad frame', error);
    }
  });
  ws.addEventListener('close', (event) => {
    if (ws !== socket) return;
    if (event.code === 4401) {
      signOutLocally({ error: REFUSED });
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
    return { problem: UNREADABLE };
  }
  const expiresAt = expiryOf(saved?.token);
  if (expiresAt === undefined || typeof saved.agentId !== 'string' || typeof saved.companyId !== 'string')
    return { problem: UNREADABLE };
  // The token's own expiry decides, whatever was saved beside it.
  if (expiresAt <= Date.now()) return { problem: EXPIRED };
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

/** @param {SignIn} signIn */
function startSignIn(signIn) {
  ({ token, agentId, companyId } = signIn);
  role = tokenClaims(token)?.role;
  requests = new Requests(() => socket);
  attempt = 0;
  loginError.textContent = '';
  loginNotice.textContent = '';
  loginForm.hidden = true;
  appEl.hidden = false;
  signedInAs.textContent = `Signed in as ${agentId}`;
  showStatus('', 0);
  updateTitle();
  connect();
  refreshBoard();
  loadRequeueDelay();
  clearInterval(boardTimer);
  boardTimer = setInterval(refreshBoard, 10_000);
  clearTimeout(expiryTimer);
  // setTimeout takes at most 2^31-1 ms (24.8 days); agents' tokens live hours.
  const left = Math.min(signIn.expiresAt - Date.now(), 2 ** 31 - 1);
  expiryTimer = setTimeout(() => signOutLocally({ error: EXPIRED }), left);
}

/**
 * Back to the sign-in form: closes the socket, forgets the saved sign-in and everything shown.
 * The server is not told; `signOut` is the agent's own "Sign out".
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
  token = agentId = role = requeueSeconds = undefined;
  sessions = [];
  openSessionId = undefined;
  for (const collection of [unacked, shownMessageIds, failures, unseen]) collection.clear();
  board = { queues: [], agents: [] };
  closeCanned();
  messagesEl.replaceChildren();
  conversationEl.hidden = true;
  for (const el of [loadEl, connectionEl, boardError, transferError]) el.textContent = '';
  showStatus('', 0);
  renderSessions();
  renderBoard();
  updateTitle();
  showSignInForm({ error, notice });
}

/** @param {{ error?: string, notice?: string }} messages */
function showSignInForm({ error = '', notice = '' }) {
  appEl.hidden = true;
  loginForm.hidden = false;
  if (companyId) companyEl.value = companyId;
  passwordEl.value = '';
  loginError.textContent = error;
  loginNotice.textContent = notice;
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

/** "Sign out": offline on purpose (the requeue clock starts now), then back to the form. */
async function signOut() {
  const used = token;
  if (used === undefined) return;
  signOutButton.disabled = true;
  try {
    if (socket?.readyState === WebSocket.OPEN) await answerWithin({ type: 'agent.status', status: 'offline' }, 3000);
    if (token !== used) return; // refused or expired meanwhile: already signed out
    signOutLocally({ notice: 'You have signed out.' });
    // PROTOCOL (Security): the token ends on every process. A server without the route answers 404;
    // the token is forgotten here all the same.
    await fetch('/api/agents/logout', {
      method: 'POST',
      headers: { authorization: `Bearer ${used}` },
      signal: AbortSignal.timeout(3000),
    }).catch(() => undefined);
  } finally {
    signOutButton.disabled = false;
  }
}

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  loginError.textContent = '';
  loginNotice.textContent = '';
  const company = companyEl.value;
  const answer = await staffLogin(company, usernameEl.value, passwordEl.value);
  if ('error' in answer) {
    loginError.textContent = answer.error;
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
  if (localStorage.getItem(SIGN_IN_KEY) === null) signOutLocally({ notice: 'You signed out in another tab.' });
});

// ---- the status: what the server last said, and Offline's consequence

const duration = (seconds) =>
  seconds < 60
    ? `${seconds} s`
    : seconds < 3600
      ? `${Math.round(seconds / 60)} min`
      : `${Math.round(seconds / 3600)} h`;

function renderStatusHint() {
  const delay = requeueSeconds === undefined ? "the company's requeue delay" : duration(requeueSeconds);
  statusHint.textContent =
    agentState.status === 'offline' && agentState.load > 0
      ? `Offline: your ${agentState.load} open ${agentState.load === 1 ? 'session goes' : 'sessions go'} back to the queue after ${delay}.`
      : `Offline: open sessions go back to the queue after ${delay}.`;
}

/** Shows `status` (from `agent.state`, or the ack of a change); '' while it is not known yet. */
function showStatus(status, load = agentState.load) {
  agentState = { status, load };
  statusEl.value = status;
  statusEl.disabled = status === '';
  if (status) statusEl.dataset.confirmed = status;
  else delete statusEl.dataset.confirmed;
  renderStatusHint();
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
    connectionEl.textContent = 'Not connected: the status was not changed.';
    return;
  }
  requests.send({ type: 'agent.status', status: wanted }, (answer) => {
    if (answer.type === 'error') {
      connectionEl.textContent = `Status not changed: ${answer.message}`;
      showStatus(agentState.status);
    } else showStatus(answer.status ?? wanted, answer.load ?? agentState.load);
  });
});

replyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = replyText.value.trim();
  if (!text || !openSessionId) return;
  const clientMsgId = newId();
  const frame = { type: 'message.send', id: `m-${clientMsgId}`, sessionId: openSessionId, text, clientMsgId };
  unacked.set(clientMsgId, frame);
  requests.send(frame, (answer) => {
    unacked.delete(clientMsgId);
    if (answer.type === 'error') bubble({ from: { role: 'system' }, text: `Not sent: ${answer.message}` });
    else if (frame.sessionId === openSessionId)
      bubble({ messageId: answer.messageId, from: { role: 'agent', id: agentId }, text });
  });
  replyText.value = '';
});
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
  if (!openSessionId) return;
  requests.send({ type: 'session.end', sessionId: openSessionId }, (answer) => {
    if (answer.type === 'error') bubble({ from: { role: 'system' }, text: `Could not end: ${answer.message}` });
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
    li.textContent = 'No canned response matches.';
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
    scope.textContent = item.scope === 'personal' ? 'personal' : 'company';
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
      li.textContent = `Canned responses unavailable (${error.message}).`;
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
    boardError.textContent = '';
    renderBoard();
  } catch (error) {
    if (used === token) boardError.textContent = `Could not load the board: ${error.message}`;
  } finally {
    boardLoading = false;
    if (boardAgain) {
      boardAgain = false;
      refreshBoard();
    }
  }
}

const row = (label, value, className) => {
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

function renderBoard() {
  queuesEl.replaceChildren(
    ...board.queues.map((q) => {
      const li = row(q.groupId, `${q.waiting.length} waiting`);
      li.dataset.groupId = q.groupId;
      return li;
    }),
  );
  // Accounts that take no chats (capacity 0, such as an admin) are neither colleagues nor targets.
  const colleagues = board.agents.filter((a) => a.agentId !== agentId && a.capacity > 0);
  colleaguesEl.replaceChildren(
    ...colleagues.map((a) => {
      const li = row(a.name || a.agentId, `${a.status} · ${a.load}/${a.capacity}`);
      li.dataset.agentId = a.agentId;
      li.dataset.status = a.status;
      return li;
    }),
  );

  const chosen = transferTarget.value;
  const people = document.createElement('optgroup');
  people.label = 'Colleagues';
  for (const a of colleagues) {
    const option = new Option(`${a.name || a.agentId} (${a.status}, ${a.load}/${a.capacity})`, `agent:${a.agentId}`);
    people.append(option);
  }
  const groups = document.createElement('optgroup');
  groups.label = 'Groups';
  for (const q of board.queues) groups.append(new Option(`Group ${q.groupId}`, `group:${q.groupId}`));
  transferTarget.replaceChildren(...[people, groups].filter((g) => g.children.length > 0));
  if ([...transferTarget.options].some((o) => o.value === chosen)) transferTarget.value = chosen;
}

transferButton.addEventListener('click', () => {
  transferError.textContent = '';
  const sessionId = openSessionId;
  const target = transferTarget.value;
  if (!sessionId) return;
  if (!target) {
    transferError.textContent = 'Choose a colleague or a group to transfer to.';
    return;
  }
  const [kind, ...rest] = target.split(':');
  const id = rest.join(':');
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    transferError.textContent = 'Transfer failed: not connected.';
    return;
  }
  const frame = { type: 'session.transfer', sessionId, ...(kind === 'agent' ? { toAgentId: id } : { toGroupId: id }) };
  transferButton.disabled = true;
  requests.send(frame, (answer) => {
    transferButton.disabled = false;
    if (answer.type === 'error') {
      transferError.textContent = `Transfer failed: ${answer.message}`;
      return;
    }
    if (openSessionId === sessionId)
      bubble({ from: { role: 'system' }, text: `Transferred to ${kind === 'agent' ? id : `group ${id}`}.` });
    refreshBoard();
  });
});

// ---- earlier messages, sound, and the ages in the list

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
