/**
 * The dashboard on a server with API keys, in real Chromium: it asks for the key instead of showing raw
 * 401s, refuses a wrong one, keeps the right one in the tab's sessionStorage only (no localStorage, no
 * cookie), and forgets it on sign-out and in a new tab.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestService, type TestService } from '../http/helpers.ts';
import { launchChromium } from './browser.ts';

const KEY = 'dashboard-test-key-0123456789';

describe('dashboard login when API keys are set', () => {
  let svc: TestService;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  before(async () => {
    svc = await startTestService({ apiKeys: [KEY] });
    browser = await launchChromium();
    page = await browser.context.newPage();
  });
  after(async () => {
    await browser.close();
    await svc.close();
  });

  const readyAs = (what: string) => page.waitForSelector(`body[data-ready="${what}"]`, { timeout: 15_000 });

  test('the page loads and asks for a key; the API itself still needs one', async () => {
    await page.goto(`${svc.url}/#/jobs`);
    await readyAs('login');
    assert.ok(await page.isVisible('#login-form'));
    assert.equal(await page.locator('#page-error').count(), 0, 'no raw 401 shown');
    assert.equal((await fetch(`${svc.url}/v1/jobs`)).status, 401);
  });

  test('a wrong key is refused and the form stays', async () => {
    await page.fill('#api-key', 'not-the-key-at-all-xxxxxxxx');
    await page.click('#login-submit');
    await readyAs('login');
    await page.waitForSelector('#login-error');
    assert.match((await page.textContent('#login-error')) ?? '', /not accepted/);
  });

  test('the right key opens the pages and lives in sessionStorage only', async () => {
    await page.fill('#api-key', KEY);
    await page.click('#login-submit');
    await readyAs('jobs');
    assert.equal(await page.locator('#page-error').count(), 0);
    await page.click('nav a[href="#/teachers"]');
    await readyAs('teachers');
    assert.match((await page.textContent('#teachers-table')) ?? '', /tiny/);
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem('distillery-api-key'),
      local: localStorage.length,
      cookie: document.cookie,
    }));
    assert.deepEqual(stored, { session: KEY, local: 0, cookie: '' });
    assert.deepEqual(await browser.context.cookies(), []);
    // a reload keeps the tab's session; a new tab asks again
    await page.reload();
    await readyAs('teachers');
    const other = await browser.context.newPage();
    await other.goto(`${svc.url}/#/jobs`);
    await other.waitForSelector('body[data-ready="login"]', { timeout: 15_000 });
    await other.close();
  });

  test('sign out forgets the key', async () => {
    await page.click('#sign-out');
    await readyAs('login');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('distillery-api-key')), null);
  });
});
