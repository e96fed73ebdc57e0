// The admin pages: plain ES module, no build step. Everything goes through the admin HTTP API
// (PROTOCOL.md, "HTTP: administration", docs/api/openapi.yaml) with the admin's bearer token.
// Every string is looked up in the `admin` section of ./locales/<lang>.js (./i18n.js); what code
// wrote is redrawn when the language changes.

import { staffLogin, tokenClaims } from './frames.js';
import { bindLanguageSwitch, language, onLanguageChange, t } from './i18n.js';
import { mount as mountBot } from './admin-bot.js';
import { mount as mountReports } from './admin-reports.js';
import { mount as mountWebhooks } from './admin-webhooks.js';
import { mount as mountData } from './admin-data.js';

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
const SECTIONS = ['groups', 'agents', 'hours', 'canned', 'suggested', 'faq', 'channels', 'timeout', 'language'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** A day's name in the current language. @param {string} day */
const dayName = (day) => t(`admin.hours.days.${day}`);
/** The bounds of InactivityTimeoutSeconds in infra's codecs. */
const TIMEOUT_MIN_SECONDS = 10;
const TIMEOUT_MAX_SECONDS = 604_800;
/** The presence settings of the settings form, with the bounds of their codecs in infra. */
const PRESENCE = [
  { key: 'presenceGraceSeconds', input: 'presence-grace-seconds', label: 'admin.presence.graceName', max: 3600 },
  { key: 'offlineRequeueSeconds', input: 'offline-requeue-seconds', label: 'admin.presence.requeueName', max: 86_400 },
];
/** What each platform's adapter reads from `credentials` (gateways/src/channels); all write-only. */
const CREDENTIALS = {
  telegram: [
    { key: 'botToken', secret: true },
    { key: 'secretToken', secret: true },
  ],
  whatsapp: [
    { key: 'accessToken', secret: true },
    { key: 'appSecret', secret: true },
    { key: 'verifyToken', secret: true },
    { key: 'phoneNumberId' },
  ],
  messenger: [
    { key: 'pageAccessToken', secret: true },
    { key: 'appSecret', secret: true },
    { key: 'verifyToken', secret: true },
    { key: 'pageId' },
  ],
  instagram: [
    { key: 'accessToken', secret: true },
    { key: 'appSecret', secret: true },
    { key: 'verifyToken', secret: true },
    { key: 'igAccountId' },
  ],
  wechat: [
    { key: 'appId' },
    { key: 'appSecret', secret: true },
    { key: 'token', secret: true },
    // 43 base64 characters (no '='): the AES key of safe and compatible mode. Checked here
    // because the API stores credentials as they come (the adapter refuses a malformed one).
    { key: 'encodingAesKey', secret: true, optional: true, pattern: /^[A-Za-z0-9+/]{43}$/ },
  ],
};
/** A platform's name in the current language. @param {string} platform */
const platformName = (platform) => t(`admin.channels.platforms.${platform}`, { defaultValue: platform });
/** A credential field's label. @param {{ key: string }} field */
const fieldLabel = (field) => t(`admin.channels.fields.${field.key}`);
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
  // The API's own message (English, naming the field and the rule) with its code.
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  if (error instanceof FormError) return error.message;
  return t('admin.common.requestFailed', { reason: error.message });
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
    if (response.status === 401) signOut(t('admin.expired'));
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
      button(t('admin.common.edit'), t('admin.common.editLabel', { what: label }), onEdit),
      button(t('admin.common.delete'), t('admin.common.deleteLabel', { what: label }), onDelete, 'danger'),
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
      errorEl.textContent = t('admin.common.notSaved', { reason: errorText(error) });
    } finally {
      submit.disabled = false;
    }
  });

const removeItem = async (what, url, errorEl, reload) => {
  if (!confirm(t('admin.common.confirmDelete', { what }))) return;
  errorEl.textContent = '';
  try {
    await api('DELETE', url);
    await reload();
  } catch (error) {
    errorEl.textContent = t('admin.common.notDeleted', { reason: errorText(error) });
  }
};

