// The admin pages: plain ES module, no build step. Everything goes through the admin HTTP API
// (PROTOCOL.md, "HTTP: administration", docs/api/openapi.yaml) with the admin's bearer token.

import { staffLogin, tokenClaims } from './frames.js';

/** An element of the page by id (its kind is known from admin.html). @returns {any} */
const $ = (id) => document.getElementById(id);
/**
 * The elements under `root` that match `selector`, of the kind the caller knows.
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {any[]}
 */
const all = (selector, root = document) => [...root.querySelectorAll(selector)];
const TOKEN_KEY = 'cschat.admin.token';
const SECTIONS = ['groups', 'agents', 'hours', 'canned', 'suggested', 'faq', 'channels', 'timeout'];
const DAYS = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
];
/** The bounds of InactivityTimeoutSeconds in infra's codecs. */
const TIMEOUT_MIN_SECONDS = 10;
const TIMEOUT_MAX_SECONDS = 604_800;
/** The presence settings of the settings form, with the bounds of their codecs in infra. */
const PRESENCE = [
  { key: 'presenceGraceSeconds', input: 'presence-grace-seconds', label: 'The grace before offline', max: 3600 },
  { key: 'offlineRequeueSeconds', input: 'offline-requeue-seconds', label: 'The requeue after offline', max: 86_400 },
];
/** What each platform's adapter reads from `credentials` (gateways/src/channels); all write-only. */
const CREDENTIALS = {
  telegram: [
    { key: 'botToken', label: 'Bot token', secret: true },
    { key: 'secretToken', label: 'Webhook secret token', secret: true },
  ],
  whatsapp: [
    { key: 'accessToken', label: 'Access token', secret: true },
    { key: 'appSecret', label: 'App secret', secret: true },
    { key: 'verifyToken', label: 'Verify token', secret: true },
    { key: 'phoneNumberId', label: 'Phone number id' },
  ],
  messenger: [
    { key: 'pageAccessToken', label: 'Page access token', secret: true },
    { key: 'appSecret', label: 'App secret', secret: true },
    { key: 'verifyToken', label: 'Verify token', secret: true },
    { key: 'pageId', label: 'Page id' },
  ],
  instagram: [
    { key: 'accessToken', label: 'Access token', secret: true },
    { key: 'appSecret', label: 'App secret', secret: true },
    { key: 'verifyToken', label: 'Verify token', secret: true },
    { key: 'igAccountId', label: 'Instagram account id' },
  ],
  wechat: [
    { key: 'appId', label: 'App id' },
    { key: 'appSecret', label: 'App secret', secret: true },
    { key: 'token', label: 'Token', secret: true },
    { key: 'encodingAesKey', label: 'EncodingAESKey (optional)', secret: true, optional: true },
  ],
};
const PLATFORM_LABEL = {
  telegram: 'Telegram',
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  instagram: 'Instagram',
  wechat: 'WeChat',
};
const MASK = '••••••••';

const loginForm = $('login');
const loginError = $('login-error');
const appEl = $('app');

let token;
let claims;
let groups = [];
let agents = [];
let schedules = [];
let canned = [];
let faq = [];
let channels = [];

// ---- the API ----

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
/** A refusal of the page itself, before anything is sent. */
class FormError extends Error {}

const errorText = (error) => {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  if (error instanceof FormError) return error.message;
  return `the request failed: ${error.message}`;
};

const api = async (method, url, body) => {
  const init = { method, headers: { authorization: `Bearer ${token}` } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    if (response.status === 401) signOut('Your sign-in has expired; please sign in again.');
    throw new ApiError(
      response.status,
      json?.error?.code ?? 'http_error',
      json?.error?.message ?? `HTTP ${response.status}`,
    );
  }
  return json;
};

// ---- small DOM helpers ----

const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('aria-') || key === 'role') node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((child) => child !== undefined && child !== null));
  return node;
};

const button = (text, label, onClick, className = 'secondary') =>
  el('button', { type: 'button', class: className, 'aria-label': label, onclick: onClick }, text);

const rowActions = (label, onEdit, onDelete) =>
  el(
    'td',
    {},
    el(
      'div',
      { class: 'row-actions' },
      button('Edit', `Edit ${label}`, onEdit),
      button('Delete', `Delete ${label}`, onDelete, 'danger'),
    ),
  );

const emptyRow = (columns, text) => el('tr', {}, el('td', { colSpan: columns, class: 'empty' }, text));

