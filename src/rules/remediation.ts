/** Remediation steps more than one rule gives. */

/** Load br_netfilter and make bridged traffic pass iptables (now and at every boot), then verify. */
export const BR_NETFILTER_REMEDIATION: readonly string[] = [
  'modprobe br_netfilter',
  "echo br_netfilter > /etc/modules-load.d/k8s.conf   # load it at every boot",
  'sysctl -w net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1',
  "printf 'net.bridge.bridge-nf-call-iptables = 1\\nnet.bridge.bridge-nf-call-ip6tables = 1\\n' > /etc/sysctl.d/k8s.conf",
  'lsmod | grep br_netfilter; sysctl net.bridge.bridge-nf-call-iptables   # verify: module listed, value 1',
];