/** The forms that create or edit, retitled when the language changes. */
const editForms = [];

/**
 * A form that creates an item, or saves the one being edited. `texts` are keys of the catalogue;
 * `edit`'s heading is a function, called again when the language changes.
 */
const createOrEdit = (prefix, texts, onReset) => {
  const form = $(`${prefix}-form`);
  const title = $(`${prefix}-form-title`);
  const submit = $(`${prefix}-submit`);
  const cancel = $(`${prefix}-cancel`);
  const error = $(`${prefix}-error`);
  /** @type {(() => string) | undefined} */
  let heading;
  const retitle = () => {
    title.textContent = heading === undefined ? t(texts.create) : heading();
    submit.textContent = t(heading === undefined ? texts.submit : texts.save);
  };
  const mode = {
    id: undefined,
    edit(id, headingOf) {
      mode.id = id;
      heading = headingOf;
      retitle();
      cancel.hidden = false;
      error.textContent = '';
      form.scrollIntoView({ block: 'nearest' });
    },
    reset() {
      mode.id = undefined;
      heading = undefined;
      form.reset();
      retitle();
      cancel.hidden = true;
      onReset?.();
    },
    retitle,
  };
  editForms.push(mode);
  retitle();
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

const roleName = (role) => (language() === 'en' ? role : t(`admin.roles.${role}`, { defaultValue: role }));

const refuseNonAdmin = (username, role) => {
  loginError.replaceChildren(
    t('admin.login.notAdmin', { username, role: roleName(role) }),
    t('admin.login.useAdmin'),
    el('a', { href: '/console.html' }, t('admin.login.console')),
    t('admin.login.end'),
  );
};

/** frames.js's sign-in refusals (English) in the current language. */
const LOGIN_ERRORS = {
  'Wrong company, username or password.': 'admin.login.wrong',
  'The service is busy; please try again in a moment.': 'admin.login.busy',
};
const loginErrorText = (error) =>
  LOGIN_ERRORS[error] === undefined
    ? t('admin.login.failed', { reason: error.replace(/^Sign-in failed:?\s*/, '') })
    : t(LOGIN_ERRORS[error]);

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  loginError.textContent = '';
  const username = $('username').value;
  await pendingLogout;
  const answer = await staffLogin($('company').value, username, $('password').value);
  if ('error' in answer) {
    loginError.textContent = loginErrorText(answer.error);
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

/**
 * "Sign out": forgotten here at once, and ended on the server (PROTOCOL, Security: every token of this admin, on
 * every device and process, the console's included). A failed call leaves only the forgotten token to expire.
 */
const signOutEverywhere = () => {
  const used = token;
  signOut(t('admin.signedOut'));
  if (used === undefined) return;
  // A sign-in waits for it: made before the logout lands, it would get a token the logout then ends.
  pendingLogout = fetch('/api/agents/logout', {
    method: 'POST',
    headers: { authorization: `Bearer ${used}` },
    signal: AbortSignal.timeout(3000),
  }).catch(() => undefined);
};
/** The logout call of the last sign-out, while it is on its way. */
let pendingLogout = Promise.resolve();

$('sign-out').addEventListener('click', signOutEverywhere);

/** The header's line and the tab's title, in the current language. */
const renderWho = () => {
  if (claims === undefined) {
    document.title = t('admin.title');
    return;
  }
  $('who').textContent = t('admin.who', { user: claims.sub, company: claims.company });
  document.title = t('admin.titleOf', { company: claims.company });
};

async function start() {
  loginForm.hidden = true;
  appEl.hidden = false;
  renderWho();
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
    errorEl.textContent = t('admin.common.notLoaded', { reason: errorText(error) });
  }
};

async function loadAll() {
  await load('groups', $('groups-error'));
  await Promise.all([
    ...extensions.map((section) => load(section.name, $(`${section.name}-error`))),
    load('agents', $('agents-error')),
    load('hours', $('hours-error')),
    load('canned', $('canned-list-error')),
    load('suggested', $('suggested-error')),
    load('faq', $('faq-list-error')),
    load('channels', $('channels-error')),
    load('timeout', $('timeout-error')),
    load('language', $('language-error')),
  ]);
  document.body.dataset.loaded = 'true';
}

// ---- groups ----

const groupForm = createOrEdit('group', {
  create: 'admin.groups.newTitle',
  submit: 'admin.groups.create',
  save: 'admin.groups.save',
});

loaders.groups = async () => {
  ({ groups } = await api('GET', '/api/admin/groups'));
  renderGroups();
  renderGroupChoices();
};

/** The service-level targets of a group: its field, the form's input and the input's label. */
const GROUP_TARGETS = [
  {
    key: 'firstResponseTargetSeconds',
    input: 'group-first-response-target',
    label: 'admin.groups.firstResponseTarget',
  },
  { key: 'waitTargetSeconds', input: 'group-wait-target', label: 'admin.groups.waitTarget' },
];
const targetText = (seconds) =>
  seconds === undefined ? t('admin.groups.noTarget') : t('admin.groups.targetSeconds', { count: seconds });

function renderGroups() {
  const rows = groups.map((group) =>
    el(
      'tr',
      { dataset: { id: group.id } },
      el('td', {}, group.name),
      el('td', {}, el('code', {}, group.id)),
      el('td', {}, targetText(group.firstResponseTargetSeconds)),
      el('td', {}, targetText(group.waitTargetSeconds)),
      rowActions(
        t('admin.groups.item', { name: group.name }),
        () => {
          groupForm.edit(group.id, () => t('admin.groups.editTitle', { name: group.name }));
          $('group-name').value = group.name;
          for (const { key, input } of GROUP_TARGETS) $(input).value = group[key] === undefined ? '' : group[key];
          $('group-name').focus();
        },
        () =>
          removeItem(
            t('admin.groups.deleteWhat', { name: group.name }),
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
  $('groups').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(5, t('admin.common.noGroups'))]));
}

/** The group pickers of the other sections, keeping what was chosen. */
function renderGroupChoices() {
  const chosen = new Set(all('#agent-groups input:checked').map((input) => input.value));
  $('agent-groups').replaceChildren(
    el('legend', {}, t('admin.common.groups')),
    ...groups.map((group) =>
      el(
        'label',
        { class: 'check' },
        el('input', { type: 'checkbox', name: 'groupIds', value: group.id, checked: chosen.has(group.id) }),
        ` ${group.name}`,
      ),
    ),
  );
  if (groups.length === 0) $('agent-groups').append(el('span', { class: 'hint' }, t('admin.common.noGroups')));
  for (const select of [$('hours-group'), $('channel-group')]) {
    const value = select.value;
    select.replaceChildren(...groups.map((group) => new Option(group.name, group.id)));
    if (groups.some((group) => group.id === value)) select.value = value;
  }
  renderHours();
}

onSubmit($('group-form'), $('group-error'), async () => {
  const body = { name: $('group-name').value };
  for (const { key, input, label } of GROUP_TARGETS) {
    const typed = $(input).value.trim();
    const seconds = Number(typed);
    if (typed !== '' && (!Number.isInteger(seconds) || seconds < 1 || seconds > 86400))
      throw new FormError(t('admin.groups.targetBounds', { label: t(label) }));
    // Empty: none (a new group leaves it out; an edited one clears it).
    if (typed !== '') body[key] = seconds;
    else if (groupForm.id !== undefined) body[key] = null;
  }
  if (groupForm.id === undefined) await api('POST', '/api/admin/groups', body);
  else await api('PUT', `/api/admin/groups/${encodeURIComponent(groupForm.id)}`, body);
  groupForm.reset();
  await loaders.groups();
  renderAgents();
  renderChannels();
});

// ---- agents ----

const agentForm = createOrEdit(
  'agent',
  { create: 'admin.agents.newTitle', submit: 'admin.agents.create', save: 'admin.agents.save' },
  () => renderPasswordLabel(),
);
/** "Password", or "New password" while an agent is edited. */
function renderPasswordLabel() {
  $('agent-password-label').textContent = t(
    agentForm.id === undefined ? 'admin.agents.password' : 'admin.agents.newPassword',
  );
}
renderPasswordLabel();

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
      el('td', {}, t(`admin.roles.${agent.role}`, { defaultValue: agent.role })),
      el('td', {}, agent.groupIds.map(groupName).join(', ')),
      el('td', {}, String(agent.capacity)),
      rowActions(
        t('admin.agents.item', { name: agent.username }),
        () => {
          agentForm.edit(agent.id, () => t('admin.agents.editTitle', { name: agent.username }));
          $('agent-username').value = agent.username;
          $('agent-name').value = agent.name ?? '';
          $('agent-password').value = '';
          renderPasswordLabel();
          $('agent-role').value = agent.role;
          $('agent-capacity').value = String(agent.capacity);
          for (const input of all('#agent-groups input')) input.checked = agent.groupIds.includes(input.value);
          $('agent-capacity').focus();
        },
        () =>
          removeItem(
            t('admin.agents.deleteWhat', { name: agent.username }),
            `/api/admin/agents/${encodeURIComponent(agent.id)}`,
            $('agents-error'),
            loaders.agents,
          ),
      ),
    ),
  );
  $('agents').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(6, t('admin.agents.none'))]));
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

