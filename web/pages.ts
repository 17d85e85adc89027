// The HTML of the signage page, of the lists (`/`, `/signage`) and of the "no such page" answer. Pure.
// Asset links are relative to the page, so the router works under any mount path.

export interface SignageConfig {
  lot: string;
  /** The lot's display name (the lot configuration's), shown instead of its id. */
  name?: string;
  topicRoot: string;
  /** Broker WebSocket URLs, primary first. */
  mqttWsUrls: readonly string[];
  failoverMs: number;
  probeIntervalMs: number;
  /** The lots that have reported, when the server knows them: an unknown lot's page says so instead of only waiting. */
  knownLots?: readonly string[];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

/** JSON safe inside a `<script type="application/json">`: no `<`, `>` or `&` that could end it. */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** `assetBase`: the assets' folder relative to the page, e.g. `assets/` for `/signage/mall-1`. */
export function signagePage(config: SignageConfig, assetBase: string): string {
  const lot = escapeHtml(config.name ?? config.lot);
  const base = escapeHtml(assetBase);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>${lot} · free spaces</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}signage.css">
<script type="application/json" id="signage-config">${scriptJson(config)}</script>
<script src="${base}mqtt.min.js" defer></script>
<script type="module" src="${base}page.js"></script>
</head>
<body data-status="unknown" data-connection="connecting">
<main class="sign">
  <header class="top">
    <h1 class="lot" id="lot-name">${lot}</h1>
    <div class="status" id="lot-status"></div>
  </header>
  <section class="total" aria-live="polite">
    <div class="label">FREE SPACES</div>
    <div class="free" id="lot-free">–</div>
    <div class="of" id="lot-total"></div>
    <div class="forecast" id="lot-forecast"></div>
  </section>
  <section class="levels" id="levels" aria-label="free spaces per level"></section>
  <footer class="bottom">
    <span class="connection" id="connection"><span class="dot"></span><span id="connection-text">connecting</span></span>
    <span id="updated">waiting for data</span>
  </footer>
</main>
</body>
</html>
`;
}

/** A page in the signage's style around `main` (HTML, already escaped): the shell of the 404 and of the lists. */
function messagePage(title: string, mainClass: string, main: string, assetBase: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(assetBase)}signage.css">
</head>
<body>
<main class="${mainClass}">
  <h1>${escapeHtml(title)}</h1>
${main}
</main>
</body>
</html>
`;
}

/** A readable 404 in the signage's style; `message` is plain text. */
export function notFoundPage(title: string, message: string, assetBase: string): string {
  return messagePage(title, 'message', `  <p>${escapeHtml(message)}</p>`, assetBase);
}

export interface ListItem {
  href: string;
  label: string;
  /** Plain text after the link: who it is for. */
  note?: string;
}

/** A page of links in the signage's style (the index at `/`, the lots at `/signage`); `intro` is plain text. */
export function listPage(title: string, intro: string, items: readonly ListItem[], assetBase: string): string {
  const rows = items.map((i) => `  <li><a href="${escapeHtml(i.href)}">${escapeHtml(i.label)}</a>${i.note ? ` <span class="note">${escapeHtml(i.note)}</span>` : ''}</li>`).join('\n');
  return messagePage(title, 'message list', `  <p>${escapeHtml(intro)}</p>\n  <ul>\n${rows}\n  </ul>`, assetBase);
}
