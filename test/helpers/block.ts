// Stops this process's event loop for `ms`, as a busy process's is while it works through a
// burst: timers fall due and I/O waits, and both run once it returns.
export function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}