function rangeEl(day, from, to) {
  const dayLabel = dayName(day);
  const range = el(
    'span',
    { class: 'range' },
    timeField(t('admin.hours.opensAt', { day: dayLabel }), from, 'from'),
    '–',
    timeField(t('admin.hours.closesAt', { day: dayLabel }), closingForInput(to), 'to'),
  );
  range.append(
    button('×', t('admin.hours.removeRange', { day: dayLabel }), () => {
      const ranges = range.parentElement;
      range.remove();
      markClosed(ranges, day);
      ranges.parentElement.querySelector('.add')?.focus();
    }),
  );
  range.querySelector('button').classList.add('small');
  return range;
}

function markClosed(ranges, day) {
  const closed = ranges.querySelector('.closed');
  const hasRanges = ranges.querySelector('.range') !== null;
  // Without a weekly schedule the group is open at all times; once saved, a day without hours is closed.
  const text = t(
    scheduleOf($('hours-group').value, 'regular') === undefined ? 'admin.hours.noHoursSet' : 'admin.hours.closed',
  );
  if (!hasRanges && !closed) ranges.prepend(el('span', { class: 'closed' }, text));
  if (hasRanges && closed) closed.remove();
  ranges.setAttribute('aria-label', t('admin.hours.dayHours', { day: dayName(day) }));
}