const lines = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** Runs a form's submit: clears its error, shows what goes wrong next to it (role="alert"). */
const onSubmit = (form, errorEl, work) =>
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorEl.textContent = '';
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      await work();
    } catch (error) {
      errorEl.textContent = `Not saved: ${errorText(error)}`;
    } finally {
      submit.disabled = false;
    }
  });

const removeItem = async (what, url, errorEl, reload) => {
  if (!confirm(`Delete ${what}?`)) return;
  errorEl.textContent = '';
  try {
    await api('DELETE', url);
    await reload();
  } catch (error) {
    errorEl.textContent = `Not deleted: ${errorText(error)}`;
  }
};

/** A form that creates an item, or saves the one being edited. */
const createOrEdit = (prefix, texts, onReset) => {
  const form = $(`${prefix}-form`);
  const title = $(`${prefix}-form-title`);
  const submit = $(`${prefix}-submit`);
  const cancel = $(`${prefix}-cancel`);
  const error = $(`${prefix}-error`);
  const mode = {
    id: undefined,
    edit(id, heading) {
      mode.id = id;
      title.textContent = heading;
      submit.textContent = texts.save;
      cancel.hidden = false;
      error.textContent = '';
      form.scrollIntoView({ block: 'nearest' });
    },
    reset() {
      mode.id = undefined;
      form.reset();
      title.textContent = texts.create;
      submit.textContent = texts.submit;
      cancel.hidden = true;
      onReset?.();
    },
  };
  cancel.addEventListener('click', () => {
    mode.reset();
    error.textContent = '';
    form.querySelector('input, select, textarea')?.focus();
  });
  return mode;
};

const groupName = (id) => groups.find((g) => g.id === id)?.name ?? id;

// ---- signing in and out ----

const showLogin = (message = '') => {
  appEl.hidden = true;
  loginForm.hidden = false;
  loginError.textContent = message;
};

function signOut(message) {
  token = undefined;
  claims = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin(message);
}

const refuseNonAdmin = (username, role) => {
  loginError.replaceChildren(
    `Only company admins can use this page: “${username}” is signed in with the role “${role}”. `,
    'Sign in with an admin account, or use the ',
    el('a', { href: '/console.html' }, 'agent console'),
    '.',
  );
};

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  loginError.textContent = '';
  const username = $('username').value;
  const answer = await staffLogin($('company').value, username, $('password').value);
  if ('error' in answer) {
    loginError.textContent = answer.error;
    return;
  }
  const read = tokenClaims(answer.token);
  if (read?.role !== 'admin') {
    refuseNonAdmin(username, read?.role ?? 'unknown');
    return;
  }
  $('password').value = '';
  token = answer.token;
  claims = read;
  sessionStorage.setItem(TOKEN_KEY, token);
  await start();
});

$('sign-out').addEventListener('click', () => signOut('Signed out.'));

async function start() {
  loginForm.hidden = true;
  appEl.hidden = false;
  $('who').textContent = `${claims.sub} · company ${claims.company}`;
  document.title = `Administration: ${claims.company}`;
  const wanted = location.hash.slice(1);
  selectSection(SECTIONS.includes(wanted) ? wanted : 'groups', false);
  await loadAll();
}

// ---- the sections (ARIA tabs, arrow keys move between them) ----

const tabs = all('[role="tab"]');

function selectSection(name, focus) {
  for (const tab of tabs) {
    const selected = tab.dataset.section === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !selected;
    if (selected) tab.scrollIntoView({ block: 'nearest', inline: 'nearest' }); // the strip scrolls on a phone
    if (selected && focus) tab.focus();
  }
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
}

for (const tab of tabs) tab.addEventListener('click', () => selectSection(tab.dataset.section, true));
window.addEventListener('hashchange', () => {
  const wanted = location.hash.slice(1);
  if (SECTIONS.includes(wanted)) selectSection(wanted, false);
});
$('tabs').addEventListener('keydown', (event) => {
  const index = tabs.indexOf(document.activeElement);
  if (index < 0) return;
  const next = {
    ArrowDown: index + 1,
    ArrowRight: index + 1,
    ArrowUp: index - 1,
    ArrowLeft: index - 1,
    Home: 0,
    End: tabs.length - 1,
  }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  selectSection(tabs[(next + tabs.length) % tabs.length].dataset.section, true);
});

// ---- loading ----

