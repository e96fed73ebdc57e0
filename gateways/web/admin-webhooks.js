// The admin's "Webhooks" section: outbound webhook endpoints (URL, event kinds, enabled), the
// signing secret shown once after creation or rotation, and each endpoint's delivery log with its
// status codes. Mounted by admin.js (MOUNTS); everything through /api/admin/webhooks.

const KINDS = ['session.ended', 'csat.submitted', 'sla.breached', 'message.created'];

/** @param {any} kit the helpers of admin.js */
export const mount = (kit) => {
  const { $, api, el, button, rowActions, emptyRow, errorText, FormError, t } = kit;
  const root = $('webhooks-root');
  /** @type {any[]} */
  let endpoints = [];
  /** @type {string | undefined} */
  let editing;
  /** @type {{ id: string, secret: string } | undefined} */
  let shownSecret;
  /** @type {{ id: string, deliveries: any[] } | undefined} */
  let log;

  const form = el('form', { id: 'webhook-form', class: 'card', noValidate: true, autocomplete: 'off' });
  const title = el('h3', { id: 'webhook-form-title' });
  const urlLabel = el('span');
  const url = el('input', { id: 'webhook-url', name: 'url', type: 'url', maxLength: 2048, required: true });
  const legend = el('legend');
  const boxes = KINDS.map((kind) => el('input', { type: 'checkbox', value: kind, name: 'events' }));
  const enabledText = el('span');
  const enabled = el('input', { id: 'webhook-enabled', type: 'checkbox', checked: true });
  const submit = el('button', { type: 'submit', id: 'webhook-submit' });
  const cancel = el('button', { type: 'button', class: 'secondary', id: 'webhook-cancel', hidden: true });
  const formError = el('p', { id: 'webhook-error', class: 'error', role: 'alert' });
  const secretBox = el('div', { id: 'webhook-secret', class: 'card', role: 'status', hidden: true });
  form.append(
    title,
    el('div', { class: 'fields' }, el('label', {}, urlLabel, url)),
    el('fieldset', {}, legend, ...boxes.map((box) => el('label', { class: 'check' }, box, el('span', {}, box.value)))),
    el('label', { class: 'check' }, enabled, enabledText),
    el('div', { class: 'form-actions' }, submit, cancel),
    formError,
  );
  const tbody = el('tbody', { id: 'webhooks' });
  const head = el('tr');
  const table = el('table', { id: 'webhooks-table' }, el('thead', {}, head), tbody);
  const logBox = el('div', { id: 'webhook-log', hidden: true });
  root.replaceChildren(form, secretBox, el('div', { class: 'table-wrap' }, table), logBox);

  const reset = () => {
    editing = undefined;
    form.reset();
    enabled.checked = true;
    formError.textContent = '';
    render();
  };

  const saved = async () => {
    const events = boxes.filter((box) => box.checked).map((box) => box.value);
    if (url.value.trim() === '') throw new FormError(t('admin.webhooks.urlRequired'));
    if (events.length === 0) throw new FormError(t('admin.webhooks.eventsRequired'));
    const body = { url: url.value.trim(), events, enabled: enabled.checked };
    if (editing === undefined) {
      const created = await api('POST', '/api/admin/webhooks', body);
      shownSecret = { id: created.id, secret: created.secret };
    } else {
      await api('PUT', `/api/admin/webhooks/${encodeURIComponent(editing)}`, body);
      shownSecret = undefined;
    }
    reset();
    await load();
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    submit.disabled = true;
    try {
      await saved();
    } catch (error) {
      formError.textContent = t('admin.common.notSaved', { reason: errorText(error) });
    } finally {
      submit.disabled = false;
    }
  });
  cancel.addEventListener('click', reset);

  const edit = (endpoint) => {
    editing = endpoint.id;
    url.value = endpoint.url;
    for (const box of boxes) box.checked = endpoint.events.includes(box.value);
    enabled.checked = endpoint.enabled;
    render();
    form.scrollIntoView({ block: 'nearest' });
  };

  const sectionError = () => $('webhooks-error');

  const remove = async (endpoint) => {
    if (!confirm(t('admin.common.confirmDelete', { what: endpoint.url }))) return;
    try {
      await api('DELETE', `/api/admin/webhooks/${encodeURIComponent(endpoint.id)}`);
      if (log?.id === endpoint.id) log = undefined;
      await load();
    } catch (error) {
      sectionError().textContent = t('admin.common.notDeleted', { reason: errorText(error) });
    }
  };

  const rotate = async (endpoint) => {
    if (!confirm(t('admin.webhooks.confirmRotate', { url: endpoint.url }))) return;
    try {
      shownSecret = await api('POST', `/api/admin/webhooks/${encodeURIComponent(endpoint.id)}/rotate-secret`);
      render();
    } catch (error) {
      sectionError().textContent = t('admin.common.notSaved', { reason: errorText(error) });
    }
  };

  const showLog = async (endpoint) => {
    try {
      const page = await api('GET', `/api/admin/webhooks/${encodeURIComponent(endpoint.id)}/deliveries?limit=50`);
      log = { id: endpoint.id, deliveries: page.deliveries };
      render();
    } catch (error) {
      sectionError().textContent = t('admin.common.notLoaded', { reason: errorText(error) });
    }
  };

  const when = (iso) => (iso === undefined ? '' : new Date(iso).toLocaleString(kit.language()));

  function render() {
    title.textContent = t(editing === undefined ? 'admin.webhooks.create' : 'admin.webhooks.edit');
    submit.textContent = t(editing === undefined ? 'admin.webhooks.submit' : 'admin.webhooks.save');
    cancel.textContent = t('admin.common.cancel');
    cancel.hidden = editing === undefined;
    urlLabel.textContent = t('admin.webhooks.url');
    legend.textContent = t('admin.webhooks.events');
    enabledText.textContent = t('admin.common.enabled');
    table.setAttribute('aria-label', t('admin.webhooks.table'));
    head.replaceChildren(
      el('th', { scope: 'col' }, t('admin.webhooks.url')),
      el('th', { scope: 'col' }, t('admin.webhooks.events')),
      el('th', { scope: 'col' }, t('admin.common.enabled')),
      el('th', { scope: 'col' }, el('span', { class: 'visually-hidden' }, t('admin.common.actions'))),
    );
    secretBox.hidden = shownSecret === undefined;
    if (shownSecret !== undefined)
      secretBox.replaceChildren(
        el('p', {}, t('admin.webhooks.secretOnce')),
        el('code', { id: 'webhook-secret-value' }, shownSecret.secret),
        button(t('admin.webhooks.hideSecret'), t('admin.webhooks.hideSecret'), () => {
          shownSecret = undefined;
          render();
        }),
      );
    tbody.replaceChildren(
      ...(endpoints.length === 0
        ? [emptyRow(4, t('admin.webhooks.none'))]
        : endpoints.map((endpoint) => {
            const actions = rowActions(
              endpoint.url,
              () => edit(endpoint),
              () => void remove(endpoint),
            );
            actions.firstChild.append(
              button(
                t('admin.webhooks.log'),
                t('admin.webhooks.logLabel', { url: endpoint.url }),
                () => void showLog(endpoint),
              ),
              button(
                t('admin.webhooks.rotate'),
                t('admin.webhooks.rotateLabel', { url: endpoint.url }),
                () => void rotate(endpoint),
              ),
            );
            return el(
              'tr',
              { dataset: { id: endpoint.id } },
              el('td', {}, endpoint.url),
              el('td', {}, endpoint.events.join(', ')),
              el('td', {}, t(endpoint.enabled ? 'admin.webhooks.yes' : 'admin.webhooks.no')),
              actions,
            );
          })),
    );
    const shown = log === undefined ? undefined : endpoints.find((e) => e.id === log?.id);
    logBox.hidden = shown === undefined;
    if (shown !== undefined && log !== undefined)
      logBox.replaceChildren(
        el('h3', {}, t('admin.webhooks.logTitle', { url: shown.url })),
        el(
          'div',
          { class: 'table-wrap' },
          el(
            'table',
            { id: 'webhook-deliveries', 'aria-label': t('admin.webhooks.logTitle', { url: shown.url }) },
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                ...['delivery', 'event', 'status', 'attempts', 'code', 'error', 'next', 'delivered'].map((key) =>
                  el('th', { scope: 'col' }, t(`admin.webhooks.columns.${key}`)),
                ),
              ),
            ),
            el(
              'tbody',
              {},
              ...(log.deliveries.length === 0
                ? [emptyRow(8, t('admin.webhooks.noDeliveries'))]
                : log.deliveries.map((d) =>
                    el(
                      'tr',
                      { dataset: { id: d.id } },
                      el('td', {}, el('code', {}, d.id)),
                      el('td', {}, d.event),
                      el('td', {}, t(`admin.webhooks.status.${d.status}`)),
                      el('td', {}, String(d.attempts)),
                      el('td', { class: 'status-code' }, d.history.map((a) => a.statusCode ?? '—').join(' → ')),
                      el('td', {}, d.lastError ?? ''),
                      el('td', {}, when(d.nextAttemptAt)),
                      el('td', {}, when(d.deliveredAt)),
                    ),
                  )),
            ),
          ),
        ),
      );
  }

  async function load() {
    endpoints = (await api('GET', '/api/admin/webhooks')).webhooks;
    if (log !== undefined && !endpoints.some((e) => e.id === log?.id)) log = undefined;
    render();
  }

  render();
  return { name: 'webhooks', load, render };
};
