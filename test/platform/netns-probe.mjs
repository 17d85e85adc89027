/* global fetch, AbortSignal */
// Run inside the network namespace test/platform/netns.test.ts makes: waits for the
// platform at BASE (a non-loopback address) to serve its dashboard (the last part to start), then prints one JSON line with the HTTP
// status of each path asked for, requested from that address. Plain JavaScript: no loader.
const [base, ...paths] = process.argv.slice(2);
const deadline = Date.now() + 60_000;
for (;;) {
  try {
    if ((await fetch(`${base}/dashboard/availability`, { signal: AbortSignal.timeout(2000) })).status === 200) break;
  } catch {
    // not listening yet
  }
  if (Date.now() > deadline) {
    console.log(JSON.stringify({ error: `${base} did not answer within 60 s` }));
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}
const statuses = {};
for (const path of paths) statuses[path] = (await fetch(`${base}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(10_000) })).status;
console.log(JSON.stringify({ statuses }));
