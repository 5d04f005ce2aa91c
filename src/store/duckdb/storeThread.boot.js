// The store thread's entry point, in JavaScript so a worker can load it before any TypeScript
// loader is in place. A worker does not inherit loader hooks on Node 20, neither tsx registered
// by bin/tessera.js nor `--import=tsx` (tests): when the TypeScript entry will not load, tsx is
// registered here. The retry imports another URL because a failed import stays cached.
try {
  await import('./storeThread.ts');
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  const { register } = await import('tsx/esm/api');
  register();
  await import('./storeThread.ts?loader=tsx');
}