const loaders = {};
const load = async (name, errorEl) => {
  try {
    await loaders[name]();
    errorEl.textContent = '';
  } catch (error) {
    errorEl.textContent = `Could not load: ${errorText(error)}`;
  }
};

async function loadAll() {
  await load('groups', $('groups-error'));
  await Promise.all([
    load('agents', $('agents-error')),
    load('hours', $('hours-error')),
    load('canned', $('canned-list-error')),
    load('suggested', $('suggested-error')),
    load('faq', $('faq-list-error')),
    load('channels', $('channels-error')),
    load('timeout', $('timeout-error')),
  ]);
  document.body.dataset.loaded = 'true';
}

// ---- groups ----

const groupForm = createOrEdit('group', { create: 'New group', submit: 'Create group', save: 'Save group' });

loaders.groups = async () => {
  ({ groups } = await api('GET', '/api/admin/groups'));
  renderGroups();
  renderGroupChoices();
};

function renderGroups() {
  const rows = groups.map((group) =>
    el(
      'tr',
      { dataset: { id: group.id } },
      el('td', {}, group.name),
      el('td', {}, el('code', {}, group.id)),
      rowActions(
        `group ${group.name}`,
        () => {
          groupForm.edit(group.id, `Edit group “${group.name}”`);
          $('group-name').value = group.name;
          $('group-name').focus();
        },
        () =>
          removeItem(
            `the group “${group.name}” (its working hours and memberships go with it)`,
            `/api/admin/groups/${encodeURIComponent(group.id)}`,
            $('groups-error'),
            async () => {
              await loaders.groups();
              await Promise.all([loaders.agents(), loaders.hours()]);
            },
          ),
      ),
    ),
  );
  $('groups').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(3, 'No groups yet.')]));
}

/** The group pickers of the other sections, keeping what was chosen. */
function renderGroupChoices() {
  const chosen = new Set(all('#agent-groups input:checked').map((input) => input.value));
  $('agent-groups').replaceChildren(
    el('legend', {}, 'Groups'),
    ...groups.map((group) =>
      el(
        'label',
        { class: 'check' },
        el('input', { type: 'checkbox', name: 'groupIds', value: group.id, checked: chosen.has(group.id) }),
        ` ${group.name}`,
      ),
    ),
  );
  if (groups.length === 0) $('agent-groups').append(el('span', { class: 'hint' }, 'No groups yet.'));
  for (const select of [$('hours-group'), $('channel-group')]) {
    const value = select.value;
    select.replaceChildren(...groups.map((group) => new Option(group.name, group.id)));
    if (groups.some((group) => group.id === value)) select.value = value;
  }
  renderHours();
}

onSubmit($('group-form'), $('group-error'), async () => {
  const body = { name: $('group-name').value };
  if (groupForm.id === undefined) await api('POST', '/api/admin/groups', body);
  else await api('PUT', `/api/admin/groups/${encodeURIComponent(groupForm.id)}`, body);
  groupForm.reset();
  await loaders.groups();
  renderAgents();
  renderChannels();
});

// ---- agents ----

const agentForm = createOrEdit('agent', { create: 'New agent', submit: 'Create agent', save: 'Save agent' }, () => {
  $('agent-password-label').textContent = 'Password';
});

loaders.agents = async () => {
  ({ agents } = await api('GET', '/api/admin/agents'));
  renderAgents();
};

function renderAgents() {
  const rows = agents.map((agent) =>
    el(
      'tr',
      { dataset: { id: agent.id, username: agent.username } },
      el('td', {}, agent.username),
      el('td', {}, agent.name ?? ''),
      el('td', {}, agent.role),
      el('td', {}, agent.groupIds.map(groupName).join(', ')),
      el('td', {}, String(agent.capacity)),
      rowActions(
        `agent ${agent.username}`,
        () => {
          agentForm.edit(agent.id, `Edit agent “${agent.username}”`);
          $('agent-username').value = agent.username;
          $('agent-name').value = agent.name ?? '';
          $('agent-password').value = '';
          $('agent-password-label').textContent = 'New password (empty: keep the current one)';
          $('agent-role').value = agent.role;
          $('agent-capacity').value = String(agent.capacity);
          for (const input of all('#agent-groups input')) input.checked = agent.groupIds.includes(input.value);
          $('agent-capacity').focus();
        },
        () =>
          removeItem(
            `the agent “${agent.username}”`,
            `/api/admin/agents/${encodeURIComponent(agent.id)}`,
            $('agents-error'),
            loaders.agents,
          ),
      ),
    ),
  );
  $('agents').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(6, 'No agents.')]));
}

