// The admin's Webhooks section in a real browser (Debian's Chromium driven by playwright-core), on the
// embedded app: an endpoint is created (the secret shown once, never by the API's list), edited, its
// delivery log opened, its secret rotated, and deleted, each checked through the HTTP API; the section
// passes axe-core in English and Chinese.
import { http } from '../../../test-support/clients';
import { accessibilityProblems, describeInBrowser, SCREEN } from '../../../test-support/browser';
import type { Page } from 'playwright-core';

interface Webhook {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
}

describeInBrowser('[browser] the admin webhooks section', (ui) => {
  const { open, errors } = ui;

  const tokenOf = async (): Promise<string> => {
    const { status, body } = await http(ui.base).post('/api/agents/login', {
      companyId: 'demo',
      username: 'admin',
      password: 'demo',
    });
    expect(status).toBe(200);
    return String(body['token']);
  };
  const list = async (token: string): Promise<Webhook[]> => {
    const response = await fetch(`${ui.base}/api/admin/webhooks`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { webhooks: Webhook[] }).webhooks;
  };
  const signIn = async (page: Page): Promise<void> => {
    const login = page.locator('#login');
    await login.getByLabel('Username').fill('admin');
    await login.getByLabel('Password').fill('demo');
    await login.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-loaded="true"]').waitFor({ state: 'attached' });
  };

  it('creates, shows the secret once, edits, opens the log, rotates and deletes an endpoint', async () => {
    const token = await tokenOf();
    const page = await open('/admin.html', SCREEN);
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page);
    await page.getByRole('tab', { name: 'Webhooks', exact: true }).click();
    const panel = page.locator('#panel-webhooks');
    await panel.waitFor({ state: 'visible' });
    await panel.getByText('No webhooks yet.').waitFor();

    // Nothing chosen: the form says so and nothing is stored.
    await panel.getByLabel('URL').fill('https://hooks.example.com/cschat');
    await panel.getByRole('button', { name: 'Create webhook' }).click();
    await panel.locator('#webhook-error').filter({ hasText: 'Choose at least one event' }).waitFor();
    expect(await list(token)).toEqual([]);
    // A private address: the API's rule, shown next to the form.
    await panel.getByLabel('URL').fill('http://127.0.0.1:5432/');
    await panel.getByLabel('session.ended').check();
    await panel.getByRole('button', { name: 'Create webhook' }).click();
    await panel.locator('#webhook-error').filter({ hasText: 'must not be a private' }).waitFor();

    await panel.getByLabel('URL').fill('https://hooks.example.com/cschat');
    await panel.getByLabel('csat.submitted').check();
    await panel.getByRole('button', { name: 'Create webhook' }).click();
    const secret = (await panel.locator('#webhook-secret-value').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    const [created] = await list(token);
    expect(created).toMatchObject({
      url: 'https://hooks.example.com/cschat',
      events: ['session.ended', 'csat.submitted'],
      enabled: true,
    });
    expect(JSON.stringify(await list(token))).not.toContain(secret);
    const row = panel.locator(`tr[data-id="${created!.id}"]`);
    await row.getByText('session.ended, csat.submitted').waitFor();
    await panel.getByRole('button', { name: 'Hide secret' }).click();
    expect(await panel.locator('#webhook-secret').isHidden()).toBe(true);

    // Edit: off, and only SLA breaches.
    await row.getByRole('button', { name: 'Edit' }).click();
    await panel.getByLabel('session.ended').uncheck();
    await panel.getByLabel('csat.submitted').uncheck();
    await panel.getByLabel('sla.breached').check();
    await panel.getByLabel('Enabled').uncheck();
    await panel.getByRole('button', { name: 'Save webhook' }).click();
    await row.getByText('sla.breached').waitFor();
    expect(await list(token)).toEqual([
      expect.objectContaining({ events: ['sla.breached'], enabled: false }) as unknown,
    ]);

    // The delivery log (empty), and a new secret shown once.
    await row.getByRole('button', { name: 'Deliveries' }).click();
    await panel.locator('#webhook-log').getByText('Nothing delivered yet.').waitFor();
    await row.getByRole('button', { name: 'New secret' }).click();
    const rotated = (await panel.locator('#webhook-secret-value').textContent()) ?? '';
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);

    expect(await accessibilityProblems(page)).toEqual([]);
    await row.getByRole('button', { name: 'Delete' }).click();
    await panel.getByText('No webhooks yet.').waitFor();
    expect(await list(token)).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});
