// The npm packages a bundle holds, and their licences beside it: a bundled package's licence
// (MIT's and Apache's alike) asks for its notice to travel with the code.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Metafile } from 'esbuild';

/** The npm packages with code in the bundle (inputs esbuild read and shook out entirely are not). */
export function bundledPackages(metafile: Metafile): string[] {
  const inputs = Object.values(metafile.outputs).flatMap((out) => Object.entries(out.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([name]) => name));
  return [...new Set(inputs.map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1]).filter((p): p is string => !!p))].sort();
}

/** Writes THIRD-PARTY-NOTICES.md in `dir`: each package's name, version, licence and licence text, from `nodeModules`. */
export function writeNotices(dir: string, packages: readonly string[], nodeModules: string): void {
  const sections = packages.map((name) => {
    const home = `${nodeModules}${name}/`;
    const pkg = JSON.parse(readFileSync(`${home}package.json`, 'utf8')) as { version?: string; license?: string };
    const file = existsSync(home) ? readdirSync(home).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f)) : undefined;
    const text = file ? readFileSync(`${home}${file}`, 'utf8').trim() : `(no licence file in the package; its package.json says ${pkg.license ?? 'nothing'})`;
    return `## ${name} ${pkg.version ?? ''}\n\nLicence: ${pkg.license ?? 'unknown'}\n\n\`\`\`\n${text}\n\`\`\`\n`;
  });
  writeFileSync(`${dir}THIRD-PARTY-NOTICES.md`, `# Third-party notices\n\nThis package bundles the following npm packages.\n\n${sections.join('\n')}`);
}
