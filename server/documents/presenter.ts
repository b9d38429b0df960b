// Renamed to present.ts (issue 12). Kept only for server/cases/present.ts, which another change is
// converting at the same time; remove once it imports './documents/present.ts'.
export { checklistForCase } from './present.ts';
