import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A Node built-in module loaded where it is first used rather than at start-up: for those a small
 * capture's run never needs (node:worker_threads, node:zlib), whose loading cost it some 1–3 ms
 * each. Synchronous, unlike import(), and the same in the ES modules and the CommonJS bundle.
 */
export function builtin<T>(id: `node:${string}`): T {
  return require(id) as T;
}
