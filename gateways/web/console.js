// The agent console: plain ES module, no build step. Protocol: PROTOCOL.md
// (POST /api/agents/login, then the socket /ws/agent; history over HTTP).

const $ = (id) => document.getElementById(id);
const loginForm = $('login');
const loginError = $('login-error');
const appEl = $('app');
const statusEl = $('status');
const loadEl = $('load');
const connectionEl = $('connection');
const sessionsEl = $('sessions');
const noSessionsEl = $('no-sessions');
const conversationEl = $('conversation');
const titleEl = $('conversation-title');
const messagesEl = $('messages');
const replyForm = $('reply');
const replyText = $('reply-text');
const endButton = $('end');

const ROLE_LABEL = { visitor: 'Visitor', bot: 'Assistant', agent: 'Agent', system: 'System' };

let token;
let agentId;
let socket;
let frameSeq = 0;
let attempt = 0;
let chosenStatus;
let openSessionId;
let sessions = [];
const waiting = new Map();
const unacked = new Map();
const shownMessageIds = new Set();

const newId = () =>
  crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

const send = (frame, onAnswer) => {
  const withId = { ...frame, id: frame.id ?? `f${++frameSeq}` };
  if (onAnswer) waiting.set(withId.id, onAnswer);
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(withId));
  return withId;
};

const shortId = (id) => (id.length > 14 ? `${id.slice(0, 12)}…` : id);

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
    button.append(name);
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

const bubble = (message) => {
  if (message.messageId) {
    if (shownMessageIds.has(message.messageId)) return;
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
  messagesEl.append(li);
  messagesEl.lastElementChild?.scrollIntoView({ block: 'end' });
};

async function openSession(sessionId) {
  openSessionId = sessionId;
  shownMessageIds.clear();
  messagesEl.replaceChildren();
  conversationEl.hidden = false;
  titleEl.textContent = `Session ${shortId(sessionId)}`;
  renderSessions();
  send({ type: 'session.read', sessionId });
  const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/messages?limit=100`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (openSessionId !== sessionId) return;
  if (!response.ok) {
    titleEl.textContent = `Session ${shortId(sessionId)} (history unavailable: ${response.status})`;
    return;
  }
  const { messages } = await response.json();
  const live = [...messagesEl.children];
  messagesEl.replaceChildren();
  for (const message of [...messages].reverse()) bubble(message); // newest first on the wire
  for (const li of live)
    if (!li.dataset.messageId || !messagesEl.querySelector(`[data-message-id="${CSS.escape(li.dataset.messageId)}"]`))
      messagesEl.append(li);
  messagesEl.lastElementChild?.scrollIntoView({ block: 'end' });
  replyText.focus();
}

const onFrame = (frame) => {
  switch (frame.type) {
    case 'ack':
    case 'error': {
      const handler = waiting.get(frame.id);
      if (handler) {
        waiting.delete(frame.id);
        handler(frame);
      } else if (frame.type === 'error') connectionEl.textContent = `Error: ${frame.message}`;
      return;
    }
    case 'agent.state':
      loadEl.textContent = `${frame.load}/${frame.capacity} sessions`;
      statusEl.value = frame.status;
      statusEl.dataset.confirmed = frame.status;
      return;
    case 'session.list':
      sessions = frame.sessions;
      renderSessions();
      return;
    case 'message':
      if (frame.sessionId === openSessionId) {
        bubble(frame);
        if (frame.from?.role !== 'agent') send({ type: 'session.read', sessionId: frame.sessionId });
      }
      return;
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
  const delay = Math.min(10_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
  attempt += 1;
  connectionEl.textContent = 'Reconnecting…';
  setTimeout(connect, delay);
};

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${location.host}/ws/agent?token=${encodeURIComponent(token)}`);
  socket.addEventListener('open', () => {
    attempt = 0;
    connectionEl.textContent = 'Online';
    if (chosenStatus) send({ type: 'agent.status', status: chosenStatus });
    for (const frame of unacked.values()) socket.send(JSON.stringify(frame));
  });
  socket.addEventListener('message', (event) => {
    try {
      onFrame(JSON.parse(event.data));
    } catch (error) {
      console.error('bad frame', error);
    }
  });
  socket.addEventListener('close', (event) => {
    if (event.code === 4401) {
      appEl.hidden = true;
      loginForm.hidden = false;
      loginError.textContent = 'Your sign-in has expired; please sign in again.';
      return;
    }
    connectionEl.textContent = 'Offline';
    reconnectLater();
  });
}

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  loginError.textContent = '';
  const response = await fetch('/api/agents/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      companyId: $('company').value,
      username: $('username').value,
      password: $('password').value,
    }),
  });
  if (!response.ok) {
    loginError.textContent =
      response.status === 401 ? 'Wrong company, username or password.' : `Sign-in failed (${response.status}).`;
    return;
  }
  ({ token, agentId } = await response.json());
  loginForm.hidden = true;
  appEl.hidden = false;
  document.title = `Agent console: ${agentId}`;
  connect();
});

statusEl.addEventListener('change', () => {
  chosenStatus = statusEl.value;
  send({ type: 'agent.status', status: chosenStatus }, (answer) => {
    if (answer.type === 'error') connectionEl.textContent = `Status not changed: ${answer.message}`;
    else statusEl.dataset.confirmed = answer.status ?? chosenStatus;
  });
});

replyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = replyText.value.trim();
  if (!text || !openSessionId) return;
  const clientMsgId = newId();
  const frame = { type: 'message.send', id: `m-${clientMsgId}`, sessionId: openSessionId, text, clientMsgId };
  unacked.set(clientMsgId, frame);
  send(frame, (answer) => {
    unacked.delete(clientMsgId);
    if (answer.type === 'error') bubble({ from: { role: 'system' }, text: `Not sent: ${answer.message}` });
    else if (frame.sessionId === openSessionId)
      bubble({ messageId: answer.messageId, from: { role: 'agent', id: agentId }, text });
  });
  replyText.value = '';
});
replyText.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    replyForm.requestSubmit();
  }
});

endButton.addEventListener('click', () => {
  if (!openSessionId) return;
  send({ type: 'session.end', sessionId: openSessionId }, (answer) => {
    if (answer.type === 'error') bubble({ from: { role: 'system' }, text: `Could not end: ${answer.message}` });
  });
});