function renderWeekly(regular) {
  $('weekly-grid').replaceChildren(
    ...DAYS.map((day) => {
      const dayLabel = dayName(day);
      const ranges = el('div', { class: 'day-ranges', role: 'group', dataset: { day } });
      for (const range of regular?.weekly.filter((r) => r.day === day) ?? [])
        ranges.append(rangeEl(day, range.from, range.to));
      markClosed(ranges, day);
      const add = button(t('admin.hours.addHours'), t('admin.hours.addHoursOn', { day: dayLabel }), () => {
        const range = rangeEl(day, '09:00', '18:00');
        ranges.insertBefore(range, add);
        markClosed(ranges, day);
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
    new Option(t('admin.hours.dutyOpen'), 'open', !closed, !closed),
    new Option(t('admin.hours.dutyClosed'), 'closed', closed, closed),
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
  const remove = button(t('admin.hours.remove'), '', () => {
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
    const n = i + 1;
    item.querySelector('.date-label').textContent = t('admin.hours.dutyDate', { n });
    item.querySelector('.kind-label').textContent = t('admin.hours.dutyName', { n });
    item.querySelector('.from span').textContent = t('admin.hours.dutyOpensAt', { n });
    item.querySelector('.to span').textContent = t('admin.hours.dutyClosesAt', { n });
    item.querySelector('.remove').setAttribute('aria-label', t('admin.hours.removeDuty', { n }));
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
    ? t('admin.hours.noGroup')
    : regular === undefined && irregular === undefined
      ? t('admin.hours.openAlways')
      : regular === undefined
        ? t('admin.hours.dutyOnly')
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
  if (from === '' || to === '') throw new FormError(t('admin.hours.missingTime', { where }));
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
  for (const day of DAYS)
    for (const range of all(`#weekly-grid .day-ranges[data-day="${day}"] .range`))
      weekly.push({ day, ...timesOf(range, dayName(day)) });
  await saveSchedule(groupId, 'regular', { timeZone: $('weekly-tz').value.trim(), weekly });
  await loaders.hours();
  $('hours-status').textContent = t('admin.hours.weeklySaved');
});

$('weekly-delete').addEventListener('click', async () => {
  const regular = scheduleOf($('hours-group').value, 'regular');
  if (regular === undefined) return;
  await removeItem(
    t('admin.hours.weeklyOf', { group: groupName(regular.groupId) }),
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
    if (date === '') throw new FormError(t('admin.hours.missingDate', { n: i + 1 }));
    if (item.querySelector('.kind').value === 'closed') return { date, closed: true };
    return { date, ...timesOf(item.querySelector('.range'), t('admin.hours.dutyWhere', { n: i + 1 })) };
  });
  const existing = scheduleOf(groupId, 'irregular');
  // No dates left: the schedule goes (an empty one would mean the same).
  if (dates.length === 0) {
    if (existing !== undefined) await api('DELETE', `/api/admin/working-hours/${encodeURIComponent(existing.id)}`);
  } else await saveSchedule(groupId, 'irregular', { timeZone: $('duty-tz').value.trim(), dates });
  await loaders.hours();
  $('hours-status').textContent = t('admin.hours.dutySaved');
});

// ---- canned responses (the company-wide ones) ----

const cannedForm = createOrEdit('canned', {
  create: 'admin.canned.newTitle',
  submit: 'admin.canned.create',
  save: 'admin.canned.save',
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
        t('admin.canned.item', { shortcut: response.shortcut }),
        () => {
          cannedForm.edit(response.id, () => t('admin.canned.editTitle', { shortcut: response.shortcut }));
          $('canned-shortcut').value = response.shortcut;
          $('canned-text').value = response.text;
          $('canned-text').focus();
        },
        () =>
          removeItem(
            t('admin.canned.deleteWhat', { shortcut: response.shortcut }),
            `/api/canned-responses/${encodeURIComponent(response.id)}`,
            $('canned-list-error'),
            loaders.canned,
          ),
      ),
    ),
  );
  $('canned').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(3, t('admin.canned.none'))]));
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
  $('suggested-status').textContent = t('admin.suggested.saved', { count: questions.length });
});

