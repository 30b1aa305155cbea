import { describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { escapeHtml, renderHtml } from '../../src/report/html.js';
import { brnfAnalysis, emptyAnalysis, hostileAnalysis, ipv6Analysis, XSS_ATTR, XSS_SCRIPT } from './fixture.js';

describe('html report', () => {
  const html = renderHtml(brnfAnalysis());

  test('escapeHtml escapes & < > " \'', () => {
    expect(escapeHtml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&#39;f');
    expect(escapeHtml(XSS_ATTR)).not.toMatch(/[<>"']/);
  });

  test('hostile capture strings come out inert: no tag or attribute escapes', () => {
    const h = renderHtml(hostileAnalysis());
    expect(h).not.toContain(XSS_SCRIPT);
    expect(h).not.toContain(XSS_ATTR);
    expect(h).not.toContain('<img');
    expect(h).not.toMatch(/onerror=["']?document/);
    // Exactly one <script> element: the report's own filter script.
    expect(h.match(/<script\b/gi)).toHaveLength(1);
    expect(h).toContain('&lt;script&gt;document.title=&#39;pwned&#39;;alert(1)&lt;/script&gt;');
    expect(h).toContain('&quot;&gt;&lt;img src=x onerror=&quot;document.title=&#39;pwned&#39;;alert(1)&quot;&gt;');
    // Also inside the SVG (the hostile evidence endpoint becomes a lane title and tooltip).
    const svg = h.slice(h.indexOf('<svg'), h.indexOf('</svg>'));
    expect(svg).toContain('&quot;&gt;&lt;img src=x');
    expect(svg).not.toContain('<img');
  });

  test('self-contained: no external loads, CSP allowing only the inline script (by hash) and inline style', () => {
    for (const h of [html, renderHtml(hostileAnalysis()), renderHtml(emptyAnalysis())]) {
      expect(h).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
      expect(h).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//i);
      expect(h).not.toMatch(/<link\b/i);
      expect(h).not.toMatch(/<(iframe|object|embed|img)\b/i);
    }
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    expect(csp).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
  });

  test('summary, inputs with warnings, findings with badge, explanation, remediation <pre>', () => {
    expect(html).toContain('<title>rstdiag report: 1 finding</title>');
    expect(html).toContain('<span class="badge error">error</span> F1');
    expect(html).toContain('<pre class="remediation">modprobe br_netfilter\n');
    expect(html).toContain('br_netfilter is not loaded');
    const h = renderHtml(hostileAnalysis());
    expect(h).toMatch(/<ul class="warnings"><li class="warn">⚠ damaged record at byte 4096: &lt;script&gt;/);
    expect(h).toContain('truncated: the report covers what was read');
    expect(renderHtml(emptyAnalysis())).toContain('No findings: no resets or failed connections to explain');
  });

  test('SVG ladder: lanes for client, Service, backend; one arrow per packet; DNAT marked', () => {
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6);
    for (const lane of ['client', 'Service', 'backend', '10.244.0.2:41234', '10.96.0.10:80', '10.244.0.3:8080']) {
      expect(svg).toContain(`>${lane}</text>`);
    }
    expect(svg.match(/marker-end=/g)).toHaveLength(5);
    expect(svg).toContain('>SYN seq=0</text>');
    expect(svg).toContain('>SYN,ACK seq=0 ack=1</text>');
    expect(svg).toContain('stroke-dasharray="7 5"');
    expect(svg).toContain('>DNAT</text>');
    expect(svg).toContain('>no reverse NAT</text>');
  });

  test('ICMP from another address gets a node lane', () => {
    const h = renderHtml(ipv6Analysis());
    expect(h).toContain('>node</text>');
    expect(h).toContain('>fd00:10:244::1</text>');
    expect(h).toContain('>ICMP port-unreachable</text>');
  });

  test('connection table with a filter input', () => {
    expect(html).toContain('<input id="conn-filter" type="search"');
    expect(html.slice(html.indexOf('<table id="conn-table"')).match(/<tr>/g)).toHaveLength(1 + 3);
    expect(renderHtml(ipv6Analysis())).not.toContain('id="conn-filter"');
  });
});
