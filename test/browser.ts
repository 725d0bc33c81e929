import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Debian's chromium (NN2EQ_CHROMIUM to use another). */
export const CHROMIUM = process.env.NN2EQ_CHROMIUM || '/usr/bin/chromium';

/** Why the tests that need Chromium cannot run, or null. */
export const chromiumSkip = spawnSync(CHROMIUM, ['--version']).status === 0 ? null : `chromium not found at ${CHROMIUM}; apt-get install -y chromium`;

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/**
 * One headless Chromium for a whole test file (starting one costs about a second and a half of
 * CPU), driven over the DevTools protocol on a pipe: each page is loaded in a new tab, then its DOM
 * is read or a screenshot taken, as `chromium --dump-dom` and `chromium --screenshot` would.
 */
export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners: ((m: Json) => void)[] = [];
  private buffer = '';
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    const out = child.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Json;
        this.buffer = this.buffer.slice(end + 1);
        const p = message.id !== undefined ? this.pending.get(message.id) : undefined;
        if (p) {
          this.pending.delete(message.id);
          if (message.error) p.reject(new Error(`chromium: ${p.method}: ${message.error.message}`));
          else p.resolve(message.result);
        } else for (const l of [...this.listeners]) l(message);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => void (this.stderr = (this.stderr + chunk).slice(-4000)));
    child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${signal ?? code}) during ${p.method}: ${this.stderr}`));
      this.pending.clear();
    });
  }

  static launch(): Browser {
    const profile = mkdtempSync(join(tmpdir(), 'nn2eq-chromium-'));
    // Its own process group, so that close() can end its helper processes (zygote, renderers) too.
    const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
    return new Browser(child, profile);
  }

  private send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      (this.child.stdio[3] as Writable).write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  private event(sessionId: string, method: string): Promise<Json> {
    return new Promise((resolve) => {
      const l = (m: Json) => {
        if (m.sessionId !== sessionId || m.method !== method) return;
        this.listeners.splice(this.listeners.indexOf(l), 1);
        resolve(m.params);
      };
      this.listeners.push(l);
    });
  }

  /**
   * Opens `url` in a new tab of `width`×`height` CSS pixels, waits for its load event (and its fonts,
   * as a page that measures itself does), runs `fn` with the tab, and closes it.
   */
  async withPage<T>(url: string, width: number, height: number, fn: (evaluate: (expr: string) => Promise<Json>, screenshot: (png: string) => Promise<void>) => Promise<T>): Promise<T> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    try {
      await this.send('Page.enable', {}, sessionId);
      await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
      const loaded = this.event(sessionId, 'Page.loadEventFired');
      const nav = await this.send('Page.navigate', { url }, sessionId);
      if (nav.errorText) throw new Error(`chromium could not load ${url}: ${nav.errorText}`);
      await loaded;
      const evaluate = async (expression: string) => {
        const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
        if (r.exceptionDetails) throw new Error(`chromium: ${expression}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value;
      };
      await evaluate('document.fonts.ready.then(() => new Promise((r) => setTimeout(r, 0)))');
      const screenshot = async (png: string) => {
        const { data } = await this.send('Page.captureScreenshot', { format: 'png' }, sessionId);
        writeFileSync(png, Buffer.from(data, 'base64'));
      };
      return await fn(evaluate, screenshot);
    } finally {
      await this.send('Target.closeTarget', { targetId }).catch(() => undefined);
    }
  }

  /** The page's DOM after it loaded, as `chromium --dump-dom` prints it. */
  dumpDom(url: string, width = 800, height = 600): Promise<string> {
    return this.withPage(url, width, height, (evaluate) => evaluate('document.documentElement.outerHTML'));
  }

  /** A PNG of the page's first `width`×`height` pixels, as `chromium --screenshot --window-size=width,height` writes it. */
  screenshot(url: string, png: string, width: number, height: number): Promise<void> {
    return this.withPage(url, width, height, (_evaluate, shot) => shot(png));
  }

  async close(): Promise<void> {
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const alive = () => this.child.exitCode === null && this.child.signalCode === null;
    const exited = new Promise((r) => this.child.once('exit', r));
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-this.child.pid!, signal);
      } catch {
        // The group has ended already.
      }
    };
    await Promise.race([this.send('Browser.close').catch(() => undefined), wait(5000)]);
    if (alive()) {
      group('SIGTERM');
      await Promise.race([exited, wait(3000)]);
    }
    if (alive()) {
      group('SIGKILL');
      await Promise.race([exited, wait(2000)]);
    }
    // Whatever helper of its group is left, and the pipes: none may keep this test file's worker alive
    // (emit-html's worker once outlived its tests by 90 s, and the run waited for it).
    group('SIGKILL');
    for (const stream of this.child.stdio) stream?.destroy();
    this.child.unref();
    // Chromium's helper processes may still write into the profile for a moment after the browser
    // exits (ENOTEMPTY seen twice, once after 2 s of retries): retry the removal for up to 6 s, and
    // if a helper still holds it, say so and leave the temporary folder: cleaning up is no check.
    try {
      rmSync(this.profile, { recursive: true, force: true, maxRetries: 30, retryDelay: 200 });
    } catch (e) {
      process.stderr.write(`browser.ts: left the temporary profile ${this.profile} (${(e as Error).message})\n`);
    }
  }
}
