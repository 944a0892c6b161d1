// Which root fields this service has. The alerts and history views are built against SPEC §10's
// names; a service without them (an older build, or one where they are not done yet) answers
// that the field does not exist, and those views stay hidden instead of failing.
import { queryText } from './connection.js';

export interface Capabilities {
  /** true/false when the schema could be read; undefined when not (introspection refused). */
  has(root: 'Query' | 'Subscription', field: string): boolean | undefined;
}

const ROOT_FIELDS = `query DashboardCapabilities {
  q: __type(name: "Query") { fields { name } }
  s: __type(name: "Subscription") { fields { name } }
}`;

type Root = { fields: { name: string }[] } | null;

export async function loadCapabilities(): Promise<Capabilities> {
  let fields: Record<string, Set<string>> | undefined;
  try {
    const r = await queryText<{ q: Root; s: Root }>(ROOT_FIELDS, {});
    const names = (t: Root) => new Set((t?.fields ?? []).map((f) => f.name));
    fields = { Query: names(r.q), Subscription: names(r.s) };
  } catch (err) {
    console.warn('cannot read the schema; trying each view instead', err);
  }
  return { has: (root, field) => (fields ? fields[root]!.has(field) : undefined) };
}
