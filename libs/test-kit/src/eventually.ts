/**
 * Polls `check` until it holds or `timeoutMs` passes, and returns whether it held. Tests wait on
 * conditions this way rather than on fixed sleeps, so a loaded machine slows them, not fails them.
 */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}
