/**
 * Hand-made Analysis objects for the renderer tests, shaped like a real br_netfilter finding
 * from a node capture: client 10.244.0.2:41234 dials the Service 10.96.0.10:80, kube-proxy DNATs
 * to the backend 10.244.0.3:8080 on the same bridge, the SYN-ACK comes back untranslated and the
 * client resets it, then retransmits its SYN.
 */
import type { Analysis, FindingWithEvidence } from '../../src/report/types.js';
import type { EvidencePacket } from '../../src/rules/types.js';
import { buildCauses } from '../../src/report/causes.js';
import { causeKey } from '../../src/rules/roll-up.js';

const T0 = 1_717_000_000;

function ev(frame: number, usec: number, from: string, to: string, label: string, relSeq: number | null, relAck: number | null, note: string, copies: number[] = []): EvidencePacket {
  return { frame, sec: T0 + Math.floor(usec / 1e6), nsec: (usec % 1e6) * 1000, from, to, label, relSeq, relAck, len: 0, note, copies };
}

const BR_NETFILTER_REMEDIATION = [
  'modprobe br_netfilter',
  'echo br_netfilter > /etc/modules-load.d/k8s.conf   # load it at every boot',
  'sysctl -w net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1',
  "printf 'net.bridge.bridge-nf-call-iptables = 1\\nnet.bridge.bridge-nf-call-ip6tables = 1\\n' > /etc/sysctl.d/k8s.conf",
  'lsmod | grep br_netfilter; sysctl net.bridge.bridge-nf-call-iptables   # verify: module listed, value 1',
];

export function brnfFinding(): FindingWithEvidence {
  const client = '10.244.0.2:41234';
  const service = '10.96.0.10:80';
  const backend = '10.244.0.3:8080';
  return {
    id: 'F1',
    rule: 'unreversed-dnat',
    messageId: 'reset',
    detectors: [],
    data: { sameBridge: true },
    causeKey: 'unreversed-dnat|error|true',
    causeId: 'C1',
    ruledOut: [],
    severity: 'error',
    confidence: 0.98,
    client,
    server: service,
    backend,
    resetBy: 'client',
    resetSender: '10.244.0.2',
    count: 1,
    frames: [1, 2, 3, 4, 5],
    firstTime: '2024-05-29T16:26:40.000000000Z',
    lastTime: '2024-05-29T16:26:41.012000000Z',
    summary: `10.244.0.2 → Service ${service}: SYN-ACK came back from backend ${backend} untranslated; the client reset it (1 attempt)`,
    explanation: `10.244.0.2 dialled the Service address ${service} (frame 1). The node translated the SYN to the backend ${backend} (DNAT, same ISN). ` +
      `The SYN-ACK that answers it (it acknowledges the SYN's ISN + 1) came from ${backend} (frame 3), not from ${service}: the reply was not translated back. ` +
      `The client's kernel has no socket for ${backend}, so it reset that SYN-ACK (frame 4); its real socket, still in SYN_SENT to ${service}, drops the stray SYN-ACK and retransmits the SYN, so the application sees a connect timeout, not "connection reset". ` +
      "Client and backend are on the same pod subnet: the reply was bridged between two ports of the node's bridge without passing iptables/conntrack — br_netfilter is not loaded or net.bridge.bridge-nf-call-iptables is 0.",
    remediation: BR_NETFILTER_REMEDIATION,
    docs: 'docs/rules/unreversed-dnat.md',
    displayFilter: 'frame.number in {1..5}',
    evidence: [
      ev(1, 0, client, service, 'SYN', 0, null, 'client dials the Service address'),
      ev(2, 41, client, backend, 'SYN', 0, null, `translated copy: DNAT ${service} → ${backend}`),
      ev(3, 97, backend, client, 'SYN,ACK', 0, 1, `from the backend, not ${service}: reverse NAT skipped`),
      ev(4, 120, client, backend, 'RST', 1, null, 'client kernel resets a SYN-ACK from an address it never called'),
      ev(5, 1_012_000, client, service, 'SYN', 0, null, 'SYN retransmission: the client is still waiting'),
    ],
  };
}

/** A finding as the JSON report has it (without the renderers' fields). */
function reported(f: FindingWithEvidence): Analysis['report']['findings'][number] {
  const { evidence: _e, messageId: _m, detectors: _d, data: _data, causeKey: _k, causeId: _c, ...report } = f;
  return report;
}

/** The report's causes, from its findings (as buildAnalysis makes them). */
function withCauses(a: Analysis): Analysis {
  a.report.causes = buildCauses(a.findings, []);
  return a;
}

