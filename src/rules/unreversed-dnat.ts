import type { Connection, FindingDraft, Rule, RuleContext } from './types.js';
import { evidenceAcross, evidenceOf, groupBy, sortEvidence, synCopyNotes } from './evidence.js';
import { clientSynResends, isRst, isSynAck, isSynOnly } from './tcp.js';
import { BR_NETFILTER_REMEDIATION } from './remediation.js';
import type { FindingMessage } from './messages.js';
import type { NatLink } from '../nat/linker.js';
import ipaddr from 'ipaddr.js';
import { isDottedQuad } from '../decode/address.js';
import { Fact } from './facts.js';

interface Attempt {
  link: NatLink;
  original: Connection;
  translated: Connection;
  clientRst: boolean;
  /** The client's retransmission timer sent the SYN again. */
  retried: boolean;
}

/**
 * Client and backend on one node's pod subnet: the same /24 for IPv4 (the default per-node pod
 * range of kubeadm and Flannel), the same /64 for IPv6. A heuristic: it raises confidence and
 * picks the br_netfilter wording, it does not decide the finding.
 */
function sameNodeSubnet(a: string, b: string, version: 4 | 6): boolean {
  // Dotted quads as the decoder writes them: the same /24 is the same first three numbers.
  if (version === 4 && isDottedQuad(a) && isDottedQuad(b)) return a.slice(0, a.lastIndexOf('.')) === b.slice(0, b.lastIndexOf('.'));
  if (!ipaddr.isValid(a) || !ipaddr.isValid(b)) return false;
  const bits = version === 4 ? 24 : 64;
  const pa = ipaddr.parse(a);
  const pb = ipaddr.parse(b);
  return pa.kind() === pb.kind() && pa.match(pb, bits);
}

/** The two messages differ in what the client did with the untranslated SYN-ACK. */
function dnatMessage(clientDid: string, clientReaction: string): FindingMessage {
  return {
    summary: `{{clientAddr}} → Service {{service}}: SYN-ACK came back from backend {{backend}} untranslated; ${clientDid} ({{count|plural:attempt}})`,
    explanation: '{{clientAddr}} dialled the Service address {{service}} (frame {{synFrame|frame}}).'
      + '{{#sawCopy}} The node translated the SYN to the backend {{backend}} (DNAT, same ISN).{{/sawCopy}}'
      + ' The SYN-ACK that answers it (it acknowledges the SYN\'s ISN + 1{{#tsEcho}} and echoes its TCP timestamp{{/tsEcho}}) came from {{backend}}{{#synAckFrame}} (frame {{synAckFrame|frame}}){{/synAckFrame}}, not from {{service}}: the reply was not translated back.'
      + clientReaction
      + '{{#several}} This happened on {{count}} separate connection attempts.{{/several}}'
      + '{{#sameBridge}} Client and backend are on the same pod subnet: the reply was bridged between two ports of the node\'s bridge without passing iptables/conntrack — br_netfilter is not loaded or net.bridge.bridge-nf-call-iptables is 0.{{/sameBridge}}'
      + '{{^sameBridge}} The reply took a path that bypassed the conntrack entry that did the DNAT (asymmetric routing, or a bridge without br_netfilter).{{/sameBridge}}'
      + '{{#directFrame}} Direct connections from {{clientAddr}} to the backend {{backend}} succeed in this capture (frame {{directFrame|frame}}): only the Service path fails — the signature of this cause.{{/directFrame}}'
      + '{{#otherClient}} Clients elsewhere reach {{service}} fine (e.g. {{otherClient}}, frame {{otherFrame|frame}}): their replies are routed, so conntrack reverses the NAT.{{/otherClient}}'
      + ' kubeadm stopped checking br_netfilter in its preflight (v1.30), so new clusters meet this silently.',
  };
}

/**
 * SYN to S; SYN-ACK to the same client port from B ≠ S acking the SYN's ISN + 1; the client
 * resets it or keeps retrying. The reply skipped conntrack's reverse NAT.
 */