onSubmit($('agent-form'), $('agent-error'), async () => {
  const capacity = $('agent-capacity').value;
  const name = $('agent-name').value.trim();
  const password = $('agent-password').value;
  const body = {
    username: $('agent-username').value,
    role: $('agent-role').value,
    // An empty or unreadable number goes as null, for the API to refuse by name.
    capacity: capacity === '' ? null : Number(capacity),
    groupIds: all('#agent-groups input:checked').map((input) => input.value),
    ...(name === '' ? {} : { name }),
  };
  if (agentForm.id === undefined) await api('POST', '/api/admin/agents', { ...body, password });
  else
    await api('PUT', `/api/admin/agents/${encodeURIComponent(agentForm.id)}`, {
      ...body,
      ...(password === '' ? {} : { password }),
    });
  agentForm.reset();
  await loaders.agents();
});

// ---- working hours: per group, a regular (weekly) schedule and an irregular one (holiday duty) ----

const defaultTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
if (typeof Intl.supportedValuesOf === 'function')
  $('time-zones').replaceChildren(...Intl.supportedValuesOf('timeZone').map((zone) => el('option', { value: zone })));

loaders.hours = async () => {
  ({ workingHours: schedules } = await api('GET', '/api/admin/working-hours'));
  renderHours();
};

const scheduleOf = (groupId, type) => schedules.find((s) => s.groupId === groupId && s.type === type);

/** `<input type="time">` cannot show 24:00; 00:00 as a closing time means the same (to <= from: next midnight). */
const closingForInput = (to) => (to === '24:00' ? '00:00' : to);

const timeField = (label, value, className) =>
  el(
    'label',
    { class: className },
    el('span', { class: 'visually-hidden' }, label),
    el('input', { type: 'time', value: value ?? '', required: true }),
  );

function rangeEl(dayLabel, from, to) {
  const range = el(
    'span',
    { class: 'range' },
    timeField(`${dayLabel} opens at`, from, 'from'),
    '–',
    timeField(`${dayLabel} closes at`, closingForInput(to), 'to'),
  );
  range.append(
    button('×', `Remove these ${dayLabel} hours`, () => {
      const ranges = range.parentElement;
      range.remove();
      markClosed(ranges, dayLabel);
      ranges.parentElement.querySelector('.add')?.focus();
    }),
  );
  range.querySelector('button').classList.add('small');
  return range;
}

function markClosed(ranges, dayLabel) {
  const closed = ranges.querySelector('.closed');
  const hasRanges = ranges.querySelector('.range') !== null;
  // Without a weekly schedule the group is open at all times; once saved, a day without hours is closed.
  const text = scheduleOf($('hours-group').value, 'regular') === undefined ? 'No hours set' : 'Closed';
  if (!hasRanges && !closed) ranges.prepend(el('span', { class: 'closed' }, text));
  if (hasRanges && closed) closed.remove();
  ranges.setAttribute('aria-label', `${dayLabel} hours`);
}

function renderWeekly(regular) {
  $('weekly-grid').replaceChildren(
    ...DAYS.map(([day, dayLabel]) => {
      const ranges = el('div', { class: 'day-ranges', role: 'group', dataset: { day } });
      for (const range of regular?.weekly.filter((r) => r.day === day) ?? [])
        ranges.append(rangeEl(dayLabel, range.from, range.to));
      markClosed(ranges, dayLabel);
      const add = button('Add hours', `Add hours on ${dayLabel}`, () => {
        const range = rangeEl(dayLabel, '09:00', '18:00');
        ranges.insertBefore(range, add);
        markClosed(ranges, dayLabel);
        range.querySelector('input').focus();
      });
      add.classList.add('small', 'add');
      ranges.append(add);
      return el('div', { class: 'day', dataset: { day } }, el('span', { class: 'day-name' }, dayLabel), ranges);
    }),
  );
}

let dutySeq = 0;

