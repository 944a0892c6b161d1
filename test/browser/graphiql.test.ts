// GraphiQL at /graphql as an operator on a boat's network opens it: the browser reaches the
// service and nothing else. It renders from the service's own files under its own
// Content-Security-Policy (SPEC §11), opens on the example operations, runs the query and the
// subscription and shows their results, with no console errors and no policy violation.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_OPERATIONS } from '../../src/graphql/examples.js';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { untilServer } from '../utils/wait.js';
import { DESKTOP, SHOTS, launch, onlyServices, pageErrors, until } from './browser.js';

const STORED_LINE = 'GraphiQL example line';
const LIVE_LINE = 'GraphiQL live line';
const QUERY = /^query (\w+)/m.exec(EXAMPLE_OPERATIONS)![1]!;
const SUBSCRIPTION = /^subscription (\w+)/m.exec(EXAMPLE_OPERATIONS)![1]!;

// Monaco draws only the visible lines, and spaces as U+00A0: compared with whitespace collapsed.
const QUERY_EDITOR = '.graphiql-query-editor .view-lines';
const RESPONSE = '.graphiql-response .view-lines';
const textOf = async (page: Page, selector: string) => (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ');
const showing = (page: Page, selector: string, text: string) =>
  until(page, `${selector} to show ${text}`, ({ s, t }) => document.querySelector(s)?.textContent?.replace(/\s+/g, ' ').includes(t), { s: selector, t: text });

let service: TestService;
let browser: Browser;
let context: BrowserContext;
let refused: string[];

beforeAll(async () => {
  service = await startService(backends[0]!);
  // A stored log of vessel 1, the vessel the example operations read.
  await service.publish(await service.publisher(), 1, 'raw_log', STORED_LINE);
  await untilServer(service, (s) => s.messagesStored === 1, 'the line stored');
  browser = await launch();
  context = await browser.newContext({ viewport: DESKTOP });
  refused = await onlyServices(context, () => [service.httpUrl]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
}, 60_000);

/** Runs one of the document's operations: with two in it, the run button asks which. */
async function run(page: Page, operation: string): Promise<void> {
  await page.click('.graphiql-execute-button');
  await page.getByRole('menuitem', { name: operation }).click();
}

describe('GraphiQL at /graphql', () => {
  it('renders offline, opens on the example operations and runs them', async () => {
    const page = await context.newPage();
    const errors = pageErrors(page);
    // What the page's policy blocks, inline scripts and workers included.
    await page.addInitScript(() => {
      (window as unknown as { violations: string[] }).violations = [];
      document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { violations: string[] }).violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const response = await page.goto(`${service.httpUrl}/graphql`);
    expect(response?.headers()['content-security-policy']).not.toMatch(/https?:|\*/); // no other host

    await showing(page, QUERY_EDITOR, `query ${QUERY} {`);
    const shown = await textOf(page, QUERY_EDITOR);
    expect(shown).not.toMatch(/Welcome to GraphiQL/i);
    expect(shown).toContain(`subscription ${SUBSCRIPTION} {`);

    await run(page, QUERY);
    await showing(page, RESPONSE, `"message": "${STORED_LINE}"`);
    expect(await textOf(page, RESPONSE)).not.toContain('"errors"');
    await page.screenshot({ path: new URL('graphiql.png', SHOTS).pathname, fullPage: true });

    await run(page, SUBSCRIPTION);
    await untilServer(service, (s) => s.activeSubscriptions === 1, 'the subscription registered');
    await service.publish(await service.publisher(), 1, 'raw_log', LIVE_LINE);
    await showing(page, RESPONSE, `"message": "${LIVE_LINE}"`);

    expect(page.workers().length).toBeGreaterThan(0); // Monaco's editor workers, from blob: URLs
    expect(await page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([]);
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  }, 90_000);
});
