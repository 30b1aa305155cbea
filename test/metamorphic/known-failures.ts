/**
 * The metamorphic cells that fail today, one line per sample × variant, with what happens and
 * why (the rule, the packet). metamorphic.test.ts runs each as `test.fails`: a fix makes the
 * cell pass, the `test.fails` then fails, and the line is to be deleted here — so this list is the
 * progress report. Frame numbers are the original sample's (`tshark -r samples/<sample>`).
 *
 * Keys: `<sample> × <variant label>`; `… × ipv6 messages` is the IPv6 check that the report says
 * the same thing (messageId) as for the IPv4 original.
 */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {

  // A handshake packet lost: the NAT link (SYN ISN acked by the SYN-ACK) is not made, other rules claim the attempt at error.
  'brnf-off/client-eth0.pcap × drop #2': 'different-error syn-timeout: attempt 40001 loses its first SYN-ACK (frame 2); the client RST (3) opens the backend half, the later untranslated SYN-ACKs (5, 8) are not linked, and syn-timeout says "SYNs unanswered" for SYNs that were answered',
  'brnf-off/client-eth0.pcap × drop #11': 'different-error syn-timeout: the same for attempt 40002 (its first SYN-ACK, frame 11)',
  'brnf-off/node-cni0.pcap × drop #1': 'different-error synack-rejected + syn-timeout: attempt 40001 loses its pre-DNAT SYN (frame 1); the DNAT\'d half is reported as synack-rejected (NAT half "not in the capture" although its retransmitted SYNs are) and the retransmitted Service SYNs as syn-timeout',
  'brnf-off/node-cni0.pcap × drop #13': 'different-error synack-rejected + syn-timeout: the same for attempt 40002 (its pre-DNAT SYN, frame 13)',
  'nat-midstream/node-any.pcap × drop #5': 'different-error unreversed-dnat: the translated SYN-ACK (frame 5) lost; the untranslated one (4) is taken as unreversed DNAT with the client\'s RST 0.9 s later (32, its answer to the midstream POISON) as "the client reset it", although the client\'s connection to 10.96.0.10:80 then carried data both ways',

  // The handshake lost: rules that need an established connection no longer apply; stale-connection claims the reset at error.
  'idle/client-eth0.pcap × drop #2': 'different-error stale-connection: without the SYN-ACK (frame 2) the connection is not "established" for idle-timeout although data flowed both ways; stale-connection blames the server for the middlebox RST (9, TTL 64 vs 63, IP ID 0)',
  'idle/client-eth0-350s.pcap × drop #2': 'different-error stale-connection: as idle/client-eth0.pcap × drop #2',
  'idle/lb-any.pcap × drop #4': 'different-error stale-connection: the client-side SYN-ACK (frame 4) lost; as idle/client-eth0.pcap × drop #2',
  'nat-midstream/client-eth0.pcap × drop #1': 'different-error stale-connection ×2: without the SYN (frame 1) unreversed-nat-midstream does not see an established connection to 10.96.0.10:80; the untranslated POISON (15) and its RST (16), and the server RST (18), become two stale-connection errors',
  'nat-midstream/client-eth0.pcap × drop #2': 'different-error stale-connection ×2: as drop #1, for the SYN-ACK (frame 2)',
  'nat-midstream/node-any.pcap × drop #1': 'different-error stale-connection ×2: as nat-midstream/client-eth0.pcap × drop #1 (the client\'s SYN, frame 1)',

  // The proving packet lost; what is left is reported as a stale connection at error.
  'nat-midstream/client-eth0.pcap × drop #15': 'different-error stale-connection: the untranslated POISON (15) lost; the client\'s RST to 10.244.0.3:8080 (16) is unexplained and the server RST (18) answering the retransmission (17) is called stale-connection at error, which does not exclude the NAT cause the client RST hints at (warning at most)',
  'nat-midstream/client-eth0.pcap × drop #16': 'different-error stale-connection: the client\'s RST (16) lost; the untranslated POISON (15) is still there but unreversed-nat-midstream requires the client\'s reset; the server RST (18) becomes stale-connection at error',
};
