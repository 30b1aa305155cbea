/**
 * Plain-text layout within a width: prose wrapped at spaces (a word longer than the line is split),
 * tables whose columns shrink until the table fits (cells wrapped here, so no value is cut short).
 */

/** Narrowest width the text report lays itself out for. */
export const MIN_WIDTH = 40;

/** Lines of at most `width` characters (a word longer than that is split). */
export function wrapLines(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (let word of paragraph.split(/\s+/).filter((x) => x !== '')) {
      while (word.length > w) {
        if (line !== '') {
          lines.push(line);
          line = '';
        }
        lines.push(word.slice(0, w));
        word = word.slice(w);
      }
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= w) line += ` ${word}`;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

/**
 * Prose within `width` columns: the first line after `first`, the others after `rest` (a hanging
 * indent), e.g. wrap('Fix: …', 80, '  ', '       ').
 */
export function wrap(text: string, width: number, first: string, rest = first): string {
  const lines = wrapLines(text, width - Math.max(first.length, rest.length));
  return lines.map((l, i) => (i === 0 ? first : rest) + l).join('\n');
}

/** Columns of `width` characters' width in all (borders included): the widest shrink first. */
function fitColumns(natural: number[], mins: number[], width: number): number[] {
  const cols = [...natural];
  const budget = width - (cols.length + 1);
  let total = cols.reduce((a, b) => a + b, 0);
  while (total > budget) {
    let widest = -1;
    for (let i = 0; i < cols.length; i++) if (cols[i]! > mins[i]! && (widest < 0 || cols[i]! > cols[widest]!)) widest = i;
    if (widest < 0) break;
    cols[widest]!--;
    total--;
  }
  return cols;
}

/** Longest word of a column (cells and head), capped: what a column keeps whole when it can. */
function longestWord(head: string, cells: readonly string[]): number {
  let n = 0;
  for (const s of [head, ...cells]) for (const w of s.split(/\s+/)) n = Math.max(n, w.length);
  return Math.min(n, 24);
}

/**
 * A table no wider than `width`: each column as wide as its longest line, the widest narrowed
 * until the table fits — first not below its longest word (an endpoint stays on one line), then
 * down to a few characters; cells wrapped to their column.
 */
export function fitTable(head: string[], rows: string[][], width: number, options: { compact?: boolean } = {}): string {
  const PAD = 2;
  const column = (i: number): string[] => rows.map((r) => r[i] ?? '');
  const natural = head.map((h, i) => Math.max(h.length, ...column(i).flatMap((c) => c.split('\n').map((l) => l.length))) + PAD);
  const words = head.map((h, i) => Math.min(natural[i]!, longestWord(h, column(i)) + PAD));
  let cols = fitColumns(natural, words, width);
  if (cols.reduce((a, b) => a + b, cols.length + 1) > width) cols = fitColumns(cols, head.map((_, i) => Math.min(natural[i]!, 6)), width);
  const cell = (s: string, i: number): string => wrapLines(s, cols[i]! - PAD).join('\n');
  return drawBox(head.map(cell), rows.map((r) => r.map(cell)), cols, options.compact ?? false);
}

/**
 * Box-drawn rows of cells already wrapped to their columns (`cols`: widths with one space of
 * padding each side), as cli-table3 draws them; `compact` leaves out the rules between body
 * rows. Drawn here because cli-table3 measures every multi-line cell character by character
 * for a debug line it never prints: most of a small capture's run time.
 */
export function drawBox(head: readonly string[], rows: readonly (readonly string[])[], cols: readonly number[], compact: boolean): string {
  const rule = (left: string, mid: string, right: string): string => left + cols.map((w) => '─'.repeat(w)).join(mid) + right;
  const lines = [rule('┌', '┬', '┐')];
  const drawRow = (cells: readonly string[]): void => {
    const split = cols.map((_, i) => (cells[i] ?? '').split('\n'));
    const height = Math.max(1, ...split.map((l) => l.length));
    for (let n = 0; n < height; n++) {
      lines.push(`│${cols.map((w, i) => ` ${fitLine(split[i]![n] ?? '', w - 2)} `).join('│')}│`);
    }
  };
  drawRow(head);
  rows.forEach((r, i) => {
    if (i === 0 || !compact) lines.push(rule('├', '┼', '┤'));
    drawRow(r);
  });
  lines.push(rule('└', '┴', '┘'));
  return lines.join('\n');
}

/** A line padded to `width`, or cut to it with '…'. */
function fitLine(line: string, width: number): string {
  return line.length <= width ? line.padEnd(width) : `${line.slice(0, Math.max(0, width - 1))}…`;
}
