/**
 * Columns the text report fits: the terminal's when it goes to one, else COLUMNS when set (a
 * positive number); undefined leaves the renderer's default (100: piped or written to a file).
 */
export function textWidth(toTerminal: boolean, columns: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (toTerminal && columns !== undefined && columns > 0) return columns;
  const fromEnv = Number(env['COLUMNS']);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined;
}
