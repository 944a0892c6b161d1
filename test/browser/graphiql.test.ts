// GraphiQL at /graphql as an operator on a boat's network opens it: the browser reaches the
// service and nothing else. It must render from the service's own files (SPEC §11), open on
// the example operations, run one and show its result, with no console errors.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_OPERATIONS } from '../../src/graphql/examples.js';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { untilServer } from '../utils/wait.js';
import { DESKTOP, SHOTS, launch, onlyServices, pageErrors, until } from './browser.js';

let service: TestService;
let browser: Browser;
let context: BrowserContext;
let refused: string[];

const LINE = 'GraphiQL example line';

beforeAll(async () => {
  service = await startService(backends[0]!);
  // A stored log of vessel 1, which the example query reads.
  await service.publish(await service.publisher(), 1, 'raw_log', LINE);
  await untilServer(service, (s) => s.messagesStored === 1, 'the line stored');
  browser = await launch();
  context = await browser.newContext({ viewport: DESKTOP });
  refused = await onlyServices(context, () => [service.httpUrl]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
}, 60_000);

// Monaco draws only the visible lines, and spaces as U+00A0: compare with whitespace collapsed.
const QUERY_EDITOR = '.graphiql-query-editor .view-lines';
const RESPONSE = '.graphiql-response .view-lines';
const textOf = async (page: Page, selector: string) => (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ');

describe('GraphiQL at /graphql', () => {
  it('renders offline, opens on the example operations and runs one', async () => {
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${service.httpUrl}/graphql`);
    const firstOperation = /query (\w+)/.exec(EXAMPLE_OPERATIONS)![1]!;
    await until(
      page,
      `the editor to show query ${firstOperation}`,
      ({ editor, name }) => document.querySelector(editor)?.textContent?.replace(/\s+/g, ' ').includes(`query ${name} {`),
      { editor: QUERY_EDITOR, name: firstOperation },
    );
    const shown = await textOf(page, QUERY_EDITOR);
    expect(shown).not.toMatch(/Welcome to GraphiQL/i);
    expect(shown).toContain(/subscription (\w+)/.exec(EXAMPLE_OPERATIONS)![0]); // both examples, not only the first

    // Two operations in the document: the run button asks which one.
    await page.click('.graphiql-execute-button');
    await page.getByRole('menuitem', { name: firstOperation }).click();
    await until(page, 'a result', (response) => document.querySelector(response)?.textContent?.includes('"data"'), RESPONSE);
    const result = await textOf(page, RESPONSE);
    expect(result).toContain(`"message": "${LINE}"`);
    expect(result).not.toContain('"errors"');
    await page.screenshot({ path: new URL('graphiql.png', SHOTS).pathname, fullPage: true });

    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  }, 90_000);
});