export const unreversedDnat: Rule = {
  meta: {
    id: 'unreversed-dnat',
    severity: 'error',
    title: 'SYN-ACK came back from the backend, not the Service address (reverse NAT skipped)',
    description: 'SYN to S; SYN-ACK to the same client port from B ≠ S acking the SYN\'s ISN + 1; the client resets it or keeps retrying.',
    docs: 'docs/rules/unreversed-dnat.md',
    messages: {
      reset: dnatMessage('the client reset it',
        ' The client\'s kernel has no socket for {{backend}}, so it reset that SYN-ACK{{#rstFrame}} (frame {{rstFrame|frame}}){{/rstFrame}}; its real socket, still in SYN_SENT to {{service}}, drops the stray SYN-ACK and retransmits the SYN, so the application sees a connect timeout, not "connection reset".'),
      retried: dnatMessage('the client kept retrying',
        ' The client ignored it and kept retransmitting the SYN: the application sees a connect timeout.'),
      acceptedNotRefused: '{{backend}} accepted the SYN: it answered with a SYN-ACK acknowledging the SYN\'s ISN + 1 (frame {{synAckFrame|frame}}), not with RST+ACK',
      answered: 'the SYN was answered: the SYN-ACK from {{backend}} acknowledging its ISN + 1 reached the client\'s port (frame {{synAckFrame|frame}}); {{#retried}}the client retransmitted anyway, waiting for an answer from {{service}}{{/retried}}{{^retried}}it was reset, not lost{{/retried}}',
    },
    // Its attempts start from the NAT links.
    appliesTo: [],
    yieldsTo: [],
    // One node's datapath skips the reverse NAT: one cause, however many clients and Services.
    rollUp: {
      by: ['data.sameBridge'],
      title: '{{#sameBridge}}br_netfilter off on this node: Service replies bridged without reverse NAT{{/sameBridge}}'
        + '{{^sameBridge}}Service replies bypass the reverse NAT (conntrack) on this node{{/sameBridge}}'
        + ' — {{clients|plural:client}}, {{servers|plural:Service}}, {{count|plural:attempt}}',
    },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const attempts: Attempt[] = [];
    for (const link of ctx.links) {
      if (!link.dnat) continue;
      const x = link.original;
      const y = link.translated;
      const clientIsn = x.dirs[0].isn;
      if (clientIsn < 0) continue;
      // The client never got a SYN-ACK from the address it dialled, nor data from it (a connection
      // whose translated SYN-ACK the capture lost still carries the Service's data)…
      if (x.dirs[1].synAckSeen || x.established || x.dirs[1].payloadBytes > 0) continue;
      // …but the backend's SYN-ACK for this very SYN reached the capture.
      const ySynAck = y.dirs[1].synAckSeen ? y.dirs[1] : null;
      if (ySynAck === null || ySynAck.synAckAck !== ((clientIsn + 1) >>> 0)) continue;
      const clientRst = y.events.some((e) => e.dir === 0 && isRst(e));
      // Retried: its retransmission timer sent the SYN again (a replayed or crafted copy is not the client waiting).
      const retried = clientSynResends(x).length > 0;
      if (!clientRst && !retried) continue;
      attempts.push({ link, original: x, translated: y, clientRst, retried });
    }
    // One finding per client address, Service and backend; each attempt (ISN) counts once.
    const groups = groupBy(attempts, (a) => `${a.original.orig.addr}|${a.original.resp.text}|${a.translated.resp.text}`);
    const findings: FindingDraft[] = [];
    // Established connections by server endpoint, built once (a filter per group was quadratic on
    // large captures); per server asked about, its first untranslated one from each client address.
    let established: Map<string, Connection[]> | null = null;
    const establishedTo = (server: string): Connection[] => {
      if (established === null) {
        established = new Map();
        for (const c of ctx.connections) {
          if (!c.established) continue;
          const list = established.get(c.resp.text);
          if (list) list.push(c);
          else established.set(c.resp.text, [c]);
        }
      }
      return established.get(server) ?? [];
    };
    const directByServer = new Map<string, Map<string, Connection>>();
    const directFirst = (server: string, clientAddr: string): Connection | undefined => {
      let byClient = directByServer.get(server);
      if (byClient === undefined) {
        byClient = new Map();
        for (const c of establishedTo(server)) if (c.natPeer === null && !byClient.has(c.orig.addr)) byClient.set(c.orig.addr, c);
        directByServer.set(server, byClient);
      }
      return byClient.get(clientAddr);
    };
    for (const group of groups) {
      const first = group[0]!;
      const client = first.original.orig;
      const service = first.original.resp;
      const backend = first.translated.resp;
      const conns: Connection[] = [];
      const evidence = [];
      for (const a of group) {
        conns.push(a.original, a.translated);
        ctx.claim(a.original);
        ctx.claim(a.translated);
        const isns = { client: a.original.dirs[0].isn, server: a.translated.dirs[1].isn };
        const notes = synCopyNotes(a.original, 'SYN retransmission: the client is still waiting');
        for (const ev of a.original.events) {
          if (isSynOnly(ev)) evidence.push(evidenceOf(a.original, ev, notes.get(ev) ?? 'client dials the Service address'));
        }
        for (const ev of a.translated.events) {
          if (isSynOnly(ev) && !ev.retransmit) evidence.push(evidenceAcross(a.translated, ev, isns, `translated copy: DNAT ${service.text} → ${backend.text}`));
          else if (isSynAck(ev)) evidence.push(evidenceAcross(a.translated, ev, isns, `from the backend, not ${service.text}: reverse NAT skipped`));
          else if (ev.dir === 0 && isRst(ev)) evidence.push(evidenceAcross(a.translated, ev, isns, 'client kernel resets a SYN-ACK from an address it never called'));
        }
      }
      sortEvidence(evidence);
      const rsts = group.filter((a) => a.clientRst).length;
      const tsEcho = group.some((a) => a.link.tsEchoMatch === true);
      const sawCopy = group.some((a) => a.link.via === 'syn-copy');
      const sameBridge = sameNodeSubnet(client.addr, backend.addr, client.version);
      let confidence = 0.7;
      if (rsts > 0) confidence += 0.15;
      if (tsEcho || sawCopy) confidence += 0.08;
      if (sameBridge) confidence += 0.05;

      // The signature of this cause: the same backend works when dialled directly, and the
      // Service works for clients elsewhere.
      const toService = establishedTo(service.text);
      const direct = directFirst(backend.text, client.addr);
      const other = toService.find((c) => c.orig.addr !== client.addr);
      const synAckFrame = evidence.find((e) => e.label === 'SYN,ACK')?.frame ?? 0;
      // The backend's SYN-ACK that acks the first attempt's ISN + 1: what excludes a refusal and a timeout.
      const want = (first.original.dirs[0].isn + 1) >>> 0;
      const answeredSyn = first.translated.events.find((e) => e.dir === 1 && isSynAck(e) && e.ack === want);
      const rstFrame = evidence.find((e) => e.label.startsWith('RST') && e.from === client.text)?.frame ?? 0;
      findings.push({
        rule: 'unreversed-dnat',
        messageId: rsts > 0 ? 'reset' : 'retried',
        data: {
          clientAddr: client.addr, service: service.text, backend: backend.text, synFrame: first.original.dirs[0].synFrame,
          sawCopy, tsEcho, synAckFrame, rstFrame, sameBridge,
          directFrame: direct !== undefined ? direct.firstFrame : 0,
          otherClient: other !== undefined ? other.orig.addr : '', otherFrame: other !== undefined ? other.firstFrame : 0,
        },
        severity: 'error',
        confidence: Math.min(0.99, Math.round(confidence * 100) / 100),
        client: client.text,
        server: service.text,
        backend: backend.text,
        resetBy: rsts > 0 ? 'client' : null,
        resetSender: rsts > 0 ? client.addr : null,
        count: group.length,
        ruledOut: answeredSyn === undefined ? [] : [
          { rule: 'connection-refused', messageId: 'acceptedNotRefused', data: { backend: backend.text, synAckFrame: answeredSyn.frame } },
          { rule: 'syn-timeout', messageId: 'answered', data: {
            backend: backend.text, service: service.text, synAckFrame: answeredSyn.frame, retried: first.retried,
          } },
        ],
        remediation: sameBridge ? [...BR_NETFILTER_REMEDIATION] : [
          'Check that replies from the backend pass the node that did the DNAT (no asymmetric routing).',
          ...BR_NETFILTER_REMEDIATION,
        ],
        evidence,
        connections: conns,
      });
    }
    return findings;
  },
};
