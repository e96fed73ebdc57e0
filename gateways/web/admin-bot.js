// The admin's Bot section (a module of admin.js, see its MOUNTS): the bot's training loop and its
// configuration, through the admin HTTP API (docs/api/openapi.yaml).
// - What visitors asked that the bot did not understand (GET /api/admin/reports/unanswered), with
//   their counts: one click adds a question to an FAQ entry (POST /api/admin/faq/:id/alternatives)
//   or an intent (POST /api/admin/intents/:id/phrases), or makes a new FAQ entry of it, or
//   dismisses it (POST /api/admin/reports/unanswered/dismissals). The report itself leaves out a
//   question the bot now knows or that was dismissed, so the list is read again after each click.
// - The intents: list, create, edit, delete (/api/admin/intents).
// - The bot's settings botConfidence and botMissesBeforeHuman (/api/admin/settings).

import { formatTime } from './i18n.js';

/** The bounds of BotConfidence and BotMissesBeforeHuman in infra's codecs. */
const CONFIDENCE = { min: 0, max: 1 };
const MISSES = { min: 1, max: 10 };
/** How many questions the list shows (the report's limit is 200). */
const LIMIT = 100;

/** @param {any} kit the page's helpers (admin.js) */
export function mount(kit) {
  const { $, api, el, button, rowActions, emptyRow, lines, onSubmit, removeItem, createOrEdit, errorText, t } = kit;
  const { FormError } = kit;

  /** @type {{ question: string, count: number, lastAskedAt: string }[]} */
  let questions = [];
  /** @type {{ id: string, question: string, alternatives: string[] }[]} */
  let faq = [];
  /** @type {{ id: string, name: string, phrases: string[], action: string, answer?: string, enabled: boolean }[]} */
  let intents = [];
  /** What the list's last action said, drawn again in a new language. @type {(() => string) | undefined} */
  let status;
  /** The question the new-FAQ form was opened from. @type {string | undefined} */
  let newFaqFrom;

  const statusEl = $('bot-unanswered-status');
  const listError = $('bot-unanswered-error');
  const say = (/** @type {(() => string) | undefined} */ text) => {
    status = text;
    statusEl.textContent = text === undefined ? '' : text();
  };

  // ---- the questions the bot did not understand ----

  const loadQuestions = async () => {
    const days = $('bot-period').value;
    ({ questions } = await api('GET', `/api/admin/reports/unanswered?days=${encodeURIComponent(days)}&limit=${LIMIT}`));
    renderQuestions();
  };
  const loadTargets = async () => {
    [{ faq }, { intents }] = await Promise.all([api('GET', '/api/admin/faq'), api('GET', '/api/admin/intents')]);
  };

  /** A picker of the FAQ entries and intents a question can be added to; values `faq:<id>` / `intent:<id>`. */
  const picker = (question) => {
    const select = el('select', { 'aria-label': t('admin.bot.unanswered.targetLabel', { question }) });
    if (faq.length > 0) {
      select.append(
        el(
          'optgroup',
          { label: t('admin.bot.unanswered.faqGroup') },
          ...faq.map((entry) => el('option', { value: `faq:${entry.id}` }, entry.question)),
        ),
      );
    }
    if (intents.length > 0) {
      select.append(
        el(
          'optgroup',
          { label: t('admin.bot.unanswered.intentGroup') },
          ...intents.map((intent) => el('option', { value: `intent:${intent.id}` }, intent.name)),
        ),
      );
    }
    return select;
  };

  /** Runs a click of the list: its failure shown next to the list, the list read again after it. */
  const act = async (work) => {
    listError.textContent = '';
    try {
      await work();
    } catch (error) {
      say(undefined);
      listError.textContent = t('admin.bot.unanswered.notDone', { reason: errorText(error) });
      return;
    }
    await loadQuestions().catch((error) => {
      listError.textContent = t('admin.common.notLoaded', { reason: errorText(error) });
    });
  };

  const addTo = (question, target) =>
    act(async () => {
      const [kind, id] = [target.slice(0, target.indexOf(':')), target.slice(target.indexOf(':') + 1)];
      if (kind === 'faq') {
        const entry = await api('POST', `/api/admin/faq/${encodeURIComponent(id)}/alternatives`, { text: question });
        faq = faq.map((f) => (f.id === entry.id ? entry : f));
        say(() => t('admin.bot.unanswered.addedFaq', { question, entry: entry.question }));
        await kit.reload('faq');
      } else {
        const intent = await api('POST', `/api/admin/intents/${encodeURIComponent(id)}/phrases`, { text: question });
        intents = intents.map((i) => (i.id === intent.id ? intent : i));
        say(() => t('admin.bot.unanswered.addedIntent', { question, entry: intent.name }));
        renderIntents();
      }
    });

  const dismiss = (question) =>
    act(async () => {
      await api('POST', '/api/admin/reports/unanswered/dismissals', { question });
      say(() => t('admin.bot.unanswered.dismissed', { question }));
    });

  const openNewFaq = (question) => {
    newFaqFrom = question;
    $('bot-faq-form').hidden = false;
    $('bot-faq-error').textContent = '';
    $('bot-faq-question').value = question;
    $('bot-faq-answer').value = '';
    $('bot-faq-answer').focus();
  };
  const closeNewFaq = () => {
    newFaqFrom = undefined;
    $('bot-faq-form').reset();
    $('bot-faq-form').hidden = true;
  };
  $('bot-faq-cancel').addEventListener('click', closeNewFaq);
  onSubmit($('bot-faq-form'), $('bot-faq-error'), async () => {
    const question = $('bot-faq-question').value;
    const answer = $('bot-faq-answer').value;
    const created = await api('POST', '/api/admin/faq', { question, answer });
    // The visitors' own words stay another way to ask when the admin reworded the question.
    const from = newFaqFrom;
    if (from !== undefined && from.trim().toLowerCase() !== question.trim().toLowerCase()) {
      await api('POST', `/api/admin/faq/${encodeURIComponent(created.id)}/alternatives`, { text: from });
    }
    closeNewFaq();
    say(() => t('admin.bot.unanswered.createdFaq', { question }));
    await kit.reload('faq');
    await loadTargets();
    await loadQuestions();
  });

  function renderQuestions() {
    const rows = questions.map((q) => {
      const cell = el('div', { class: 'bot-pick' });
      if (faq.length + intents.length > 0) {
        const select = picker(q.question);
        cell.append(
          select,
          button(
            t('admin.bot.unanswered.add'),
            t('admin.bot.unanswered.addLabel', { question: q.question }),
            () => void addTo(q.question, select.value),
            '',
          ),
        );
      }
      cell.append(
        button(t('admin.bot.unanswered.newFaq'), t('admin.bot.unanswered.newFaqLabel', { question: q.question }), () =>
          openNewFaq(q.question),
        ),
        button(
          t('admin.bot.unanswered.dismiss'),
          t('admin.bot.unanswered.dismissLabel', { question: q.question }),
          () => void dismiss(q.question),
        ),
      );
      return el(
        'tr',
        { dataset: { question: q.question } },
        el('td', { class: 'text' }, q.question),
        el('td', {}, String(q.count)),
        el('td', {}, formatTime(q.lastAskedAt, { dateStyle: 'medium', timeStyle: 'short' })),
        el('td', {}, cell),
      );
    });
    $('bot-unanswered').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(4, t('admin.bot.unanswered.none'))]));
  }

  $('bot-period').addEventListener('change', () => {
    say(undefined);
    void act(async () => undefined);
  });

  // ---- intents ----

  const intentForm = createOrEdit('intent', {
    create: 'admin.bot.intents.newTitle',
    submit: 'admin.bot.intents.create',
    save: 'admin.bot.intents.save',
  });
  const renderAnswerField = () => {
    const action = $('intent-action').value;
    $('intent-answer-field').hidden = action === 'transfer';
    $('intent-answer-label').textContent = t(
      action === 'end' ? 'admin.bot.intents.answerEnd' : 'admin.bot.intents.answer',
    );
  };
  $('intent-action').addEventListener('change', renderAnswerField);
  $('intent-cancel').addEventListener('click', renderAnswerField);

  const loadIntents = async () => {
    ({ intents } = await api('GET', '/api/admin/intents'));
    renderIntents();
    renderQuestions();
  };

  function renderIntents() {
    const rows = intents.map((intent) =>
      el(
        'tr',
        { dataset: { name: intent.name } },
        el('td', {}, intent.name),
        el('td', { class: 'text' }, intent.phrases.join('\n')),
        el(
          'td',
          { class: 'text' },
          t(`admin.bot.intents.actions.${intent.action}`),
          intent.answer === undefined ? undefined : el('div', { class: 'hint' }, intent.answer),
        ),
        el('td', {}, t(intent.enabled ? 'admin.common.yes' : 'admin.common.no')),
        rowActions(
          t('admin.bot.intents.item', { name: intent.name }),
          () => {
            intentForm.edit(intent.id, () => t('admin.bot.intents.editTitle', { name: intent.name }));
            $('intent-name').value = intent.name;
            $('intent-phrases').value = intent.phrases.join('\n');
            $('intent-action').value = intent.action;
            $('intent-answer').value = intent.answer ?? '';
            $('intent-enabled').checked = intent.enabled;
            renderAnswerField();
            $('intent-name').focus();
          },
          () =>
            removeItem(
              t('admin.bot.intents.deleteWhat', { name: intent.name }),
              `/api/admin/intents/${encodeURIComponent(intent.id)}`,
              $('intents-error'),
              loadIntents,
            ),
        ),
      ),
    );
    $('intents').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(5, t('admin.bot.intents.none'))]));
  }

  onSubmit($('intent-form'), $('intent-error'), async () => {
    const phrases = lines($('intent-phrases').value);
    const action = $('intent-action').value;
    const answer = $('intent-answer').value.trim();
    if (phrases.length === 0) throw new FormError(t('admin.bot.intents.noPhrases'));
    if (action === 'answer' && answer === '') throw new FormError(t('admin.bot.intents.needsAnswer'));
    const body = {
      name: $('intent-name').value,
      phrases,
      action,
      enabled: $('intent-enabled').checked,
      // The API refuses an answer with `transfer`; with `end` it is the optional question whether to end.
      ...(action === 'transfer' || answer === '' ? {} : { answer }),
    };
    if (intentForm.id === undefined) await api('POST', '/api/admin/intents', body);
    else await api('PUT', `/api/admin/intents/${encodeURIComponent(intentForm.id)}`, body);
    intentForm.reset();
    renderAnswerField();
    await loadIntents();
  });

  // ---- the bot's settings ----

  const loadSettings = async () => {
    const settings = await api('GET', '/api/admin/settings');
    $('bot-confidence').value = String(settings.botConfidence);
    $('bot-misses').value = String(settings.botMissesBeforeHuman);
  };

  onSubmit($('bot-settings-form'), $('bot-settings-error'), async () => {
    $('bot-settings-status').textContent = '';
    const confidenceText = $('bot-confidence').value.trim();
    const missesText = $('bot-misses').value.trim();
    const confidence = Number(confidenceText);
    const misses = Number(missesText);
    if (confidenceText === '' || !(confidence >= CONFIDENCE.min && confidence <= CONFIDENCE.max)) {
      throw new FormError(t('admin.bot.settings.confidenceBounds'));
    }
    if (missesText === '' || !Number.isInteger(misses) || misses < MISSES.min || misses > MISSES.max) {
      throw new FormError(t('admin.bot.settings.missesBounds'));
    }
    const settings = await api('PUT', '/api/admin/settings', {
      botConfidence: confidence,
      botMissesBeforeHuman: misses,
    });
    $('bot-confidence').value = String(settings.botConfidence);
    $('bot-misses').value = String(settings.botMissesBeforeHuman);
    $('bot-settings-status').textContent = t('admin.bot.settings.saved', {
      confidence: settings.botConfidence,
      misses: settings.botMissesBeforeHuman,
    });
  });

  renderAnswerField();
  // What the other sections changed (an FAQ entry added there) shows when the section is opened again.
  $('tab-bot').addEventListener('click', () => {
    void act(loadTargets);
  });

  return {
    name: 'bot',
    load: async () => {
      await Promise.all([loadTargets(), loadSettings()]);
      renderIntents();
      await loadQuestions();
    },
    render: () => {
      renderQuestions();
      renderIntents();
      renderAnswerField();
      if (status !== undefined) statusEl.textContent = status();
    },
  };
}
