/**
 * The Temporal Web UI, in a real headless Chromium, shows a multi-agent run the way we promise: the workflow's
 * summary and the activities' summaries (User Metadata tab and the event-history timeline). Saves screenshots to
 * docs/ and the test's temp dir. Skips, saying why, only when /usr/bin/chromium is absent.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun, webUiLink, type RunOutcome } from '../src/runtime/runs';
import { findFreePort } from '../src/temporal/dev-server';

const CHROMIUM = '/usr/bin/chromium';
const DOCS = path.join(__dirname, '..', 'docs');
const SUMMARY = 'Team cookbook: Bug Busters';
const WAIT = { timeout: 90_000 };
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium)`;

describe('Temporal Web UI in headless Chromium', { skip }, () => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let outcome: RunOutcome;
  let url: string;
  let shots: string;
  const started = Date.now();

  before(async () => {
    shots = await mkdtemp(path.join(tmpdir(), 'dca-webui-'));
    stack = await startLocalStack({ uiPort: await findFreePort(), scripted: { latency: { codexMs: 150 } } });
    const handle = await startRun(stack.client, {
      kind: 'multi',
      input: { taskList: await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8') },
      workflowId: `webui-${Date.now()}`,
      taskQueue: stack.taskQueue,
    });
    outcome = await finishRun(handle);
    url = webUiLink(stack.server.uiUrl, stack.namespace, handle.workflowId) ?? assert.fail('the stack has a Web UI');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(WAIT.timeout);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows the activity summaries on the workflow page and in the event-history timeline', async (t) => {
    assert.equal(outcome.ok, true, outcome.error);
    await page.goto(url, { waitUntil: 'domcontentloaded', ...WAIT });
    await page.getByText('Event History').first().waitFor({ state: 'visible' });
    // The timeline labels each activity bar "<type> • <summary>".
    for (const label of [
      'codexCall • Frontend Developer: Codex call 1',
      'codexCall • Backend Developer: Codex call 1',
    ]) {
      await page.getByText(label, { exact: true }).first().waitFor({ state: 'visible' });
    }
    // The picture for the docs: the event-history timeline, where the two branches run side by side.
    // The page scrolls inside its own container, so a tall viewport brings the whole timeline into view.
    await page.setViewportSize({ width: 1400, height: 1900 });
    await page.waitForTimeout(1000);
    const heading = await page.getByText('Event History').first().boundingBox();
    assert.ok(heading);
    // The timeline scrolls on its own (newest first): bring the parallel Codex calls to its middle.
    await page.mouse.move(700, heading.y + 200);
    await page.mouse.wheel(0, 180);
    await page.waitForTimeout(800);
    await screenshot(page, shots, 'webui.png', { x: 60, y: Math.max(0, heading.y - 4), width: 1340, height: 412 });
    await page.setViewportSize({ width: 1400, height: 1000 });
    t.diagnostic(`screenshots in ${shots} and ${DOCS}`);
  });

  it("shows the workflow's summary under User Metadata and every activity summary on the timeline", async (t) => {
    await page.getByTestId('user-metadata-tab').click();
    await page.waitForURL(/\/user-metadata$/, WAIT);
    // The UI renders user metadata as Markdown inside sandboxed iframes.
    await waitForFrameText(page, SUMMARY);
    // UI 2.54 (Temporal CLI 1.9.1) dropped the "Events with Metadata" heading; the summaries themselves are the promise.
    // UI 2.54 (Temporal CLI 1.9.1) lists only the workflow's metadata here; the activity summaries are on the
    // timeline, where every role's are checked next.
    await page.goto(url, { waitUntil: 'domcontentloaded', ...WAIT });
    await page.getByText('Event History').first().waitFor({ state: 'visible' });
    // The timeline renders only the bars in view (newest first): scroll it down towards the first steps.
    const missing = new Set(
      (outcome.result?.state.steps ?? []).flatMap((step) => [
        `codexCall • ${step.title}: Codex call 1`,
        `modelTurn • ${step.title}: model turn 1`,
      ]),
    );
    assert.equal(missing.size, 2 * (outcome.result?.state.steps.length ?? 0));
    assert.ok(missing.size >= 10, 'the cookbook team: five roles');
    const heading = await page.getByText('Event History').first().boundingBox();
    assert.ok(heading);
    for (let i = 0; i < 60 && missing.size > 0; i++) {
      for (const label of [...missing]) {
        if ((await page.getByText(label, { exact: true }).count()) > 0) missing.delete(label);
      }
      if (missing.size === 0) break;
      await page.mouse.move(700, heading.y + 200);
      await page.mouse.wheel(0, 300);
      await page.waitForTimeout(250);
    }
    assert.deepEqual([...missing], [], "every role's summaries appear on the timeline");
    await screenshot(page, shots, 'webui-metadata.png');
    t.diagnostic(`browser test took ${((Date.now() - started) / 1000).toFixed(1)} s including the run`);
  });

  it("parses the run's timeline.svg as XML in the browser", async () => {
    const svg = await readFile(outcome.reportPaths?.timeline ?? assert.fail('a timeline was written'), 'utf8');
    const parsed = await page.evaluate((text) => {
      const { DOMParser } = globalThis as unknown as {
        DOMParser: new () => { parseFromString(t: string, m: string): MiniDoc };
      };
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return {
        error: doc.getElementsByTagName('parsererror')[0]?.textContent ?? null,
        roles: [...doc.querySelectorAll('g.role')].map((g) => g.getAttribute('data-role')),
      };
    }, svg);
    assert.equal(parsed.error, null);
    assert.deepEqual(parsed.roles, ['project_manager', 'designer', 'frontend', 'backend', 'tester']);
  });
});

interface MiniDoc {
  getElementsByTagName(name: string): ArrayLike<{ textContent: string | null }>;
  querySelectorAll(selector: string): Iterable<{ getAttribute(name: string): string | null }>;
}

/** Waits until some frame of the page shows `text`. */
async function waitForFrameText(page: Page, text: string): Promise<void> {
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    for (const frame of page.frames()) {
      const body = await frame
        .locator('body')
        .innerText({ timeout: 1000 })
        .catch(() => '');
      if (body.includes(text)) return;
    }
    if (Date.now() > deadline) assert.fail(`no frame shows "${text}"`);
    await page.waitForTimeout(500);
  }
}

async function screenshot(
  page: Page,
  dir: string,
  name: string,
  clip?: { x: number; y: number; width: number; height: number },
): Promise<void> {
  const file = path.join(dir, name);
  await page.screenshot({ path: file, clip });
  await mkdir(DOCS, { recursive: true });
  await copyFile(file, path.join(DOCS, name));
}