// ---- FAQ ----

const faqForm = createOrEdit('faq', {
  create: 'admin.faq.newTitle',
  submit: 'admin.faq.create',
  save: 'admin.faq.save',
});

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
          ? el('div', { class: 'hint' }, t('admin.faq.also', { alternatives: entry.alternatives.join(' · ') }))
          : undefined,
      ),
      el('td', { class: 'text' }, entry.answer),
      el('td', {}, entry.tags.join(', ')),
      el('td', {}, t(entry.enabled ? 'admin.common.yes' : 'admin.common.no')),
      rowActions(
        t('admin.faq.item', { question: entry.question }),
        () => {
          faqForm.edit(entry.id, () => t('admin.faq.editTitle'));
          $('faq-question').value = entry.question;
          $('faq-alternatives').value = entry.alternatives.join('\n');
          $('faq-answer').value = entry.answer;
          $('faq-tags').value = entry.tags.join(', ');
          $('faq-enabled').checked = entry.enabled;
          $('faq-question').focus();
        },
        () =>
          removeItem(
            t('admin.faq.deleteWhat', { question: entry.question }),
            `/api/admin/faq/${encodeURIComponent(entry.id)}`,
            $('faq-list-error'),
            loaders.faq,
          ),
      ),
    ),
  );
  $('faq').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(5, t('admin.faq.none'))]));
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
  { create: 'admin.channels.newTitle', submit: 'admin.channels.create', save: 'admin.channels.save' },
  () => {
    $('channel-platform').disabled = false;
    $('channel-enabled-label').hidden = true;
    renderCredentialFields();
  },
);

