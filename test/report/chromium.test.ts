/**
 * Renders the HTML report in a real headless Chromium: screenshot + --dump-dom. Skips when
 * /usr/bin/chromium is absent (install: apt-get install -y --no-install-recommends chromium).
 */
import { describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtml } from '../../src/report/html.js';
import { brnfAnalysis, hostileAnalysis, XSS_SCRIPT } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = resolve('test-output');

function chromium(args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), 'rstdiag-chromium-'));
  try {
    return execFileSync(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', `--user-data-dir=${profile}`, ...args,
    ], { encoding: 'utf8', timeout: 45_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

function write(name: string, html: string): string {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, name);
  writeFileSync(path, html);
  return pathToFileURL(path).href;
}

describe.skipIf(!existsSync(CHROMIUM))('html report in headless chromium', () => {
  test('renders: screenshot taken, findings text and SVG lanes in the DOM, filter script ran', () => {
    const url = write('report.html', renderHtml(brnfAnalysis()));
    const png = join(OUT, 'report.png');
    rmSync(png, { force: true });
    chromium([`--screenshot=${png}`, '--window-size=1280,2000', '--hide-scrollbars', url]);
    expect(statSync(png).size).toBeGreaterThan(10_000);
    const dom = chromium(['--dump-dom', url]);
    expect(dom).toContain('<title>rstdiag report: 1 finding</title>');
    expect(dom).toContain('SYN-ACK came back from backend 10.244.0.3:8080 untranslated');
    expect(dom).toContain('<svg');
    for (const lane of ['client', 'Service', 'backend']) expect(dom).toContain(`>${lane}</text>`);
    expect(dom).toContain('>SYN seq=0</text>');
    expect(dom).toContain('>DNAT</text>');
    // The only script (allowed by its CSP hash) ran and filled the row count.
    expect(dom).toMatch(/<html[^>]* data-js="ready"/);
    expect(dom).toContain('3 of 3 connections');
  });

  test('the connection filter hides rows that do not match (prefilled from #filter=)', () => {
    const url = write('report.html', renderHtml(brnfAnalysis()));
    const dom = chromium(['--dump-dom', `${url}#filter=RSTOS0`]);
    expect(dom).toContain('1 of 3 connections');
    const rows = dom.slice(dom.indexOf('<tbody>', dom.indexOf('id="conn-table"'))).match(/<tr( hidden="")?>/g) ?? [];
    expect(rows).toEqual(['<tr hidden="">', '<tr>', '<tr hidden="">']);
  });

  test('injected markup stays text: the injected script does not run', () => {
    // Control: the same payload unescaped does run in this browser, so the check below means something.
    // (Without its alert(): a dialog would hold headless Chromium until the timeout.)
    const payload = XSS_SCRIPT.replace(';alert(1)', '');
    const control = write('control.html', `<!DOCTYPE html><html><head><title>control</title></head><body>${payload}</body></html>`);
    expect(chromium(['--dump-dom', control])).toContain('<title>pwned</title>');

    const url = write('report-hostile.html', renderHtml(hostileAnalysis()));
    const dom = chromium(['--dump-dom', url]);
    expect(dom).toContain('<title>rstdiag report: 1 finding</title>');
    expect(dom).not.toContain('<title>pwned</title>');
    expect(dom).not.toMatch(/<img\b/i);
    expect(dom.match(/<script\b/gi)).toHaveLength(1);
    // The payloads are visible as text (in warnings, notes, SVG lane titles).
    expect(dom).toContain('&lt;script&gt;document.title=\'pwned\';alert(1)&lt;/script&gt;');
    expect(dom).toContain('"&gt;&lt;img src=x onerror="document.title=\'pwned\';alert(1)"&gt;');
  });
});
