// The lots' availability summaries as ingest publishes them (retained on
// `<root>/<lot>/availability`), kept as they arrive: the one count the dashboard,
// the signage and the open-data feeds share. An empty retained message (a lot
// cleared) forgets the lot.
import { decodeSummary, type AvailabilitySummary, type Topics } from '../contract/index.ts';
import type { FailoverLink } from '../link/index.ts';

export interface Summaries {
  get(lot: string): AvailabilitySummary | undefined;
  /** Every lot's, in id order. */
  list(): AvailabilitySummary[];
}

/** `onChange` hears of each summary that differs from the one before (the NGSI-LD push, the forecasts). */
export async function watchSummaries(link: FailoverLink, topics: Topics, onChange?: (summary: AvailabilitySummary) => void): Promise<Summaries> {
  const lots = new Map<string, AvailabilitySummary>();
  link.on('message', (topic, payload) => {
    const t = topics.parse(topic);
    if (t?.kind !== 'availability') return;
    if (payload.length === 0) return void lots.delete(t.lot);
    const summary = decodeSummary(payload.toString('utf8'));
    if (!summary || summary.lot !== t.lot) return;
    const before = lots.get(t.lot);
    lots.set(t.lot, summary);
    if (onChange && (!before || before.observedAt !== summary.observedAt)) onChange(summary);
  });
  await link.subscribe(topics.filters.availability, 1);
  return {
    get: (lot) => lots.get(lot),
    list: () => [...lots.values()].sort((a, b) => (a.lot < b.lot ? -1 : a.lot > b.lot ? 1 : 0)),
  };
}