function renderCredentialFields() {
  const platform = $('channel-platform').value;
  const editing = channelForm.id !== undefined;
  $('credentials-hint').textContent = t(editing ? 'admin.channels.keepHint' : 'admin.channels.writeOnly');
  $('channel-credentials').replaceChildren(
    ...CREDENTIALS[platform].map((field) =>
      el(
        'label',
        {},
        el('span', { class: 'field-label' }, fieldLabel(field)),
        el('input', {
          type: field.secret ? 'password' : 'text',
          autocomplete: 'new-password',
          spellcheck: false,
          dataset: { key: field.key, ...(field.optional ? { optional: 'true' } : {}) },
          placeholder: editing ? t('admin.channels.unchanged', { mask: MASK }) : '',
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
      el('td', {}, platformName(account.platform)),
      el('td', {}, groupName(account.groupId)),
      el('td', {}, t(account.enabled ? 'admin.common.yes' : 'admin.common.no')),
      el(
        'td',
        {},
        account.hasCredentials
          ? el('span', { class: 'masked', 'aria-label': t('admin.channels.set'), role: 'img' }, MASK)
          : t('admin.channels.unset'),
      ),
      el('td', {}, el('code', {}, `${location.origin}${account.webhookPath}`)),
      rowActions(
        t('admin.channels.item', { name: account.name }),
        () => {
          channelForm.edit(account.id, () => t('admin.channels.editTitle', { name: account.name }));
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
            t('admin.channels.deleteWhat', { name: account.name }),
            `/api/admin/channel-accounts/${encodeURIComponent(account.id)}`,
            $('channels-error'),
            loaders.channels,
          ),
      ),
    ),
  );
  $('channels').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(7, t('admin.channels.none'))]));
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
      t(creating ? 'admin.channels.fillIn' : 'admin.channels.fillInOrKeep', {
        fields: missing
          .map((input) => input.parentElement.firstChild.textContent)
          .join(language() === 'en' ? ', ' : '、'),
      }),
    );
  const malformed = inputs.find((input) => {
    const field = CREDENTIALS[$('channel-platform').value].find((f) => f.key === input.dataset.key);
    return field?.pattern !== undefined && input.dataset.key in typed && !field.pattern.test(typed[input.dataset.key]);
  });
  if (malformed !== undefined)
    throw new FormError(
      t(`admin.channels.rules.${malformed.dataset.key}`, { field: malformed.parentElement.firstChild.textContent }),
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
    $('channel-status').textContent = t('admin.channels.added', {
      platform: platformName(platform),
      url: `${location.origin}${created.webhookPath}`,
    });
  } else {
    const credentials = credentialsTyped(false);
    await api('PUT', `/api/admin/channel-accounts/${encodeURIComponent(channelForm.id)}`, {
      name,
      groupId,
      enabled: $('channel-enabled').checked,
      ...(credentials === undefined ? {} : { credentials }),
    });
    $('channel-status').textContent = t('admin.channels.saved');
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
  if (typed === '' || !Number.isFinite(minutes)) throw new FormError(t('admin.timeout.enter'));
  const seconds = Math.round(minutes * 60);
  if (seconds < TIMEOUT_MIN_SECONDS || seconds > TIMEOUT_MAX_SECONDS) throw new FormError(t('admin.timeout.bounds'));
  const settings = await api('PUT', '/api/admin/settings', { inactivityTimeoutSeconds: seconds });
  const saved = minutesOf(settings.inactivityTimeoutSeconds);
  $('timeout-minutes').value = String(saved);
  $('timeout-status').textContent = t('admin.timeout.saved', { count: saved });
});

// ---- the agents' presence: whole seconds ----

