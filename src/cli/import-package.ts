/**
 * import() of a package kept outside the bundles (yargs: ES modules only). One function, because
 * the CLI's CommonJS bundle replaces it (scripts/postbuild.mjs): that code runs in a vm.Script,
 * where Node 20 has no import() (only behind --experimental-vm-modules, and none for code from a
 * code cache), so the entry point (cached-start.ts) imports for it.
 */
export function importPackage(specifier: string): Promise<unknown> {
  return import(specifier);
}