export function brnfAnalysis(): Analysis {
  const f = brnfFinding();
  const report = reported(f);
  return withCauses({
    report: {
      schemaVersion: 1,
      tool: { name: 'rstdiag', version: '0.1.0' },
      inputs: [{
        path: 'samples/brnf-off/node-any.pcap', format: 'pcap', linkTypes: [276], packets: 23, bytes: 2140,
        firstTime: '2024-05-29T16:26:39.500000000Z', lastTime: '2024-05-29T16:26:42.000000000Z', truncated: false, warnings: [],
      }],
      summary: { packets: 23, tcpPackets: 21, connections: 3, resets: 1, findingsByRule: { 'unreversed-dnat': 1 } },
      causes: [],
      findings: [report],
      connections: [
        {
          id: 1, orig: '10.244.0.2:41234', resp: '10.96.0.10:80', start: '2024-05-29T16:26:40.000000000Z', duration: 1.012,
          origPackets: 2, origBytes: 0, respPackets: 0, respBytes: 0, state: 'S0', history: 'S',
          nat: { role: 'original', peer: '10.244.0.2:41234 → 10.244.0.3:8080' }, findings: ['F1'],
        },
        {
          id: 2, orig: '10.244.0.2:41234', resp: '10.244.0.3:8080', start: '2024-05-29T16:26:40.000041000Z', duration: 0.000079,
          origPackets: 2, origBytes: 0, respPackets: 1, respBytes: 0, state: 'RSTOS0', history: 'ShR',
          nat: { role: 'translated', peer: '10.244.0.2:41234 → 10.96.0.10:80' }, findings: ['F1'],
        },
        {
          id: 3, orig: '10.244.0.2:41300', resp: '10.244.0.3:8080', start: '2024-05-29T16:26:41.500000000Z', duration: 0.0031,
          origPackets: 5, origBytes: 78, respPackets: 4, respBytes: 412, state: 'SF', history: 'ShADadFf',
          nat: null, findings: [],
        },
      ],
    },
    findings: [f],
    translations: [{ from: '10.96.0.10:80', to: '10.244.0.3:8080', kind: 'dnat', connections: 1 }],
  });
}

export const XSS_SCRIPT = "<script>document.title='pwned';alert(1)</script>";
export const XSS_ATTR = "\"><img src=x onerror=\"document.title='pwned';alert(1)\">";

/** The same report with hostile strings wherever the capture can put text. */
export function hostileAnalysis(): Analysis {
  const a = brnfAnalysis();
  const input = a.report.inputs[0]!;
  input.path = `captures/${XSS_ATTR}.pcap`;
  input.warnings = [`damaged record at byte 4096: ${XSS_SCRIPT}`, `odd link type ${XSS_ATTR}`];
  input.truncated = true;
  const f = a.findings[0]!;
  f.summary = `${f.summary} ${XSS_SCRIPT}`;
  f.explanation = `${f.explanation} ${XSS_ATTR} ${XSS_SCRIPT} & more | pipes; #hash`;
  f.remediation = [...f.remediation, `echo '${XSS_SCRIPT}'`];
  f.evidence[0]!.note = XSS_SCRIPT;
  f.evidence[2]!.note = XSS_ATTR;
  f.evidence[3]!.from = `${XSS_ATTR}`;
  a.report.findings[0]!.summary = f.summary;
  a.report.findings[0]!.explanation = f.explanation;
  a.report.connections![2]!.history = XSS_SCRIPT;
  a.translations[0]!.to = XSS_ATTR;
  return withCauses(a);
}

/** An IPv6 variant: colons in every address (mermaid's separator), ICMP from the node. */
export function ipv6Analysis(): Analysis {
  const client = '[fd00:10:244::2]:41234';
  const service = '[fd00:10:96::a]:80';
  const node = 'fd00:10:244::1';
  const f: FindingWithEvidence = {
    ...brnfFinding(),
    id: 'F1', rule: 'icmp-rejected', severity: 'warning', confidence: 0.9,
    messageId: 'serviceWithoutEndpoints', data: { kind: 'port-unreachable', sender: node },
    client, server: service, backend: null, resetBy: 'middlebox', resetSender: node, count: 1, frames: [1, 2],
    summary: `Service ${service} has no endpoints; the node rejected the SYN (ICMPv6 port-unreachable)`,
    explanation: 'kube-proxy REJECT rule #1; no endpoints',
    remediation: ['kubectl get endpointslices -A | grep my-svc', 'Check the Service selector matches the pods\' labels.'],
    docs: 'docs/rules/icmp-rejected.md',
    evidence: [
      ev(1, 0, client, service, 'SYN', 0, null, ''),
      ev(2, 35, node, 'fd00:10:244::2', 'ICMP port-unreachable', null, null, `about ${client} → ${service}; #1`, [3]),
    ],
  };
  f.causeKey = causeKey(f);
  const a = brnfAnalysis();
  a.report.findings = [reported(f)];
  a.report.summary.findingsByRule = { 'icmp-rejected': 1 };
  delete a.report.connections;
  a.findings = [f];
  a.translations = [];
  return withCauses(a);
}

export function emptyAnalysis(): Analysis {
  const a = brnfAnalysis();
  a.report.findings = [];
  a.report.summary = { packets: 12, tcpPackets: 12, connections: 2, resets: 0, findingsByRule: {} };
  delete a.report.connections;
  a.findings = [];
  a.translations = [];
  return withCauses(a);
}