/** One date of holiday duty: open for a range, or closed. Its labels are numbered by `renumberDuty`. */
function dutyEntry(entry = {}) {
  const closed = entry.closed === true;
  const kind = el(
    'select',
    { class: 'kind', id: `duty-kind-${++dutySeq}` },
    new Option('Open for these hours', 'open', !closed, !closed),
    new Option('Closed all day', 'closed', closed, closed),
  );
  const hours = el(
    'span',
    { class: 'range', hidden: closed },
    timeField('', entry.from ?? '10:00', 'from'),
    '–',
    timeField('', closingForInput(entry.to ?? '16:00'), 'to'),
  );
  kind.addEventListener('change', () => {
    hours.hidden = kind.value === 'closed';
  });
  const item = el(
    'li',
    { class: 'duty' },
    el(
      'label',
      {},
      el('span', { class: 'date-label' }),
      el('input', { type: 'date', class: 'date', value: entry.date ?? '' }),
    ),
    el('span', { class: 'field' }, el('label', { htmlFor: kind.id, class: 'kind-label' }), kind),
    hours,
  );
  const remove = button('Remove', '', () => {
    item.remove();
    renumberDuty();
    $('duty-add').focus();
  });
  remove.classList.add('small', 'remove');
  item.append(remove);
  return item;
}

function renumberDuty() {
  for (const [i, item] of [...$('duty-dates').children].entries()) {
    const name = `Holiday duty ${i + 1}`;
    item.querySelector('.date-label').textContent = `${name} date`;
    item.querySelector('.kind-label').textContent = name;
    item.querySelector('.from span').textContent = `${name} opens at`;
    item.querySelector('.to span').textContent = `${name} closes at`;
    item.querySelector('.remove').setAttribute('aria-label', `Remove holiday duty ${i + 1}`);
  }
  $('no-duty').hidden = $('duty-dates').children.length > 0;
}

function renderHours() {
  const groupId = $('hours-group').value;
  const regular = scheduleOf(groupId, 'regular');
  const irregular = scheduleOf(groupId, 'irregular');
  const disabled = groupId === '';
  $('weekly-tz').value = regular?.timeZone ?? irregular?.timeZone ?? defaultTimeZone;
  $('duty-tz').value = irregular?.timeZone ?? regular?.timeZone ?? defaultTimeZone;
  renderWeekly(regular);
  $('duty-dates').replaceChildren();
  for (const entry of irregular?.dates ?? []) $('duty-dates').append(dutyEntry(entry));
  renumberDuty();
  for (const form of [$('weekly-form'), $('duty-form')])
    for (const control of all('button, input, select', form)) control.disabled = disabled;
  $('weekly-delete').disabled = disabled || regular === undefined;
  $('hours-status').textContent = disabled
    ? 'Create a group first.'
    : regular === undefined && irregular === undefined
      ? 'This group has no schedule: it is open at all times.'
      : regular === undefined
        ? 'No weekly hours: outside its holiday-duty dates the group is open at all times.'
        : '';
}

$('hours-group').addEventListener('change', () => {
  $('weekly-error').textContent = '';
  $('duty-error').textContent = '';
  renderHours();
});

/** Both times of a range, or a FormError naming where one is missing. */
const timesOf = (range, where) => {
  const from = range.querySelector('.from input').value;
  const to = range.querySelector('.to input').value;
  if (from === '' || to === '') throw new FormError(`Enter both the opening and the closing time for ${where}.`);
  return { from, to };
};

/** Creates the group's schedule of this type, or replaces the one it has. */
const saveSchedule = async (groupId, type, body) => {
  const existing = scheduleOf(groupId, type);
  const full = { groupId, type, ...body };
  if (existing === undefined) await api('POST', '/api/admin/working-hours', full);
  else await api('PUT', `/api/admin/working-hours/${encodeURIComponent(existing.id)}`, full);
};

onSubmit($('weekly-form'), $('weekly-error'), async () => {
  const groupId = $('hours-group').value;
  const weekly = [];
  for (const [day, dayLabel] of DAYS)
    for (const range of all(`#weekly-grid .day-ranges[data-day="${day}"] .range`))
      weekly.push({ day, ...timesOf(range, dayLabel) });
  await saveSchedule(groupId, 'regular', { timeZone: $('weekly-tz').value.trim(), weekly });
  await loaders.hours();
  $('hours-status').textContent = 'Weekly hours saved.';
});

$('weekly-delete').addEventListener('click', async () => {
  const regular = scheduleOf($('hours-group').value, 'regular');
  if (regular === undefined) return;
  await removeItem(
    `the weekly hours of “${groupName(regular.groupId)}”`,
    `/api/admin/working-hours/${encodeURIComponent(regular.id)}`,
    $('weekly-error'),
    loaders.hours,
  );
});

