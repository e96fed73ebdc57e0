// The admin's "Data" section: erase a visitor by its id (after a confirmation), through
// DELETE /api/admin/visitors/:id, and the company's retention period (retentionDays in the
// settings). Mounted by admin.js (MOUNTS).

/** @param {any} kit the helpers of admin.js */
export const mount = (kit) => {
  const { $, api, el, errorText, t } = kit;
  const root = $('data-root');

  const eraseForm = el('form', { id: 'erase-form', class: 'card', noValidate: true, autocomplete: 'off' });
  const idLabel = el('span');
  const visitorId = el('input', { id: 'erase-visitor-id', name: 'visitorId', maxLength: 100, required: true });
  const erase = el('button', { type: 'submit', id: 'erase-submit', class: 'danger' });
  const eraseStatus = el('p', { id: 'erase-status', role: 'status' });
  eraseForm.append(
    el('div', { class: 'fields' }, el('label', {}, idLabel, visitorId)),
    el('div', { class: 'form-actions' }, erase),
    eraseStatus,
  );

  const retentionForm = el('form', { id: 'retention-form', class: 'card', noValidate: true, autocomplete: 'off' });
  const daysLabel = el('span');
  const days = el('input', { id: 'retention-days', name: 'retentionDays', type: 'number', min: 1, max: 3650, step: 1 });
  const save = el('button', { type: 'submit', id: 'retention-submit' });
  const retentionStatus = el('p', { id: 'retention-status', role: 'status' });
  retentionForm.append(
    el('div', { class: 'fields' }, el('label', {}, daysLabel, days)),
    el('div', { class: 'form-actions' }, save),
    retentionStatus,
  );
  root.append(eraseForm, retentionForm);

  const render = () => {
    idLabel.textContent = t('admin.data.visitorId');
    erase.textContent = t('admin.data.erase');
    daysLabel.textContent = t('admin.data.retention');
    save.textContent = t('admin.data.saveRetention');
  };

  eraseForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = visitorId.value.trim();
    eraseStatus.textContent = '';
    eraseStatus.classList.remove('error');
    if (id === '' || !window.confirm(t('admin.data.confirm', { id }))) return;
    try {
      await api('DELETE', `/api/admin/visitors/${encodeURIComponent(id)}`);
      eraseStatus.textContent = t('admin.data.erased', { id });
      visitorId.value = '';
    } catch (error) {
      eraseStatus.classList.add('error');
      eraseStatus.textContent = errorText(error);
    }
  });

  retentionForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    retentionStatus.textContent = '';
    retentionStatus.classList.remove('error');
    const value = days.value.trim();
    try {
      const settings = await api('PUT', '/api/admin/settings', { retentionDays: value === '' ? null : Number(value) });
      days.value = settings.retentionDays === undefined ? '' : String(settings.retentionDays);
      retentionStatus.textContent = t('admin.data.retentionSaved');
    } catch (error) {
      retentionStatus.classList.add('error');
      retentionStatus.textContent = errorText(error);
    }
  });

  render();
  return {
    name: 'data',
    load: async () => {
      const settings = await api('GET', '/api/admin/settings');
      days.value = settings.retentionDays === undefined ? '' : String(settings.retentionDays);
    },
    render,
  };
};
