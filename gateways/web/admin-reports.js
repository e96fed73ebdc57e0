// The admin page's Reports section (PROTOCOL "Reports"): a range of the company's days, group and
// agent filters, the summary's numbers, its charts (SVG drawn by the server:
// /api/admin/reports/charts/<name>.svg) and a CSV download. The charts and the file need the
// bearer token, so they are fetched and shown from blob URLs (an <img> runs no script of an SVG).

const CHARTS = ['sessions', 'times', 'csat', 'agents'];
const DAY_MS = 86_400_000;

/** A date input's value (YYYY-MM-DD) of a day `offset` days from today, in the company's calendar. */
const dayValue = (offset, timeZone) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(Date.now() + offset * DAY_MS),
  );

/** The day after a YYYY-MM-DD date: the range's exclusive end. */
const nextDay = (value) => {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
};

/** @param {any} kit */
export const mount = (kit) => {
  const { $, api, el, t, FormError, errorText, emptyRow } = kit;
  /** @type {any} */
  let summary;
  /** @type {string[]} */
  let urls = [];
  let staffList = [];

  const fromInput = $('reports-from');
  const toInput = $('reports-to');

  const query = () => {
    const from = fromInput.value;
    const to = toInput.value;
    if (from === '' || to === '') throw new FormError(t('admin.reports.enterDates'));
    if (from > to) throw new FormError(t('admin.reports.fromAfterTo'));
    const params = new URLSearchParams({ from, to: nextDay(to) });
    if ($('reports-group').value !== '') params.set('groupId', $('reports-group').value);
    if ($('reports-agent').value !== '') params.set('agentId', $('reports-agent').value);
    return params;
  };

  /** A response body with the token, as a blob URL (freed on the next draw). */
  const blobUrl = async (url) => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${kit.token()}` } });
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        message = (await response.json()).error.message;
      } catch {
        // not JSON: the status says it
      }
      throw new FormError(message);
    }
    const made = URL.createObjectURL(await response.blob());
    urls.push(made);
    return made;
  };

  const renderFilters = () => {
    const group = $('reports-group');
    const agent = $('reports-agent');
    const keep = [group.value, agent.value];
    group.replaceChildren(
      el('option', { value: '', textContent: t('admin.reports.allGroups') }),
      ...kit.groups().map((g) => el('option', { value: g.id, textContent: g.name })),
    );
    agent.replaceChildren(
      el('option', { value: '', textContent: t('admin.reports.allAgents') }),
      ...staffList.map((a) => el('option', { value: a.id, textContent: a.name ?? a.username })),
    );
    [group.value, agent.value] = keep;
    if (group.value !== keep[0]) group.value = '';
    if (agent.value !== keep[1]) agent.value = '';
  };

  const agentName = (id) => {
    const found = staffList.find((a) => a.id === id);
    return found === undefined ? id : (found.name ?? found.username);
  };
  const number = (value, unit = '') =>
    value === null || value === undefined ? '—' : `${Math.round(value * 10) / 10}${unit}`;

  const renderNumbers = () => {
    const box = $('reports-numbers');
    if (summary === undefined) return box.replaceChildren();
    const s = t('admin.reports.secondsUnit');
    const items = [
      ['sessions', String(summary.sessions)],
      ['handled', String(summary.handled)],
      ['abandoned', String(summary.abandoned)],
      [
        'firstResponse',
        `${number(summary.firstResponseSeconds.median, s)} / ${number(summary.firstResponseSeconds.p90, s)}`,
      ],
      ['wait', `${number(summary.waitSeconds.median, s)} / ${number(summary.waitSeconds.p90, s)}`],
      ['handling', `${number(summary.handlingSeconds.median, s)} / ${number(summary.handlingSeconds.p90, s)}`],
      ['csat', t('admin.reports.csatValue', { average: number(summary.csat.average), count: summary.csat.count })],
      ['slaBreached', `${summary.slaBreached?.firstResponse ?? 0} / ${summary.slaBreached?.wait ?? 0}`],
    ];
    box.replaceChildren(
      ...items.map(([key, value]) =>
        el(
          'div',
          {},
          el('dt', { textContent: t(`admin.reports.numbers.${key}`) }),
          el('dd', { textContent: value, dataset: { metric: key } }),
        ),
      ),
    );
    const rows = summary.byAgent.map((a) =>
      el(
        'tr',
        {},
        el('td', { textContent: agentName(a.agentId) }),
        el('td', { textContent: String(a.sessions) }),
        el('td', { textContent: number(a.firstResponseSeconds.median, s) }),
        el('td', {
          textContent: t('admin.reports.csatValue', { average: number(a.csat.average), count: a.csat.count }),
        }),
      ),
    );
    $('reports-agents').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(4, t('admin.reports.noAgents'))]));
    const days = summary.byDay.map((d) =>
      el(
        'tr',
        {},
        el('td', { textContent: d.date }),
        el('td', { textContent: String(d.sessions) }),
        el('td', { textContent: String(d.handled) }),
      ),
    );
    $('reports-days').replaceChildren(...days);
  };

  const drawCharts = async (params) => {
    for (const url of urls) URL.revokeObjectURL(url);
    urls = [];
    const charts = await Promise.all(
      CHARTS.map(async (name) => {
        const chartParams = new URLSearchParams(params);
        chartParams.set('lang', kit.language());
        const src = await blobUrl(`/api/admin/reports/charts/${name}.svg?${chartParams}`);
        return el(
          'figure',
          { class: 'report-chart' },
          el('img', { src, alt: t(`admin.reports.charts.${name}`), dataset: { chart: name } }),
        );
      }),
    );
    $('reports-charts').replaceChildren(...charts);
  };

  const show = async () => {
    const params = query();
    summary = await api('GET', `/api/admin/reports/summary?${params}`);
    renderNumbers();
    await drawCharts(params);
    $('reports-status').textContent = t('admin.reports.shown', { from: fromInput.value, to: toInput.value });
  };

  $('reports-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('reports-error').textContent = '';
    $('reports-status').textContent = '';
    try {
      await show();
    } catch (error) {
      $('reports-error').textContent = errorText(error);
    }
  });

  $('reports-csv').addEventListener('click', async () => {
    $('reports-error').textContent = '';
    try {
      const params = query();
      params.set('format', 'csv');
      const url = await blobUrl(`/api/admin/reports/summary?${params}`);
      const link = el('a', { href: url, download: `report-${fromInput.value}-${toInput.value}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      $('reports-error').textContent = errorText(error);
    }
  });

  return {
    name: 'reports',
    async load() {
      ({ agents: staffList } = await api('GET', '/api/admin/agents'));
      renderFilters();
      if (fromInput.value === '' || toInput.value === '') {
        // The server's default range (the company's last 7 days) tells the company's time zone, hence its today.
        const { timeZone } = await api('GET', '/api/admin/reports/summary');
        fromInput.value = dayValue(-6, timeZone);
        toInput.value = dayValue(0, timeZone);
      }
      await show();
    },
    render() {
      renderFilters();
      renderNumbers();
      // The charts' titles are drawn by the server in the page's language.
      if (summary !== undefined)
        void drawCharts(query()).catch((error) => ($('reports-error').textContent = errorText(error)));
    },
  };
};