$('duty-add').addEventListener('click', () => {
  const item = dutyEntry();
  $('duty-dates').append(item);
  renumberDuty();
  item.querySelector('input').focus();
});

onSubmit($('duty-form'), $('duty-error'), async () => {
  const groupId = $('hours-group').value;
  const dates = all('#duty-dates .duty').map((item, i) => {
    const date = item.querySelector('.date').value;
    if (date === '') throw new FormError(`Enter the date of holiday duty ${i + 1}.`);
    if (item.querySelector('.kind').value === 'closed') return { date, closed: true };
    return { date, ...timesOf(item.querySelector('.range'), `holiday duty ${i + 1}`) };
  });
  const existing = scheduleOf(groupId, 'irregular');
  // No dates left: the schedule goes (an empty one would mean the same).
  if (dates.length === 0) {
    if (existing !== undefined) await api('DELETE', `/api/admin/working-hours/${encodeURIComponent(existing.id)}`);
  } else await saveSchedule(groupId, 'irregular', { timeZone: $('duty-tz').value.trim(), dates });
  await loaders.hours();
  $('hours-status').textContent = 'Holiday duty saved.';
});

// ---- canned responses (the company-wide ones) ----

const cannedForm = createOrEdit('canned', {
  create: 'New canned response',
  submit: 'Add response',
  save: 'Save response',
});

loaders.canned = async () => {
  const { cannedResponses } = await api('GET', '/api/canned-responses');
  canned = cannedResponses.filter((response) => response.scope === 'company');
  renderCanned();
};

function renderCanned() {
  const rows = canned.map((response) =>
    el(
      'tr',
      { dataset: { id: response.id, shortcut: response.shortcut } },
      el('td', {}, el('code', {}, `/${response.shortcut}`)),
      el('td', { class: 'text' }, response.text),
      rowActions(
        `canned response ${response.shortcut}`,
        () => {
          cannedForm.edit(response.id, `Edit “/${response.shortcut}”`);
          $('canned-shortcut').value = response.shortcut;
          $('canned-text').value = response.text;
          $('canned-text').focus();
        },
        () =>
          removeItem(
            `the canned response “/${response.shortcut}”`,
            `/api/canned-responses/${encodeURIComponent(response.id)}`,
            $('canned-list-error'),
            loaders.canned,
          ),
      ),
    ),
  );
  $('canned').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(3, 'No company-wide responses yet.')]));
}

onSubmit($('canned-form'), $('canned-error'), async () => {
  const body = { shortcut: $('canned-shortcut').value, text: $('canned-text').value };
  if (cannedForm.id === undefined) await api('POST', '/api/canned-responses', { ...body, scope: 'company' });
  else await api('PUT', `/api/canned-responses/${encodeURIComponent(cannedForm.id)}`, body);
  cannedForm.reset();
  await loaders.canned();
});

// ---- suggested questions ----

loaders.suggested = async () => {
  const { questions } = await api('GET', '/api/admin/suggested-questions');
  $('suggested').value = questions.join('\n');
};

onSubmit($('suggested-form'), $('suggested-error'), async () => {
  $('suggested-status').textContent = '';
  const { questions } = await api('PUT', '/api/admin/suggested-questions', { questions: lines($('suggested').value) });
  $('suggested').value = questions.join('\n');
  $('suggested-status').textContent =
    `Saved ${questions.length} suggested question${questions.length === 1 ? '' : 's'}.`;
});

// ---- FAQ ----

const faqForm = createOrEdit('faq', { create: 'New FAQ entry', submit: 'Add FAQ entry', save: 'Save FAQ entry' });

loaders.faq = async () => {
  ({ faq } = await api('GET', '/api/admin/faq'));
  renderFaq();
};

