// Checks of command options before a command runs: what MongoDB 7.0 rejects
// (an unknown field of an update or delete statement: 40415), and what the
// stand-in refuses rather than ignore (collations other than 'simple',
// update constants: NotImplemented, 238).
import type { Document } from 'bson';
import { Codes, ServerError, notSupported } from '../errors.ts';

/** `{locale: 'simple'}` is MongoDB's default binary comparison, which the stand-in implements. */
const isSimple = (collation: unknown): boolean =>
  !!collation && typeof collation === 'object' && Object.keys(collation).length === 1 && (collation as Document).locale === 'simple';

function refuse(collation: unknown, where: string): void {
  if (collation === undefined || isSimple(collation)) return;
  throw notSupported(`a collation (${where}: ${JSON.stringify(collation)}); only {locale: 'simple'}`);
}

/**
 * Fails with NotImplemented (238) when a command asks for a collation: on the
 * command (find, aggregate, count, distinct, findAndModify, create), on an
 * update or delete statement, or on an index to create.
 */
export function refuseCollation(command: Document): void {
  refuse(command.collation, `${Object.keys(command)[0]}.collation`);
  for (const list of ['updates', 'deletes', 'indexes']) {
    const items: unknown = command[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => refuse((item as Document | undefined)?.collation, `${list}[${i}].collation`));
  }
}

/** The fields of a statement MongoDB 7.0 parses (write_ops.idl). */
const STATEMENT_FIELDS: Record<string, ReadonlySet<string>> = {
  updates: new Set(['q', 'u', 'c', 'arrayFilters', 'multi', 'upsert', 'upsertSupplied', 'hint', 'collation', 'sampleId', '$_allowShardKeyUpdatesWithoutFullShardKeyInQuery']),
  deletes: new Set(['q', 'limit', 'hint', 'collation', 'sampleId']),
};

/**
 * Fails as MongoDB 7.0 does (40415) on an unknown field of an update or
 * delete statement, such as `sort` on updateOne/replaceOne (a MongoDB 8.0
 * addition), and refuses update constants (`c`) and `upsertSupplied`.
 */
export function checkStatements(command: Document, list: 'updates' | 'deletes'): void {
  const statements: unknown = command[list];
  if (!Array.isArray(statements)) return;
  const known = STATEMENT_FIELDS[list];
  const name = Object.keys(command)[0];
  for (const statement of statements as Document[]) {
    for (const field of Object.keys(statement ?? {})) {
      if (!known.has(field)) throw new ServerError(Codes.Location40415, `BSON field '${name}.${list}.${field}' is an unknown field.`);
    }
    if (statement.c !== undefined) throw notSupported("update constants ('c' in an update statement)");
    if (statement.upsertSupplied !== undefined) throw notSupported("'upsertSupplied' in an update statement");
  }
}
