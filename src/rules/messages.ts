/**
 * Message templates (ESLint's `meta.messages`): a rule reports a message id and data; the text is
 * rendered from them once, after the engine has counted the attempts — never parsed back.
 *
 * Template syntax:
 *   {{name}}                 the value of data[name] (a list of message references: each rendered,
 *                            joined with "; ")
 *   {{name|plural:word}}     "1 word" / "n words"
 *   {{name|join:sep}}        a list of references joined with `sep`
 *   {{name|frame}}           a frame number, or a list of them joined with ", ", each as the report
 *                            names frames (a joint report names the input too: `2#12`)
 *   {{#name}}…{{/name}}      the part only when data[name] is truthy (true, non-zero, non-empty)
 *   {{^name}}…{{/name}}      the part only when it is not
 */

/** A fragment rendered inside another message: a message id of the same rule and its data. */
export interface MessageRef {
  messageId: string;
  data: MessageData;
}

export type MessageValue = string | number | boolean | null | readonly MessageRef[] | readonly number[];
export type MessageData = Readonly<Record<string, MessageValue>>;

/** How one variant of a rule's finding reads. */
export interface FindingMessage {
  /** One line. */
  summary: string;
  /** Why, from the packets. */
  explanation: string;
}

/** A rule's messages by id: finding messages, and fragments (plain templates) that they include. */
export type RuleMessages = Readonly<Record<string, FindingMessage | string>>;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; name: string; filter: string | null; arg: string }
  | { kind: 'section'; name: string; inverted: boolean; body: Node[] };

const TAG = /\{\{([#^/]?)([A-Za-z0-9_]+)(?:\|([a-z]+)(?::([^}]*))?)?\}\}/g;
const compiled = new Map<string, Node[]>();

/** The template as a tree (cached: templates are constants). Throws on unbalanced sections. */
function compile(template: string): Node[] {
  const cached = compiled.get(template);
  if (cached !== undefined) return cached;
  const root: Node[] = [];
  const stack: { name: string; nodes: Node[] }[] = [{ name: '', nodes: root }];
  let at = 0;
  for (const m of template.matchAll(TAG)) {
    const top = stack[stack.length - 1]!;
    if (m.index > at) top.nodes.push({ kind: 'text', text: template.slice(at, m.index) });
    at = m.index + m[0].length;
    const sigil = m[1] ?? '';
    const name = m[2] ?? '';
    const filter = m[3];
    const arg = m[4];
    if (sigil === '#' || sigil === '^') {
      const body: Node[] = [];
      top.nodes.push({ kind: 'section', name, inverted: sigil === '^', body });
      stack.push({ name, nodes: body });
    } else if (sigil === '/') {
      if (stack.length < 2 || top.name !== name) throw new Error(`template: unbalanced {{/${name}}} in "${template}"`);
      stack.pop();
    } else {
      top.nodes.push({ kind: 'value', name, filter: filter ?? null, arg: arg ?? '' });
    }
  }
  if (stack.length !== 1) throw new Error(`template: unclosed {{#${stack[stack.length - 1]!.name}}} in "${template}"`);
  if (at < template.length) root.push({ kind: 'text', text: template.slice(at) });
  compiled.set(template, root);
  return root;
}

function truthy(v: MessageValue | undefined): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

/** Fragments are looked up in the rule's own messages. */
export type FragmentLookup = (messageId: string) => string;

/** How the text names a frame (`{{name|frame}}`): its number in a report of one capture. */
export type FrameName = (frame: number) => string;

const plainFrame: FrameName = (frame) => String(frame);

function renderNodes(nodes: readonly Node[], data: MessageData, fragment: FragmentLookup, frameName: FrameName): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'section') {
      if (truthy(data[n.name]) !== n.inverted) out += renderNodes(n.body, data, fragment, frameName);
    } else {
      const v = data[n.name];
      if (v === undefined) throw new Error(`template: no data for {{${n.name}}}`);
      if (n.filter === 'plural') {
        const count = Number(v);
        out += `${count} ${n.arg}${count === 1 ? '' : 's'}`;
      } else if (n.filter === 'frame') {
        if (typeof v === 'number') out += frameName(v);
        else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out += (v as readonly number[]).map(frameName).join(', ');
        else throw new Error(`template: {{${n.name}|frame}} is not a frame number or a list of them`);
      } else if (Array.isArray(v)) {
        const refs = v as readonly MessageRef[];
        out += refs.map((r) => renderTemplate(fragment(r.messageId), r.data, fragment, frameName)).join(n.filter === 'join' ? n.arg : '; ');
      } else {
        out += String(v);
      }
    }
  }
  return out;
}

export function renderTemplate(template: string, data: MessageData, fragment: FragmentLookup, frameName: FrameName = plainFrame): string {
  return renderNodes(compile(template), data, fragment, frameName);
}

/** The placeholder and section names a template reads (for tests: every message's data is complete). */
export function templateNames(template: string): string[] {
  const names = new Set<string>();
  const walk = (nodes: readonly Node[]): void => {
    for (const n of nodes) {
      if (n.kind === 'value') names.add(n.name);
      else if (n.kind === 'section') {
        names.add(n.name);
        walk(n.body);
      }
    }
  };
  walk(compile(template));
  return [...names];
}