function renderFaq() {
  const rows = faq.map((entry) =>
    el(
      'tr',
      { dataset: { id: entry.id } },
      el(
        'td',
        { class: 'text' },
        entry.question,
        entry.alternatives.length > 0
          ? el('div', { class: 'hint' }, `also: ${entry.alternatives.join(' · ')}`)
          : undefined,
      ),
      el('td', { class: 'text' }, entry.answer),
      el('td', {}, entry.tags.join(', ')),
      el('td', {}, entry.enabled ? 'Yes' : 'No'),
      rowActions(
        `FAQ entry ${entry.question}`,
        () => {
          faqForm.edit(entry.id, 'Edit FAQ entry');
          $('faq-question').value = entry.question;
          $('faq-alternatives').value = entry.alternatives.join('\n');
          $('faq-answer').value = entry.answer;
          $('faq-tags').value = entry.tags.join(', ');
          $('faq-enabled').checked = entry.enabled;
          $('faq-question').focus();
        },
        () =>
          removeItem(
            `the FAQ entry “${entry.question}”`,
            `/api/admin/faq/${encodeURIComponent(entry.id)}`,
            $('faq-list-error'),
            loaders.faq,
          ),
      ),
    ),
  );
  $('faq').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(5, 'No FAQ entries yet.')]));
}

onSubmit($('faq-form'), $('faq-error'), async () => {
  const body = {
    question: $('faq-question').value,
    answer: $('faq-answer').value,
    alternatives: lines($('faq-alternatives').value),
    tags: $('faq-tags')
      .value.split(',')
      .map((tag) => tag.trim())
      .filter((tag) => tag !== ''),
    enabled: $('faq-enabled').checked,
  };
  if (faqForm.id === undefined) await api('POST', '/api/admin/faq', body);
  else await api('PUT', `/api/admin/faq/${encodeURIComponent(faqForm.id)}`, body);
  faqForm.reset();
  await loaders.faq();
});

// ---- channel accounts (credentials are write-only: never read back, never shown) ----

const channelForm = createOrEdit(
  'channel',
  { create: 'New channel account', submit: 'Add channel account', save: 'Save channel account' },
  () => {
    $('channel-platform').disabled = false;
    $('channel-enabled-label').hidden = true;
    renderCredentialFields();
  },
);

function renderCredentialFields() {
  const platform = $('channel-platform').value;
  const editing = channelForm.id !== undefined;
  $('credentials-hint').textContent = editing
    ? 'Stored credentials are never shown. Leave these empty to keep them, or fill in every one to replace them.'
    : 'Stored write-only: they are never shown again.';
  $('channel-credentials').replaceChildren(
    ...CREDENTIALS[platform].map((field) =>
      el(
        'label',
        {},
        field.label,
        el('input', {
          type: field.secret ? 'password' : 'text',
          autocomplete: 'new-password',
          spellcheck: false,
          dataset: { key: field.key, ...(field.optional ? { optional: 'true' } : {}) },
          placeholder: editing ? `${MASK} (unchanged)` : '',
        }),
      ),
    ),
  );
}
$('channel-platform').addEventListener('change', renderCredentialFields);

loaders.channels = async () => {
  ({ channelAccounts: channels } = await api('GET', '/api/admin/channel-accounts'));
  renderChannels();
};

function renderChannels() {
  const rows = channels.map((account) =>
    el(
      'tr',
      { dataset: { id: account.id } },
      el('td', {}, account.name),
      el('td', {}, PLATFORM_LABEL[account.platform] ?? account.platform),
      el('td', {}, groupName(account.groupId)),
      el('td', {}, account.enabled ? 'Yes' : 'No'),
      el(
        'td',
        {},
        account.hasCredentials
          ? el('span', { class: 'masked', 'aria-label': 'set (hidden)', role: 'img' }, MASK)
          : 'none',
      ),
      el('td', {}, el('code', {}, `${location.origin}${account.webhookPath}`)),
      rowActions(
        `channel account ${account.name}`,
        () => {
          channelForm.edit(account.id, `Edit channel account “${account.name}”`);
          $('channel-platform').value = account.platform;
          $('channel-platform').disabled = true; // it is in the webhook path
          $('channel-name').value = account.name;
          $('channel-group').value = account.groupId;
          $('channel-enabled-label').hidden = false;
          $('channel-enabled').checked = account.enabled;
          renderCredentialFields();
          $('channel-name').focus();
        },
        () =>
          removeItem(
            `the channel account “${account.name}”`,
            `/api/admin/channel-accounts/${encodeURIComponent(account.id)}`,
            $('channels-error'),
            loaders.channels,
          ),
      ),
    ),
  );
  $('channels').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(7, 'No channel accounts yet.')]));
}

