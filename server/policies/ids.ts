// Id comparison for policies: ObjectIds, strings and populated documents compare by their hex id.
export function sameId(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return false;
  const ida = typeof a === 'object' && a !== null && '_id' in a ? (a as { _id: unknown })._id : a;
  const idb = typeof b === 'object' && b !== null && '_id' in b ? (b as { _id: unknown })._id : b;
  return String(ida) === String(idb);
}