onSubmit($('presence-form'), $('presence-error'), async () => {
  $('presence-status').textContent = '';
  const patch = {};
  for (const { key, input, label, max } of PRESENCE) {
    const typed = $(input).value.trim();
    const seconds = Number(typed);
    if (typed === '' || !Number.isInteger(seconds) || seconds < 0 || seconds > max)
      throw new FormError(t('admin.presence.bounds', { label: t(label), max }));
    patch[key] = seconds;
  }
  const settings = await api('PUT', '/api/admin/settings', patch);
  for (const { key, input } of PRESENCE) $(input).value = String(settings[key]);
  $('presence-status').textContent = t('admin.presence.saved', {
    grace: settings.presenceGraceSeconds,
    requeue: settings.offlineRequeueSeconds,
  });
});

// ---- the company's language: what its bot and the server's own messages speak ----

loaders.language = async () => {
  const settings = await api('GET', '/api/admin/settings');
  $('company-language').value = settings.language;
};

onSubmit($('language-form'), $('language-error'), async () => {
  $('language-status').textContent = '';
  const settings = await api('PUT', '/api/admin/settings', { language: $('company-language').value });
  $('company-language').value = settings.language;
  $('language-status').textContent = t('admin.language.saved', {
    language: t(`admin.language.names.${settings.language}`),
  });
});

// ---- sections written in their own modules ----
// A module `./admin-<name>.js` exports `mount(kit)`: it gets the page's helpers below, wires its
// panel (`panel-<name>` in admin.html, with an element `<name>-error` for what fails to load) and
// returns `{ name, load, render? }`: `load` fetches and draws, `render` redraws in a new language.
// Each is listed in MOUNTS (one line per module).

const kit = {
  $,
  all,
  api,
  el,
  button,
  rowActions,
  emptyRow,
  lines,
  onSubmit,
  removeItem,
  createOrEdit,
  errorText,
  FormError,
  t,
  language,
  groupName,
  groups: () => groups,
  agents: () => agents,
  faq: () => faq,
  token: () => token,
  companyId: () => claims?.company,
  /** Loads one of the page's sections again (e.g. the FAQ after another section changed it). */
  reload: (name) => load(name, $(`${name === 'faq' ? 'faq-list' : name}-error`)),
};
const MOUNTS = [mountReports, mountBot, mountWebhooks, mountData];
const extensions = MOUNTS.map((mount) => mount(kit));
for (const section of extensions) {
  SECTIONS.push(section.name);
  loaders[section.name] = section.load;
}

// ---- the pages' language: a switch on the sign-in form and in the header ----

const switches = [$('login-language'), $('language')];
for (const select of switches) bindLanguageSwitch(select);
onLanguageChange(() => {
  for (const select of switches) select.value = language();
  for (const form of editForms) form.retitle();
  renderWho();
  renderPasswordLabel();
  // What code drew (lists, the group pickers and the hours grid, the credential fields) is drawn again.
  renderGroups();
  renderGroupChoices();
  renderAgents();
  renderCanned();
  renderFaq();
  renderChannels();
  relabelCredentialFields();
  for (const section of extensions) section.render?.();
});

/** The credential fields' labels and placeholders in the current language, keeping what was typed. */
function relabelCredentialFields() {
  const editing = channelForm.id !== undefined;
  $('credentials-hint').textContent = t(editing ? 'admin.channels.keepHint' : 'admin.channels.writeOnly');
  for (const input of all('#channel-credentials input')) {
    input.parentElement.firstChild.textContent = t(`admin.channels.fields.${input.dataset.key}`);
    input.placeholder = editing ? t('admin.channels.unchanged', { mask: MASK }) : '';
  }
}

// ---- a signed-in tab keeps its token across a reload ----

renderCredentialFields();
renderWho();
{
  const kept = sessionStorage.getItem(TOKEN_KEY);
  const read = kept === null ? undefined : tokenClaims(kept);
  if (read?.role === 'admin' && typeof read.exp === 'number' && read.exp * 1000 > Date.now()) {
    token = kept;
    claims = read;
    void start();
  } else if (kept !== null) sessionStorage.removeItem(TOKEN_KEY);
}