/** The credentials typed in; undefined when none were (an edit that keeps them). */
const credentialsTyped = (creating) => {
  const inputs = all('#channel-credentials input');
  const typed = Object.fromEntries(
    inputs.filter((input) => input.value.trim() !== '').map((input) => [input.dataset.key, input.value.trim()]),
  );
  if (!creating && Object.keys(typed).length === 0) return undefined;
  // The API stores any object; the platform's adapter needs them all, so they are checked here.
  const missing = inputs.filter((input) => !input.dataset.optional && !(input.dataset.key in typed));
  if (missing.length > 0)
    throw new FormError(
      `Fill in ${missing.map((input) => input.parentElement.firstChild.textContent).join(', ')}` +
        (creating ? '.' : ', or leave every credential empty to keep the stored ones.'),
    );
  return typed;
};

onSubmit($('channel-form'), $('channel-error'), async () => {
  $('channel-status').textContent = '';
  const creating = channelForm.id === undefined;
  const name = $('channel-name').value;
  const groupId = $('channel-group').value;
  if (creating) {
    const platform = $('channel-platform').value;
    const credentials = credentialsTyped(true);
    const created = await api('POST', '/api/admin/channel-accounts', { platform, name, groupId, credentials });
    // Only the id and the path are read from the answer: a secret is never put on the page.
    $('channel-status').textContent =
      `Added. Point the ${PLATFORM_LABEL[platform]} webhook at ${location.origin}${created.webhookPath}`;
  } else {
    const credentials = credentialsTyped(false);
    await api('PUT', `/api/admin/channel-accounts/${encodeURIComponent(channelForm.id)}`, {
      name,
      groupId,
      enabled: $('channel-enabled').checked,
      ...(credentials === undefined ? {} : { credentials }),
    });
    $('channel-status').textContent = 'Saved.';
  }
  channelForm.reset();
  await loaders.channels();
});

// ---- the inactivity timeout: minutes here, seconds in the API ----

const minutesOf = (seconds) => Number((seconds / 60).toFixed(2));

loaders.timeout = async () => {
  const settings = await api('GET', '/api/admin/settings');
  $('timeout-minutes').value = String(minutesOf(settings.inactivityTimeoutSeconds));
  for (const { key, input } of PRESENCE) $(input).value = String(settings[key]);
};

onSubmit($('timeout-form'), $('timeout-error'), async () => {
  $('timeout-status').textContent = '';
  const typed = $('timeout-minutes').value.trim();
  const minutes = Number(typed);
  if (typed === '' || !Number.isFinite(minutes)) throw new FormError('Enter the timeout in minutes.');
  const seconds = Math.round(minutes * 60);
  if (seconds < TIMEOUT_MIN_SECONDS || seconds > TIMEOUT_MAX_SECONDS)
    throw new FormError('The timeout must be from 10 seconds (0.17 minutes) to 7 days (10080 minutes).');
  const settings = await api('PUT', '/api/admin/settings', { inactivityTimeoutSeconds: seconds });
  const saved = minutesOf(settings.inactivityTimeoutSeconds);
  $('timeout-minutes').value = String(saved);
  $('timeout-status').textContent =
    `Saved: a session ends after ${saved} minute${saved === 1 ? '' : 's'} without a message.`;
});

// ---- the agents' presence: whole seconds ----

onSubmit($('presence-form'), $('presence-error'), async () => {
  $('presence-status').textContent = '';
  const patch = {};
  for (const { key, input, label, max } of PRESENCE) {
    const typed = $(input).value.trim();
    const seconds = Number(typed);
    if (typed === '' || !Number.isInteger(seconds) || seconds < 0 || seconds > max)
      throw new FormError(`${label} must be a whole number of seconds from 0 to ${max}.`);
    patch[key] = seconds;
  }
  const settings = await api('PUT', '/api/admin/settings', patch);
  for (const { key, input } of PRESENCE) $(input).value = String(settings[key]);
  $('presence-status').textContent =
    `Saved: an agent without a console is offline after ${settings.presenceGraceSeconds} s, ` +
    `and its chats go back to their queues ${settings.offlineRequeueSeconds} s later.`;
});

// ---- a signed-in tab keeps its token across a reload ----

renderCredentialFields();
{
  const kept = sessionStorage.getItem(TOKEN_KEY);
  const read = kept === null ? undefined : tokenClaims(kept);
  if (read?.role === 'admin' && typeof read.exp === 'number' && read.exp * 1000 > Date.now()) {
    token = kept;
    claims = read;
    void start();
  } else if (kept !== null) sessionStorage.removeItem(TOKEN_KEY);
}
