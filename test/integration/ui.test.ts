// The status pages in a real headless browser (Debian's Chromium through playwright-core) against
// a real `kamaitachi cluster up`: the gateway page loads without a console error, shows both
// slaves, shows a killed slave as out of the ring within 3 s, and says so plainly when nothing can
// be reached; a data node's page shows its cache and top subjects. A missing Chromium fails the
// suite: .ci/run installs it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BUNDLE, SNAPSHOT, http, pidAlive, postJson as post, waitFor } from '../helpers';

const CHROMIUM = process.env.KMT_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Cluster {
  readonly proc: ChildProcess;
  readonly gateway: string;
  readonly slaves: string[];
  /** Child PIDs in banner order: master, slave1, slave2, gateway. */
  readonly pids: number[];
  readonly stdout: string;
}

async function clusterUp(dir: string): Promise<Cluster> {
  const args = ['cluster', 'up', '--master-port', '0', '--slave-base-port', '0', '--gateway-port', '0', '--stocks', '200', '--db', join(dir, 'finance.db'), '--data-dir', join(dir, 'cluster')];
  const proc = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  await waitFor(() => out.includes('READY ') || proc.exitCode !== null, 'the READY line of cluster up', 90_000);
  const line = out.split('\n').find((l) => l.startsWith('READY '));
  assert.ok(line, `cluster up did not start: ${err}`);
  const ready = JSON.parse(line.slice('READY '.length)) as { gateway: string; slaves: string[] };
  const pids = [...out.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
  return { proc, gateway: ready.gateway, slaves: ready.slaves, pids, stdout: out };
}

/** Chromium with a throw-away profile; fails (never skips) when the browser is missing. */
async function launchBrowser(profile: string): Promise<BrowserContext> {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: the status page tests need it (apt-get install chromium; .ci/run does this)`);
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1366, height: 900 } });
}

/** Every console error and uncaught exception of the page. */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return errors;
}

const stateOf = (page: Page, id: string): Promise<string | null> => page.getAttribute(`tr[data-member="${id}"]`, 'data-state', { timeout: 1000 }).catch(() => null);

describe('status pages in a browser', () => {
  let dir: string;
  let cluster: Cluster;
  let browser: BrowserContext;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kmt-ui-'));
    cluster = await clusterUp(dir);
    browser = await launchBrowser(join(dir, 'chromium-profile'));
  });
  after(async () => {
    await browser?.close();
    if (cluster) {
      if (cluster.proc.exitCode === null && cluster.proc.signalCode === null) cluster.proc.kill('SIGKILL');
      for (const pid of cluster.pids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the status page address in the cluster banner', () => {
    assert.ok(cluster.stdout.includes(`status   ${cluster.gateway}/ui`), cluster.stdout);
  });

  it('shows both slaves of a started cluster, in the ring, without a console error', async () => {
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    const res = await page.goto(`${cluster.gateway}/ui`);
    assert.equal(res?.status(), 200);
    await page.waitForSelector('tr[data-member="slave1"][data-state="in_ring"]');
    await page.waitForSelector('tr[data-member="slave2"][data-state="in_ring"]');
    const rows = await page.$$eval('tr[data-member]', (trs) => trs.map((tr) => tr.getAttribute('data-member')));
    assert.deepEqual(rows, ['slave1', 'slave2']);
    // Both addresses the cluster reported are on the page, with a ring share each.
    const text = await page.textContent('#members');
    for (const url of cluster.slaves) assert.ok(text?.includes(url), `${url} not on the page`);
    assert.match(text ?? '', /\d+\.\d% /);
    // Traffic through the gateway shows up as requests/s.
    const subjects = (await http('GET', `${cluster.slaves[0]}/kamaitachi/api/data/v1/subjects?limit=20`)).json.data.subjects as string[];
    let sent = 0;
    await waitFor(
      async () => {
        for (let i = 0; i < 10; i++, sent++) assert.equal((await post(`${cluster.gateway}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: subjects[sent % 20] })).status, 200);
        const rps = (await page.textContent('#cards .card:nth-child(2) .value')) ?? '0';
        return Number(rps.replace(/,/g, '')) > 0;
      },
      'requests/s above zero on the page',
      15_000,
    );
    await page.waitForTimeout(1200);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("shows a data node's cache against its budget and its most requested subject", async () => {
    const slave = cluster.slaves[0];
    const subject = ((await http('GET', `${slave}/kamaitachi/api/data/v1/subjects?limit=1`)).json.data.subjects as string[])[0];
    // One request in 16 is counted at random: 300 requests leave the subject uncounted with odds of about 4e-9.
    for (let i = 0; i < 300; i++) assert.equal((await post(`${slave}${SNAPSHOT}`, { ids: 'net_profit', subjects: subject })).status, 200);
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${slave}/ui`);
    await page.waitForSelector(`#top tr[data-subject="${subject}"]`);
    assert.equal(await page.getAttribute('#top tbody tr:first-child', 'data-subject'), subject);
    const cards = (await page.textContent('#cards')) ?? '';
    assert.match(cards, /of 256 MiB/, 'the cache card shows the byte budget');
    assert.match((await page.textContent('#who')) ?? '', /slave · slave1/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows a killed slave as out of the ring within 3 s, and a clear message once nothing answers', async (t) => {
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${cluster.gateway}/ui`);
    await page.waitForSelector('tr[data-member="slave2"][data-state="in_ring"]');
    await page.waitForTimeout(1500);

    const killedAt = Date.now();
    process.kill(cluster.pids[2], 'SIGKILL');
    await page.waitForSelector('tr[data-member="slave2"]:not([data-state="in_ring"])', { timeout: 3000 });
    t.diagnostic(`slave2 shown as ${await stateOf(page, 'slave2')} ${Date.now() - killedAt} ms after SIGKILL`);
    assert.ok(['down', 'breaker_open', 'left'].includes((await stateOf(page, 'slave2')) ?? ''));
    assert.equal(await stateOf(page, 'slave1'), 'in_ring');
    await page.waitForSelector('#events li[data-kind="member_down"]');
    assert.match((await page.textContent('#alerts')) ?? '', /1 of 2 members not answering: slave2/);
    assert.deepEqual(errors, [], 'a dead member is no error of the page');

    process.kill(cluster.pids[1], 'SIGKILL');
    await page.locator('#alerts', { hasText: 'cannot reach any member' }).waitFor({ timeout: 5000 });

    process.kill(cluster.pids[3], 'SIGKILL');
    await page.locator('#lost', { hasText: 'Cannot reach the gateway' }).waitFor({ timeout: 5000 });
    await page.close();
  });
});
