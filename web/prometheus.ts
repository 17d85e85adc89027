// The Prometheus text exposition format, version 0.0.4. Pure.
// https://prometheus.io/docs/instrumenting/exposition_formats/

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'summary' | 'histogram' | 'untyped';

export interface Sample {
  /** The sample's name when it is not the family's: `<family>_sum`, `<family>_count`, `<family>_bucket`. */
  suffix?: '_sum' | '_count' | '_bucket';
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<MetricType, ReadonlyArray<Sample['suffix']>> = {
  counter: [undefined],
  gauge: [undefined],
  untyped: [undefined],
  summary: [undefined, '_sum', '_count'],
  histogram: ['_bucket', '_sum', '_count'],
};

/** A HELP text: backslash and line feed escaped. */
export const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A label value: backslash, double quote and line feed escaped. */
export const escapeLabelValue = (text: string): string => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** A sample value: integers as they are, `NaN`, `+Inf`, `-Inf`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function renderLabels(family: string, labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  for (const [name] of entries) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`metric ${family}: invalid label name '${name}'`);
  }
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/**
 * The families in the text format: `# HELP` and `# TYPE` once per family, its
 * samples after them, a line feed at the end. Throws on an invalid or repeated
 * name or label name, or a sample suffix its type does not have.
 */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new Error(`invalid metric name '${family.name}'`);
    if (seen.has(family.name)) throw new Error(`metric ${family.name} appears twice`);
    seen.add(family.name);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      if (!SUFFIXES[family.type].includes(sample.suffix)) throw new Error(`metric ${family.name}: a ${family.type} has no sample '${family.name}${sample.suffix ?? ''}'`);
      lines.push(`${family.name}${sample.suffix ?? ''}${renderLabels(family.name, sample.labels)} ${formatValue(sample.value)}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
